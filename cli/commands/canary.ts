/**
 * gauntlet canary run: release a new version as a canary under k6 load (scenarios/canary-runs.ts).
 * gauntlet canary lint: what a Flagger Canary will do, read from its manifests (canary/lint.ts).
 */
import { emit, optionsFromArgs } from '../context.ts';
import { defineCommand } from './types.ts';

interface CanaryArgs {
  action: 'run' | 'lint';
  files?: string[];
  workload?: string;
  url?: string;
  rate: number;
  duration: string;
  image?: string;
  env?: string[];
  args?: string[];
  manifest?: string;
  steps?: string;
  errorRate?: string;
  p99?: string;
  afterPromotion?: 'keep' | 'revert';
  router?: 'replicas' | 'httproute';
  route?: string;
  gateway?: string;
  path?: string;
}

/** --router/--route/--gateway/--path as the canary step's `router` field (validated there). */
function routerOf(a: CanaryArgs): Record<string, unknown> {
  const kind = a.router ?? 'httproute';
  if (kind === 'replicas') return { kind };
  const [ns, name] = a.gateway?.includes('/') ? a.gateway.split('/', 2) : [undefined, a.gateway];
  return { kind, ...(a.route ? { route: a.route } : {}), ...(name ? { parentRef: { name, ...(ns ? { namespace: ns } : {}) } } : {}), ...(a.path ? { path: a.path } : {}) };
}

export const canary = defineCommand<CanaryArgs>({
  command: 'canary <action> [files..]',
  describe: 'release a new version as a canary under live k6 load (run), or lint Flagger Canary manifests (lint)',
  builder: (y) =>
    y
      .positional('action', { choices: ['run', 'lint'] as const })
      .positional('files', { type: 'string', array: true, describe: 'lint: Canary manifests, with the app\'s other manifests (Deployment, PDBs, NetworkPolicies)' })
      .option('workload', { type: 'string', describe: 'run: the stable Deployment: deployment/<name> (required)' })
      .option('url', { type: 'string', describe: 'run: URL of the Service the load requests (required)' })
      .option('rate', { type: 'number', default: 100, describe: 'load, req/s' })
      .option('duration', { type: 'string', default: '5m', describe: 'upper bound of the whole run' })
      .option('image', { type: 'string', describe: 'new version: container image' })
      .option('env', { type: 'string', array: true, describe: 'new version: NAME=value (repeatable)' })
      .option('args', { type: 'string', array: true, describe: 'new version: container args' })
      .option('manifest', { type: 'string', describe: 'new version: a Deployment manifest (its pod template)' })
      .option('steps', { type: 'string', describe: 'traffic steps, %, e.g. 10,25,50 (then promotion)' })
      .option('error-rate', { type: 'string', describe: 'absolute error-rate limit, e.g. 1%' })
      .option('p99', { type: 'string', describe: 'absolute p99 limit, e.g. 300ms' })
      .option('router', { choices: ['replicas', 'httproute'] as const, describe: 'run: how traffic is split: replica ratio (default) or HTTPRoute weights' })
      .option('route', { type: 'string', describe: 'run, httproute: an existing HTTPRoute in the namespace (its spec is put back at the end)' })
      .option('gateway', { type: 'string', describe: 'run, httproute: [namespace/]name of the Gateway a route Gauntlet creates attaches to' })
      .option('path', { type: 'string', describe: 'run, httproute: path prefix of the created route (default /<namespace>/<service>)' })
      .option('after-promotion', { choices: ['keep', 'revert'] as const, describe: 'keep the promoted version (default) or put stable back' })
      .example('$0 canary lint k8s/canary.yaml k8s/app.yaml', 'a Flagger Canary: exit 0 clean, 1 findings, 2 bad input')
      .example('$0 canary run --workload deployment/demo -n shop --url http://10.79.0.80/ --env VERSION=v2 --rate 200', 'canary of an env change')
      .example('$0 canary run --router httproute --gateway gauntlet-addons/lab --workload deployment/demo -n shop --url http://10.77.0.5/shop/demo/ --env VERSION=v2', 'exact weights on a Gateway API route'),
  async handler(a) {
    if (a.action === 'lint') {
      const { canaryLintCommand } = await import('./canary-lint.ts');
      return canaryLintCommand(a);
    }
    const o = optionsFromArgs(a);
    const { parseDuration } = await import('../../core/duration.ts');
    const { UsageError } = await import('../../core/errors.ts');
    const { runCanary } = await import('../../scenarios/canary-runs.ts');
    const { summarizeAsync } = await import('./summary.ts');
    if (!a.workload || !a.url) throw new UsageError(`canary run needs ${[!a.workload && '--workload', !a.url && '--url'].filter(Boolean).join(' and ')}`);
    if (a.files?.length) throw new UsageError(`canary run takes no files (got ${a.files.join(', ')})`);
    const durationMs = parseDuration(a.duration);
    if (durationMs === undefined) throw new UsageError(`--duration: expected a duration like 5m, got "${a.duration}"`);
    const env = a.env ? Object.fromEntries(a.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : undefined;
    if (a.env?.some((kv) => !kv.includes('='))) throw new UsageError('--env: expected NAME=value');
    const canary: Record<string, unknown> = {
      ...(a.image ? { image: a.image } : {}),
      ...(env ? { env } : {}),
      ...(a.args ? { args: a.args } : {}),
      ...(a.manifest ? { manifest: a.manifest } : {}),
      ...(a.steps ? { steps: a.steps.split(',').map(Number) } : {}),
      ...(a.errorRate || a.p99 ? { thresholds: { ...(a.errorRate ? { errorRate: a.errorRate } : {}), ...(a.p99 ? { p99: a.p99 } : {}) } } : {}),
      ...(a.afterPromotion ? { afterPromotion: a.afterPromotion } : {}),
      ...(a.router || a.route || a.gateway ? { router: routerOf(a) } : {}),
    };
    const stop = new AbortController();
    let signals = 0;
    const onSignal = () => (++signals === 1 ? stop.abort() : process.exit(130));
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const r = await runCanary({ options: o, workload: a.workload, url: a.url, rate: a.rate, durationMs, canary, signal: stop.signal, ...(o.namespace ? { namespace: o.namespace } : {}), ...(o.context ? { context: o.context } : {}) });
      const text = o.output === 'json' ? '' : await summarizeAsync(r, o.color);
      emit(o, { runId: r.runId, runDir: r.runDir, status: r.status, verdict: r.verdict, exitCode: r.exitCode, unreverted: r.unreverted, reports: r.reportFiles }, () => text);
      return r.exitCode;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
});
