import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ExitCode, InfraError, UsageError } from '../core/errors.ts';
import { errorDocument, nearest, toGauntletError } from './errors.ts';

const zodError = (() => {
  try {
    z.object({ duration: z.string().regex(/^\d+s$/) }).parse({ duration: '2x' });
  } catch (e) {
    return e;
  }
})();
const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED', address: '10.0.0.1', port: 6443 }) });

// Errors a user caused reach the edge as a GauntletError with the right exit code, never "internal".
const cases: Array<[string, unknown, ExitCode, RegExp]> = [
  ['a zod error (a bad value)', zodError, ExitCode.Usage, /duration: /],
  ['fetch failed to a dead address', fetchFailed, ExitCode.Infra, /cannot reach 10\.0\.0\.1:6443 \(ECONNREFUSED\)/],
  ['a GauntletError as is', new UsageError('bad flag'), ExitCode.Usage, /bad flag/],
];

describe('the CLI edge maps what users cause', () => {
  it.each(cases)('%s', (_name, e, code, message) => {
    const g = toGauntletError(e);
    expect(g?.exitCode).toBe(code);
    expect(g?.message).toMatch(message);
  });

  it('a genuine bug stays unmapped (reported as internal, exit 3)', () => {
    expect(toGauntletError(new TypeError('x is undefined'))).toBeUndefined();
    expect(errorDocument(undefined, new TypeError('x is undefined'), 3).error).toMatchObject({ kind: 'internal', exitCode: 3 });
  });

  it('error documents say what kind of failure it was', () => {
    expect(errorDocument(new InfraError('down', { hint: 'h' }), undefined, 3).error).toEqual({ kind: 'infra', message: 'down', hint: 'h', exitCode: 3 });
  });

  it.each([
    ['intervall', ['interval', 'timeout'], 'interval'],
    ['error_rat', ['error_rate', 'requests'], 'error_rate'],
    ['zzz', ['interval'], undefined],
  ] as const)('nearest(%s)', (word, cands, want) => expect(nearest(word, cands)).toBe(want));
});
