/**
 * flagger: put a Flagger-managed release through the gauntlet. Apply a Canary (the user's, or one
 * generated from target.workload), trigger the rollout by changing the target's pod template,
 * watch the Canary's status into the journal, and compute the canary strategy's figures (t0,
 * detectionSeconds, rollbackSeconds, errors, promotionSeconds: docs/canary.md) from the run's
 * per-version traffic, beside Flagger's own phase timeline. Gauntlet's load is the traffic
 * Flagger judges (sent through the router), and Gauntlet answers Flagger's webhooks from it.
 *
 * Revert (end of run, Ctrl-C, `recover` after a crash): the target's template goes back first
 * (while the Canary exists, so Flagger never routes to the new version again), then the Canary is
 * deleted and Flagger's finalizer (revertOnDeletion, which Gauntlet always sets) gives the target
 * its replicas and Service back; the router objects the run made go last.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { formatDuration } from '../../core/duration.ts';
import type { JournalEvent } from '../../core/events.ts';
import { duration, ratio } from '../../core/fields.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import { registerStep, type StepContext } from '../../core/steps.ts';
import { NET } from '../../lab/config.ts';
import type { PodTemplate } from '../router.ts';
import { describeChange, mergeDiff, newTemplate } from '../template.ts';
import { Attribution, type Served } from '../traffic.ts';
import { generateCanary, ingressRoute, routerPath, type FlaggerProvider } from '../flagger/manifest.ts';
import { statusLabel, statusView, type CanaryStatusView } from '../flagger/status.ts';
import { answer, serveWebhooks, type WebhookServer } from '../flagger/webhooks.ts';
import { FIGURE_DEFINITIONS } from './canary.ts';
import { RUN_MARK } from './deploy.ts';

const params = z
  .strictObject({
    /** The user's Canary manifest (relative to the scenario); default: one generated from target.workload. */
    canary: z.string().min(1).optional(),
    provider: z.enum(['traefik', 'kubernetes', 'gatewayapi:v1']).default('traefik'),
    /** The new version, as a change to one container of the target's pod template. */
    container: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    args: z.array(z.string()).optional(),
    /** Service port and container port of the generated Canary. */
    port: z.number().int().min(1).max(65535).default(80),
    targetPort: z.number().int().min(1).max(65535).default(8080),
    analysis: z
      .strictObject({
        interval: duration.default(10_000),
        threshold: z.number().int().min(1).default(1),
        maxWeight: z.number().int().min(1).max(100).default(50),
        stepWeight: z.number().int().min(1).max(100).default(25),
        iterations: z.number().int().min(1).default(3),
      })
      .prefault({}),
    thresholds: z.strictObject({ errorRate: ratio.default(0.01), p99: duration.default(500) }).prefault({}),
    /** Serve Flagger's confirm-rollout, pre-rollout and rollout webhooks from the run's live numbers. */
    webhooks: z.boolean().default(true),
    /** Address Flagger reaches Gauntlet's webhooks on (default: the lab host's bridge address). */
    webhookHost: z.string().min(1).default(NET.hostIp),
    versions: z.strictObject({ stable: z.string().min(1).optional(), canary: z.string().min(1).optional() }).optional(),
    /** Longest wait for Flagger to initialize the Canary, and for the whole release. */
    initTimeout: duration.default(120_000),
    timeout: duration.default(300_000),
  })
  .refine((p) => p.image || p.env || p.args, { message: 'give the new version: image, env or args' })
  .refine((p) => !(p.analysis.interval < 10_000), { message: "Flagger's analysis interval is at least 10s", path: ['analysis', 'interval'] });
type Params = z.output<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    flagger: Params;
  }
}

/**
 * The canary strategy's figures (docs/canary.md), measured the same way for a Flagger release:
 * its definitions, with what td, tz and promotion are when Flagger decides.
 */
export const FLAGGER_FIGURES = {
  ...FIGURE_DEFINITIONS,
  detectionSeconds: `${FIGURE_DEFINITIONS.detectionSeconds} (Flagger's: Canary phase Failed first seen, polled every 250 ms)`,
  canaryGoneSeconds: 'tz - t0: first response served by the canary to no pod of the target (canary) Deployment left',
  promotionSeconds: 't0 to Flagger phase Succeeded (primary rolled to the new version, canary scaled to zero)',
  promoted: '1 when Flagger promoted the canary, 0 when it rolled it back',
} as const;

type Obj = KubernetesObject & { metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Deployment = Obj & { spec: { replicas?: number; selector: { matchLabels?: Record<string, string> }; template: PodTemplate } };
type Ref = { apiVersion: string; kind: string; name: string; namespace: string };

const TICK_MS = 250;
const SETTLE_MS = 3000;
const refOf = (o: Obj): Ref => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, namespace: o.metadata.namespace! });
const marked = (o: Obj, runId: string): Obj => ({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [RUN_MARK]: runId } } });

async function waitGone(kube: Kube, ref: Ref, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(250)) if (!(await kube.get(ref))) return true;
  return false;
}

/**
 * Undo the trigger: template back, then this run's Canary deleted (Flagger's finalizer restores
 * the target and its Service), then replicas as they were. Safe twice; works from the journal.
 */
registerReverter('flagger-trigger', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  const target = spec.target as Ref;
  const canary = spec.canary as Ref;
  const cur = await kube.get<Deployment>(target);
  if (cur) await kube.patch({ ...target, metadata: { name: target.name, namespace: target.namespace }, spec: { template: spec.templatePatch } } as never);
  const c = await kube.get<Obj>(canary);
  if (c && c.metadata.annotations?.[RUN_MARK] === spec.runId) {
    await kube.delete(canary);
    if (!(await waitGone(kube, canary, 120_000))) throw new Error(`Canary ${canary.name} in ${canary.namespace} still there after 120 s: is Flagger running (its finalizer restores the target)?`);
    await waitGone(kube, { ...target, name: `${target.name}-primary` }, 60_000);
  }
  const after = await kube.get<Deployment>(target);
  if (after && typeof spec.replicas === 'number' && after.spec.replicas !== spec.replicas) {
    await kube.patch({ ...target, metadata: { name: target.name, namespace: target.namespace }, spec: { replicas: spec.replicas } } as never);
  }
  if (!cur && !c) return 'noop';
});

function readCanary(file: string, scenarioFile: string): Obj {
  const path = resolve(dirname(scenarioFile), file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Obj | null);
  const c = docs.find((d) => d?.kind === 'Canary');
  if (!c) throw new Error(`${file}: no Canary in the manifest`);
  return c;
}

/** The Canary the step applies: namespace set, revertOnDeletion on, Gauntlet's webhooks added. */
export function canaryFor(p: Params, namespace: string, name: string, scenarioFile: string, webhookUrl: string | undefined): Obj {
  const base = p.canary
    ? readCanary(p.canary, scenarioFile)
    : (generateCanary({
        name, namespace, provider: p.provider as FlaggerProvider, port: p.port, targetPort: p.targetPort,
        interval: p.analysis.interval, threshold: p.analysis.threshold, maxWeight: p.analysis.maxWeight, stepWeight: p.analysis.stepWeight,
        iterations: p.analysis.iterations, minSuccessRate: Math.round((1 - p.thresholds.errorRate) * 10_000) / 100, maxDurationMs: p.thresholds.p99,
        progressDeadlineSeconds: Math.round(p.initTimeout / 1000),
        ...(webhookUrl ? { webhookUrl } : {}),
        gateway: { name: 'lab', namespace: 'gauntlet-addons' },
      }) as unknown as Obj);
  const c = structuredClone(base);
  c.metadata.namespace = namespace;
  const spec = (c.spec ?? {}) as Record<string, unknown> & { analysis?: { webhooks?: unknown[] } };
  spec.revertOnDeletion = true;
  if (p.canary && webhookUrl) {
    const ours = generateCanary({ name, namespace, provider: 'kubernetes', port: 80, targetPort: 80, interval: 10_000, threshold: 1, maxWeight: 1, stepWeight: 1, iterations: 1, minSuccessRate: 0, maxDurationMs: 0, progressDeadlineSeconds: 60, webhookUrl });
    spec.analysis = { ...spec.analysis, webhooks: [...(spec.analysis?.webhooks ?? []), ...((ours.spec.analysis as { webhooks: unknown[] }).webhooks)] };
  }
  c.spec = spec;
  return c;
}

function planLines(step: { params: Params }, target: { namespace?: string; workload?: { name: string } }): string[] {
  const p = step.params;
  const name = target.workload?.name ?? '<workload>';
  const ns = target.namespace ?? '<namespace>';
  const a = p.analysis;
  const weighted = p.provider !== 'kubernetes';
  const steps = weighted ? Math.ceil(a.maxWeight / a.stepWeight) : a.iterations;
  return [
    `apply ${p.canary ? `the Canary in ${p.canary}` : `a generated Canary for Deployment/${name}`} in ${ns} (provider ${p.provider}, interval ${formatDuration(a.interval)}, threshold ${a.threshold}${weighted ? `, weight +${a.stepWeight} % to ${a.maxWeight} %` : `, ${a.iterations} iterations`}); revertOnDeletion set`,
    ...(p.provider !== 'gatewayapi:v1' ? [`create IngressRoute ${name}-gauntlet: router path ${routerPath(ns, name)} (and ${routerPath(ns, name)}/canary for blue/green)`] : []),
    ...(p.webhooks ? [`serve Flagger webhooks confirm-rollout, pre-rollout, rollout on ${p.webhookHost} (rollout fails above ${(p.thresholds.errorRate * 100).toFixed(2)} % canary errors)`] : []),
    `trigger: change Deployment/${name}'s pod template (${describeChange(p)}); watch the Canary's status into the journal`,
    `worst case to a rollback decision: (threshold + 1) x interval + metric window = ${formatDuration((a.threshold + 1) * a.interval + a.interval)}; fastest promotion ${formatDuration((steps + 1) * a.interval)}`,
    'at the end: template back, Canary deleted (Flagger restores the target), router objects removed',
  ];
}

async function run(ctx: StepContext<Params>): Promise<void> {
  const p = ctx.step.params;
  const id = ctx.step.id;
  const kube = await ctx.kube();
  const w = ctx.scenario.target.workload;
  if (!w || w.kind.toLowerCase() !== 'deployment') throw new Error('the flagger release needs target.workload: deployment/<name>');
  const namespace = ctx.scenario.target.namespace ?? kube.namespace;
  const targetRef: Ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, namespace };
  const target = await kube.get<Deployment>(targetRef);
  if (!target) throw new Error(`Deployment ${w.name} not found in namespace ${namespace}`);
  const template = newTemplate(target.spec.template, p, ctx.scenario.file, namespace);
  const mark = (label: string, data?: Record<string, unknown>) => ctx.journal.append({ type: 'mark', step: id, label, ...(data ? { data } : {}) });
  const figure = (name: keyof typeof FLAGGER_FIGURES, value: number, unit: string, labels?: Record<string, string>) =>
    ctx.journal.append({ type: 'figure', step: id, name, value: Math.round(value * 1000) / 1000, unit, definition: FLAGGER_FIGURES[name], ...(labels ? { labels } : {}) });

  const traffic = new Attribution(p.versions);
  const served: Served[] = [];
  const unsubscribe = ctx.journal.subscribe((e: JournalEvent) => {
    traffic.observe(e);
    served.push(...traffic.drain());
  });
  let hooks: WebhookServer | undefined;
  try {
    if (p.webhooks) {
      const limits = { errorRate: p.thresholds.errorRate, windowMs: p.analysis.interval, minRequests: 10 };
      hooks = await serveWebhooks(p.webhookHost, (type) => answer(type, served, ctx.clock.now(), limits), (type, body, a) =>
        mark(`flagger webhook ${type} -> ${a.status}: ${a.reason}`, { webhook: type, status: a.status, requests: a.requests, failures: a.failures, phase: (body as { phase?: string }).phase }),
      );
      ctx.progress(`flagger: webhooks on ${hooks.url}`);
    }
    const canary = marked(canaryFor(p, namespace, w.name, ctx.scenario.file, hooks?.url), ctx.runId);
    const canaryRef = refOf(canary);
    const apply = async (o: Obj) => {
      const before = await kube.get<Obj>(refOf(o));
      const previous = before ? { ...before, metadata: { name: before.metadata.name, namespace: before.metadata.namespace, labels: (before.metadata as { labels?: unknown }).labels, annotations: before.metadata.annotations }, status: undefined } : undefined;
      await ctx.changes.apply(id, { description: `${before ? 'update' : 'create'} ${o.kind}/${o.metadata.name} in ${namespace}`, revert: { kind: 'deploy', ref: refOf(o), runId: ctx.runId, ...(previous ? { previous } : {}) } }, () => kube.apply(o));
    };
    if (p.provider !== 'gatewayapi:v1') {
      const route = ingressRoute(namespace, w.name) as Obj;
      const routes = (route.spec as { routes: Array<Record<string, unknown>> }).routes;
      if (p.provider === 'kubernetes') {
        // Blue/green: the apex Service reaches primary; the canary Service is reached on /canary.
        routes[0]!.services = [{ name: w.name, port: p.port }];
        routes.unshift({ match: `PathPrefix(\`${routerPath(namespace, w.name)}/canary\`)`, kind: 'Rule', services: [{ name: `${w.name}-canary`, port: p.port }] });
      }
      await apply(marked(route, ctx.runId));
    }
    await apply(canary);
    ctx.progress(`flagger: Canary ${w.name} applied (provider ${p.provider}); waiting for Flagger to initialize it`);

    let last: CanaryStatusView = {};
    const observe = async (): Promise<CanaryStatusView> => {
      const c = await kube.get<Obj>(canaryRef);
      const v = statusView(c?.status);
      if (JSON.stringify(v) !== JSON.stringify(last)) {
        mark(statusLabel(v), v as Record<string, unknown>);
        if (v.phase !== last.phase) ctx.progress(`flagger: ${v.phase} (weight ${v.canaryWeight ?? 0} %, failedChecks ${v.failedChecks ?? 0})`);
        last = v;
      }
      return v;
    };
    for (const until = ctx.clock.now() + p.initTimeout; ; await sleep(TICK_MS, ctx.signal)) {
      if (ctx.signal.aborted) return;
      const v = await observe();
      if (v.phase === 'Initialized' || v.phase === 'Succeeded') break;
      if (ctx.clock.now() > until) throw new Error(`Flagger did not initialize Canary ${w.name} within ${formatDuration(p.initTimeout)} (phase ${v.phase ?? 'none'}): is the flagger add-on up (gauntlet lab up --addons flagger)?`);
    }
    // Stable's versions come from its traffic before the trigger (unless given).
    for (const until = ctx.clock.now() + 30_000; !p.versions?.stable && !traffic.stable.size; await sleep(TICK_MS, ctx.signal)) {
      if (ctx.signal.aborted) return;
      if (ctx.clock.now() > until) throw new Error('no traffic with a version reaches stable within 30 s: start the load (through the router) before the release');
    }
    traffic.lock();
    mark(`flagger attribution: by the version the service reports (stable ${[...traffic.stable].join(', ')})`, { mode: 'response-header', stable: [...traffic.stable] });

    const forward = mergeDiff(target.spec.template, template);
    await ctx.changes.apply(
      id,
      {
        description: `trigger: change Deployment/${w.name}'s pod template in ${namespace} (${describeChange(p)})`,
        revert: { kind: 'flagger-trigger', target: targetRef, canary: canaryRef, templatePatch: mergeDiff(template, target.spec.template), replicas: target.spec.replicas ?? 1, runId: ctx.runId },
      },
      () => kube.patch({ ...targetRef, metadata: { name: w.name, namespace }, spec: { template: forward } } as never),
    );
    ctx.progress(`flagger: rollout triggered (${describeChange(p)})`);
    const triggered = ctx.clock.now();
    let td: number | undefined;
    let tz: number | undefined;
    let progressed = false;
    // Flagger resets failedChecks when it marks the Canary Failed: keep the highest seen.
    let failedChecks = 0;
    const selector = Object.entries(target.spec.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    for (;;) {
      if (ctx.signal.aborted) return;
      const v = await observe();
      const now = ctx.clock.now();
      if (v.phase === 'Progressing' || v.phase === 'Promoting' || v.phase === 'Finalising') progressed = true;
      failedChecks = Math.max(failedChecks, v.failedChecks ?? 0);
      if (v.phase === 'Failed' && td === undefined) {
        td = now;
        mark(`flagger rollback decided: Canary phase Failed after ${failedChecks} failed check(s)`, { weights: { stable: 100, canary: 0 }, failedChecks, ...(v.lastTransitionTime ? { lastTransitionTime: v.lastTransitionTime } : {}) });
      }
      if (td !== undefined) {
        const pods = await kube.list<Obj>({ apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: selector });
        if (pods.items.length === 0) {
          tz = ctx.clock.now();
          mark('flagger canary pods gone');
          break;
        }
      }
      if (v.phase === 'Succeeded' && progressed) break;
      if (now - triggered > p.timeout || now > ctx.deadline - 2000) throw new Error(`the release did not finish within ${formatDuration(Math.min(p.timeout, ctx.deadline - triggered))} (Flagger phase ${v.phase ?? 'none'})`);
      await sleep(TICK_MS, ctx.signal);
    }

    if (td !== undefined && tz !== undefined) {
      // tr needs the traffic after the canary is gone: wait (bounded) for stable-only traffic.
      for (const until = Math.min(tz + 30_000, ctx.deadline); ctx.clock.now() < until && !ctx.signal.aborted; await sleep(TICK_MS)) {
        const lastStable = traffic.lastStableEnd() ?? -Infinity;
        if (lastStable - Math.max(td, traffic.lastCanaryEnd ?? -Infinity) >= SETTLE_MS) break;
      }
      figure('promoted', 0, '');
      if (traffic.t0 !== undefined) {
        const tr = Math.max(td, Math.min(traffic.lastCanaryEnd ?? td, tz));
        figure('t0', traffic.t0 / 1000, 's');
        figure('detectionSeconds', (td - traffic.t0) / 1000, 's');
        figure('rollbackSeconds', (tr - traffic.t0) / 1000, 's');
        figure('canaryGoneSeconds', (tz - traffic.t0) / 1000, 's');
        const errs = traffic.failuresBetween(traffic.t0, tr);
        const during = traffic.failuresOverlapping(td, tr);
        for (const ver of new Set([...traffic.stable, ...(traffic.canary ? [traffic.canary] : [])])) {
          const labels = { version: ver, role: traffic.stable.has(ver) ? 'stable' : 'canary' };
          figure('errorsServed', errs[ver] ?? 0, 'count', labels);
          figure('errorsDuringRollback', during[ver] ?? 0, 'count', labels);
        }
        mark('flagger figures (run clock, ms)', { t0: Math.round(traffic.t0), td: Math.round(td), tr: Math.round(tr), tz: Math.round(tz), triggered: Math.round(triggered) });
      } else {
        mark('flagger figures: the canary served no response (t0 undefined)', { td: Math.round(td), tz: Math.round(tz) });
      }
      throw new Error(`Flagger rolled the canary back (${failedChecks} failed check(s))`);
    }
    const done = ctx.clock.now();
    figure('promoted', 1, '');
    if (traffic.t0 !== undefined) {
      figure('t0', traffic.t0 / 1000, 's');
      figure('promotionSeconds', (done - traffic.t0) / 1000, 's');
      const errs = traffic.failuresBetween(traffic.t0, done);
      for (const ver of new Set([...traffic.stable, ...(traffic.canary ? [traffic.canary] : [])])) figure('errorsServed', errs[ver] ?? 0, 'count', { version: ver, role: traffic.stable.has(ver) ? 'stable' : 'canary' });
    }
    mark('flagger promoted: the primary runs the new version', { weights: { stable: 0, canary: 100 }, ...(traffic.t0 !== undefined ? { t0: Math.round(traffic.t0) } : {}), triggered: Math.round(triggered), done: Math.round(done) });
    ctx.progress('flagger: promoted');
  } finally {
    unsubscribe();
    await hooks?.close();
  }
}

registerStep({
  kind: 'flagger',
  sections: ['release'],
  summary: 'a Flagger-managed canary (traefik or gatewayapi:v1 weighted, kubernetes blue/green): apply the Canary, trigger, watch, measure; reverted at the end',
  params,
  needsCluster: true,
  check(step, scenario) {
    const issues: Array<[Array<string | number>, string]> = [];
    if (!scenario.target.workload || scenario.target.workload.kind.toLowerCase() !== 'deployment') issues.push([[], 'the flagger release needs target.workload: deployment/<name>']);
    if (step.params.canary) {
      try {
        readCanary(step.params.canary, scenario.file);
      } catch (e) {
        issues.push([['canary'], `cannot read ${step.params.canary}: ${(e as Error).message.split('\n')[0]}`]);
      }
    }
    return issues;
  },
  plan: (step, scenario) => planLines(step, scenario.target),
  run,
});
