/**
 * The CLI edge for errors: anything a command throws becomes one line (plus a hint) on stderr,
 * or one JSON document on stdout with `-o json`, and an exit code from core/errors.ts. Errors a
 * user caused (bad values, a cluster that does not answer) are never "internal errors": stray
 * library errors that slipped past their module are mapped here by their shape.
 */
export { nearest } from '../core/suggest.ts';
import { GauntletError, InfraError, InputError, isGauntletError, UsageError, type InputIssue } from '../core/errors.ts';

/** The flag parser's own complaints (unknown argument, missing value). */
export class ParseError extends UsageError {}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

interface Causal {
  name?: string;
  message?: string;
  code?: string;
  address?: string;
  port?: number;
  hostname?: string;
  cause?: unknown;
  issues?: Array<{ path?: PropertyKey[]; message?: string }>;
}

/** Map any thrown value to a GauntletError; undefined means a genuine bug. */
export function toGauntletError(e: unknown): GauntletError | undefined {
  if (isGauntletError(e)) return e;
  const err = e as Causal | undefined;
  if (!err || typeof err !== 'object') return undefined;
  // zod: a value the user gave did not parse (a flag, a file read by a library function).
  if (err.name === 'ZodError' && Array.isArray(err.issues)) {
    const issues: InputIssue[] = err.issues.map((i) => ({ file: '(input)', path: (i.path ?? []).map(String).join('.'), message: i.message ?? 'invalid' }));
    return new UsageError(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
  }
  // fetch failed / connect ECONNREFUSED: name the address that did not answer.
  for (let cur: Causal | undefined = err, i = 0; cur && i < 6; cur = cur.cause as Causal | undefined, i++) {
    if (cur.code && NET_CODES.has(cur.code)) {
      const where = cur.address ? `${cur.address}${cur.port ? `:${cur.port}` : ''}` : cur.hostname ?? 'the server';
      return new InfraError(`cannot reach ${where} (${cur.code})`, { hint: 'check the kubeconfig and context (--kubeconfig, --context), or start the local lab: gauntlet lab up', cause: e });
    }
  }
  return undefined;
}

export interface ErrorDocument {
  schema: 'gauntlet/error/v1';
  error: { kind: 'usage' | 'input' | 'infra' | 'revert' | 'interrupted' | 'internal'; message: string; hint?: string; exitCode: number; issues?: InputIssue[] };
}

export function errorDocument(e: GauntletError | undefined, raw: unknown, exitCode: number): ErrorDocument {
  const kind: ErrorDocument['error']['kind'] = !e
    ? 'internal'
    : e instanceof InputError
      ? 'input'
      : e instanceof UsageError
        ? 'usage'
        : e instanceof InfraError
          ? 'infra'
          : e.exitCode === 4
            ? 'revert'
            : e.exitCode === 130
              ? 'interrupted'
              : 'infra';
  return {
    schema: 'gauntlet/error/v1',
    error: {
      kind,
      message: e?.message ?? String((raw as Error)?.message ?? raw),
      ...(e?.hint ? { hint: e.hint } : {}),
      exitCode,
      ...(e instanceof InputError ? { issues: e.issues } : {}),
    },
  };
}
