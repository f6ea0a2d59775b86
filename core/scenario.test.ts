/**
 * Step is a union keyed on `kind`: the compiler checks a step built in code against its kind's
 * params. `tsc -p tsconfig.json --noEmit` fails if an @ts-expect-error below stops being one.
 */
import { describe, expect, it } from 'vitest';
import type { Step } from './scenario.ts';
import '../scenarios/kinds.ts';

const base = { id: 's', section: 'load', at: 0, source: { file: 'x' } } as const;

describe('Step', () => {
  it('narrows params by kind', () => {
    const k6: Step = { ...base, kind: 'k6', params: { url: 'http://127.0.0.1:1/', stopOnBreach: false } };
    // @ts-expect-error http-probe params on a k6 step
    const wrong: Step = { ...base, kind: 'k6', params: { method: 'GET', interval: 1000 } };
    // @ts-expect-error an unregistered kind
    const unknown: Step = { ...base, kind: 'no-such-kind', params: {} };
    const describeStep = (s: Step) => (s.kind === 'k6' ? (s.params.script ?? s.params.url) : s.kind === 'pod-kill' ? s.params.selector : s.kind);
    expect([describeStep(k6), wrong.kind, unknown.kind]).toEqual(['http://127.0.0.1:1/', 'k6', 'no-such-kind']);
  });
});
