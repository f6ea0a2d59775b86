/**
 * One options object, built once at the CLI edge (flags + environment) and passed down.
 * Nothing else in the code reads process.env.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type OutputFormat = 'text' | 'json';

export interface GauntletOptions {
  /** Explicit kubeconfig path (--kubeconfig); else $KUBECONFIG (merged) then ~/.kube/config. */
  kubeconfig?: string;
  /** Value of $KUBECONFIG at start, for kubectl-style merging. */
  kubeconfigEnv?: string;
  context?: string;
  namespace?: string;
  output: OutputFormat;
  reportDir: string;
  color: boolean;
  verbose: boolean;
  /** Whether stdin is a TTY (never prompt otherwise). */
  interactive: boolean;
  /** Whether stderr is a terminal: live progress every second; otherwise every 10 s (CI logs). */
  liveProgress: boolean;
  /** Where Gauntlet keeps built tools (k6, lab binaries). */
  cacheDir: string;
  /** The k6 binary to use (--k6, else $GAUNTLET_K6); unset: the Gauntlet cache, then PATH. */
  k6?: string;
  /** Where Gauntlet keeps state (the lab). */
  stateDir: string;
  /** Image of the egress probe pods ($GAUNTLET_PROBE_IMAGE); the lab's image when unset. */
  probeImage?: string;
  /** $GITHUB_STEP_SUMMARY when set. */
  githubStepSummary?: string;
  /** Extra PATH entries searched for tools before $PATH. */
  env: Record<string, string | undefined>;
  /** Progress sink (stderr). */
  progress: (line: string) => void;
}

/** Colour decision, made once: --no-color / NO_COLOR off; FORCE_COLOR on; else TTY-ness. */
export function decideColor(flag: boolean | undefined, env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  if (flag === true) return true;
  return isTTY && env.TERM !== 'dumb';
}

export function defaultOptions(env: Record<string, string | undefined> = process.env, overrides: Partial<GauntletOptions> = {}): GauntletOptions {
  const home = env.HOME ?? homedir();
  return {
    kubeconfigEnv: env.KUBECONFIG,
    output: 'text',
    reportDir: env.GAUNTLET_REPORT_DIR ?? 'runs',
    color: false,
    verbose: false,
    interactive: false,
    liveProgress: false,
    cacheDir: env.GAUNTLET_CACHE ?? join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'gauntlet'),
    stateDir: env.GAUNTLET_STATE ?? join(env.XDG_STATE_HOME ?? join(home, '.local', 'state'), 'gauntlet'),
    githubStepSummary: env.GITHUB_STEP_SUMMARY || undefined,
    ...(env.GAUNTLET_K6 ? { k6: env.GAUNTLET_K6 } : {}),
    probeImage: env.GAUNTLET_PROBE_IMAGE || undefined,
    env,
    progress: () => {},
    ...overrides,
  };
}
