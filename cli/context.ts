/** Turns parsed global flags and the environment into the one options object. */
import { decideColor, defaultOptions, type GauntletOptions, type OutputFormat } from '../core/options.ts';

export interface GlobalArgs {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output?: string;
  reportDir?: string;
  color?: boolean;
  verbose?: boolean;
  k6?: string;
}

export function optionsFromArgs(a: GlobalArgs, env = process.env): GauntletOptions {
  const color = decideColor(a.color, env, Boolean(process.stderr.isTTY));
  const o = defaultOptions(env, {
    output: (a.output ?? 'text') as OutputFormat,
    color,
    verbose: Boolean(a.verbose),
    interactive: Boolean(process.stdin.isTTY),
    liveProgress: Boolean(process.stderr.isTTY),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  if (a.kubeconfig) o.kubeconfig = a.kubeconfig;
  if (a.context) o.context = a.context;
  if (a.namespace) o.namespace = a.namespace;
  if (a.reportDir) o.reportDir = a.reportDir;
  if (a.k6) o.k6 = a.k6;
  return o;
}

/** Print data on stdout: JSON when -o json, else the text. */
export function emit(o: GauntletOptions, data: unknown, text: () => string): void {
  process.stdout.write(o.output === 'json' ? `${JSON.stringify(data, null, 2)}\n` : `${text()}\n`);
}
