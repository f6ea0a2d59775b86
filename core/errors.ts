/**
 * The one place for Gauntlet's errors and exit codes.
 *
 * Only the CLI entry catches these and maps them to a process exit code.
 * Expected outcomes (a gate failed, egress was reachable) are results, never thrown.
 */

/** Stable exit codes, documented in the README. */
export const ExitCode = {
  /** Every gate passed and something was measured. */
  Pass: 0,
  /** A gate failed, or could not be evaluated (nothing measured). */
  GateFailed: 1,
  /** Usage or input error: nothing was done to any cluster. */
  Usage: 2,
  /** Infrastructure error: cluster unreachable, a tool missing, RBAC denied. */
  Infra: 3,
  /** A revert failed: the cluster may still carry changes (they are listed). */
  RevertFailed: 4,
  /** Interrupted by Ctrl-C or SIGTERM, after reverting. */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A position in a file the user wrote, 1-based. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

/** One problem with user input, located in its file and named by field path. */
export interface InputIssue extends SourceLocation {
  /** Field path like `faults[1].duration`; empty for the whole document. */
  path: string;
  message: string;
}

export function formatLocation(loc: SourceLocation): string {
  if (loc.line === undefined) return loc.file;
  return loc.column === undefined ? `${loc.file}:${loc.line}` : `${loc.file}:${loc.line}:${loc.column}`;
}

export function formatIssue(issue: InputIssue): string {
  const where = formatLocation(issue);
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export abstract class GauntletError extends Error {
  abstract readonly exitCode: ExitCode;
  /** A short next step for the user, printed under the message. */
  readonly hint?: string;
  constructor(message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

/** Bad flags or arguments. */
export class UsageError extends GauntletError {
  readonly exitCode = ExitCode.Usage;
}

/** A scenario, allowlist or manifest that does not parse or validate. */
export class InputError extends GauntletError {
  readonly exitCode = ExitCode.Usage;
  readonly issues: InputIssue[];
  constructor(issues: InputIssue[], options?: { hint?: string }) {
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

/** The world around us failed: cluster unreachable, RBAC, a missing tool. */
export class InfraError extends GauntletError {
  readonly exitCode = ExitCode.Infra;
}

/** One change Gauntlet made that it could not undo. */
export interface UnrevertedChange {
  id: string;
  description: string;
  error: string;
}

export class RevertError extends GauntletError {
  readonly exitCode = ExitCode.RevertFailed;
  readonly remaining: UnrevertedChange[];
  constructor(remaining: UnrevertedChange[], options?: { hint?: string }) {
    super(
      `could not revert ${remaining.length} change(s); the cluster may still carry them:\n` +
        remaining.map((c) => `  - ${c.id}: ${c.description} (${c.error})`).join('\n'),
      { hint: options?.hint ?? 'run `gauntlet recover <run-dir>` once the cause is fixed' },
    );
    this.remaining = remaining;
  }
}

export class InterruptedError extends GauntletError {
  readonly exitCode = ExitCode.Interrupted;
}

export function isGauntletError(e: unknown): e is GauntletError {
  return e instanceof GauntletError;
}

/**
 * A finished run's exit code, from how it ended and its one verdict (core/gates.ts runVerdict):
 * a change left behind outranks everything, then an interrupt, then an infrastructure error;
 * otherwise 0 only for a pass.
 */
export function runExitCode(run: { status: string; verdict: 'pass' | 'fail' | 'inconclusive'; unreverted: number }): ExitCode {
  if (run.unreverted > 0) return ExitCode.RevertFailed;
  if (run.status === 'interrupted') return ExitCode.Interrupted;
  if (run.status === 'error') return ExitCode.Infra;
  return run.verdict === 'pass' ? ExitCode.Pass : ExitCode.GateFailed;
}

/** The exit code for anything thrown: unknown errors are bugs, reported as infrastructure errors. */
export function exitCodeOf(e: unknown): ExitCode {
  return isGauntletError(e) ? e.exitCode : ExitCode.Infra;
}
