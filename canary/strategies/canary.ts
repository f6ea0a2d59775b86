/**
 * canary: release the new version as a canary under the run's live load, judge it every second
 * (canary/analysis.ts), step its traffic share up, and promote it or roll it back. The stable
 * Deployment is never modified until promotion. Exactly one rollback path: revert this step's
 * changes through the ledger, newest first, whatever triggered it (a failed check, Ctrl-C, the
 * scenario running out of time, an error).
 *
 * Figures (docs/canary.md): t0 = first response served by the new version; td = rollback decided;
 * tr = first moment from which every response comes from stable and stays so; tz = canary pods
 * gone. detectionSeconds = td - t0, rollbackSeconds = tr - t0, errorsServed per version in
 * [t0, tr], promotionSeconds = t0 to stable rolled to the new version and the canary removed.
 */
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { formatDuration } from '../../core/duration.ts';
import type { JournalEvent } from '../../core/events.ts';
import { duration, ratio } from '../../core/fields.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import type { Scenario, StepOf } from '../../core/scenario.ts';
import { registerStep, type StepContext } from '../../core/steps.ts';
import { rankCriticalZ } from '../rank.ts';
import { formatPct, sprtBounds, StepAnalysis, type AnalysisConfig, type Decision, type PodHealth } from '../analysis.ts';
import { routerFor, type CanaryTarget, type Placement, type PodTemplate } from '../router.ts';
import '../routers/replicas.ts';
import { createVersionServices, readyEndpoints, serviceUrl } from '../routers/services.ts';
import { VersionProbes } from '../probes.ts';
import { weights } from '../routers/httproute.ts';
import { Attribution, attributionMode, type AttributionMode } from '../traffic.ts';
import { readManifests } from './deploy.ts';
import { describeChange, mergeDiff, newTemplate } from '../template.ts';

const gatewayName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'expected a Kubernetes object name');
const routerParams = z
  .preprocess(
    (v) => (typeof v === 'string' ? { kind: v } : v),
    z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('replicas') }),
      z.strictObject({
        kind: z.literal('httproute'),
        /** An existing HTTPRoute in the target namespace (its backendRefs to the Service get the weights). */
        route: gatewayName.optional(),
        /** Or the Gateway a route Gauntlet creates attaches to. */
        parentRef: z.strictObject({ name: gatewayName, namespace: gatewayName.optional(), sectionName: gatewayName.optional() }).optional(),
        /** The created route's path prefix (default /<namespace>/<service>). */
        path: z.string().startsWith('/', 'expected a path starting with /').optional(),
        hostnames: z.array(z.string().min(1)).optional(),
      }),
    ], { error: (i) => (i.code === 'invalid_union' ? 'expected router kind replicas or httproute' : undefined) }),
  )
  .superRefine((r, c) => {
    if (r.kind !== 'httproute') return;
    if (!r.route && !r.parentRef) c.addIssue({ code: 'custom', path: [], message: 'httproute: give route: <an existing HTTPRoute> or parentRef: {name, namespace} (the Gateway a new route attaches to)' });
    if (r.route && r.parentRef) c.addIssue({ code: 'custom', path: ['parentRef'], message: 'httproute: give route or parentRef, not both' });
    if (r.route && (r.path || r.hostnames)) c.addIssue({ code: 'custom', path: [r.path ? 'path' : 'hostnames'], message: 'httproute: path and hostnames are for a route Gauntlet creates (parentRef), not an existing one' });
  })
  .default({ kind: 'replicas' });

const params = z
  .strictObject({
    /**
     * How traffic is split: `replicas` (replica ratio behind the stable Service) or `httproute`
     * (Gateway API weights: an existing route, or one Gauntlet creates on a Gateway).
     */
    router: routerParams,
    /** The Service in front of target.workload (default: the workload's name). */
    service: z.string().min(1).optional(),
    /** The new version as a pod-template change to one container (default: the first). */
    container: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    args: z.array(z.string()).optional(),
    /** Or the new Deployment as a manifest (its pod template is used), relative to the scenario. */
    manifest: z.string().min(1).optional(),
    /** Traffic steps, % (100 = promote; promotion follows the last step anyway). */
    steps: z.array(z.number().positive().max(100)).min(1).default([10, 25, 50]),
    /** The versions the service reports (X-Version by default; see docs/canary.md). Default: stable = seen before the canary, canary = the new one. */
    versions: z.strictObject({ stable: z.string().min(1).optional(), canary: z.string().min(1).optional() }).optional(),
    thresholds: z
      .strictObject({
        errorRate: ratio.default(0.01),
        errorRateIncrease: ratio.default(0.01),
        p99: duration.default(300),
        p99Ratio: z.number().min(1).default(1.5),
        p99Slack: duration.default(20),
      })
      .prefault({}),
    test: z
      .strictObject({
        alpha: z.number().gt(0).lt(0.5).default(0.001),
        beta: z.number().gt(0).lt(0.5).default(0.05),
        minRequests: z.number().int().min(1).default(50),
        /** H1: a bad canary fails `effect` x as often as its limit allows. */
        effect: z.number().gt(1).max(20).default(3),
      })
      .prefault({}),
    /** Mann-Whitney U on latency, canary vs stable × ratio + slack (false: off). docs/canary.md. */
    rank: z
      .union([
        z.literal(false),
        z.strictObject({
          ratio: z.number().min(1).default(1.2),
          slack: duration.default(5),
          alpha: z.number().gt(0).lt(0.5).default(0.001),
        }),
      ])
      .prefault({}),
    /**
     * Which version served a request: `header` (the version the service reports), `services`
     * (Gauntlet's probes to per-version Services it creates), or `auto` (header when responses
     * carry one, else services).
     */
    attribution: z.enum(['auto', 'header', 'services']).default('auto'),
    /** The per-version probes (attribution by services): req/s to each version, timeout. */
    probes: z.strictObject({ rate: z.number().positive().max(200).default(20), timeout: duration.default(2000) }).prefault({}),
    noTraffic: duration.default(30_000),
    readyTimeout: duration.default(60_000),
    maxRestarts: z.number().int().min(0).default(0),
    minStep: duration.default(5_000),
    maxStep: duration.default(120_000),
    promotionTimeout: duration.default(180_000),
    /** After a completed promotion: keep the new version (a release) or put stable back at the end (a rehearsal). */
    afterPromotion: z.enum(['keep', 'revert']).default('keep'),
    /**
     * What passes: `promote` (a release: a rollback fails the run), `rollback` (a drill with a bad
     * version: the analysis must roll it back), `either` (promoted, or rolled back by the analysis
     * within `rollbackWithin`: the step's gate is on the figure `settled`).
     */
    expect: z.enum(['promote', 'rollback', 'either']).default('promote'),
    rollbackWithin: duration.default(30_000),
  })
  .refine((p) => p.image || p.env || p.args || p.manifest, { message: 'give the new version: image, env, args, or manifest' })
  .refine((p) => !(p.manifest && (p.image || p.env || p.args)), { message: 'give manifest, or image/env/args, not both' })
  .refine((p) => p.steps.every((s, i) => i === 0 || s > p.steps[i - 1]!), { message: 'steps must increase', path: ['steps'] });
type Params = z.output<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    canary: Params;
  }
}

export const PROMOTED_ANNOTATION = 'gauntlet.dev/promoted';

export const FIGURE_DEFINITIONS = {
  t0: 'first response served by the new version (run clock)',
  detectionSeconds: 'td - t0: first response served by the canary to the rollback decision',
  rollbackSeconds: 'tr - t0: first response served by the canary to the first moment from which every response comes from stable and stays so (the end of the last canary response, at most tz, not before td)',
  canaryGoneSeconds: 'tz - t0: first response served by the canary to no canary pod left',
  errorsServed: 'failed responses per version from t0 to tr (promotion: to the end of the analysis)',
  errorsDuringRollback: 'failed responses per version in the 1 s windows (and samples) overlapping td to tr',
  promotionSeconds: 't0 to stable rolled to the new version, available, and the canary removed',
  promoted: '1 when the canary was promoted, 0 when it was rolled back (the step brings a gate: promoted >= 1, or <= 0 with expect: rollback)',
  settled: '1 when the release settled within its gate: promoted, or rolled back by the analysis with rollbackSeconds <= rollbackWithin (or before the canary served anything); else 0',
} as const;

export function analysisConfig(p: Params): AnalysisConfig {
  return {
    thresholds: { maxErrorRate: p.thresholds.errorRate, maxErrorRateIncrease: p.thresholds.errorRateIncrease, maxP99Ms: p.thresholds.p99, maxP99Ratio: p.thresholds.p99Ratio, p99SlackMs: p.thresholds.p99Slack },
    test: { alpha: p.test.alpha, beta: p.test.beta, effect: p.test.effect, minRequests: p.test.minRequests, minStableResponses: 100 },
    noTrafficSeconds: p.noTraffic / 1000,
    readyTimeoutSeconds: p.readyTimeout / 1000,
    maxRestarts: p.maxRestarts,
    minStepSeconds: p.minStep / 1000,
    maxStepSeconds: p.maxStep / 1000,
    ...(p.rank ? { rank: { ratio: p.rank.ratio, slackMs: p.rank.slack, alpha: p.rank.alpha, looks: Math.ceil(p.maxStep / 1000), minCanary: p.test.minRequests, minStable: 100 } } : {}),
  };
}

/** Steps below 100 % are analysed; 100 % (or the end of the list) is promotion. */
export const analysisSteps = (p: Params) => p.steps.filter((s) => s < 100);

type Deployment = { apiVersion: string; kind: string; metadata: { name: string; namespace: string; generation?: number; annotations?: Record<string, string> }; spec: { replicas?: number; template: PodTemplate }; status?: Record<string, number | undefined> };

registerReverter('canary-promotion', async (spec, env) => {
  const kube = (await env.kube()) as Kube;
  const r = spec.ref as { apiVersion: string; kind: string; name: string; namespace: string };
  const cur = await kube.get<Deployment>(r);
  if (!cur) return 'noop';
  // A completed promotion is the release: kept unless the scenario asked for a rehearsal.
  if (spec.keep && cur.metadata.annotations?.[PROMOTED_ANNOTATION] === spec.runId) return 'noop';
  await kube.patch({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace, annotations: { [PROMOTED_ANNOTATION]: null } }, spec: { template: spec.templatePatch } } as never);
});

function available(d: Deployment): boolean {
  const s = d.status ?? {};
  const want = d.spec.replicas ?? 1;
  return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (s.updatedReplicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.replicas ?? 0) === want;
}

function health(pods: Awaited<ReturnType<import('../router.ts').Router['pods']>>): PodHealth {
  const notReady = pods.filter((p) => !p.ready);
  return {
    pods: pods.length,
    ready: pods.length - notReady.length,
    restarts: pods.reduce((a, p) => a + p.restarts, 0),
    notReadySeconds: notReady.reduce((a, p) => Math.max(a, p.ageSeconds), 0),
    ...(pods.find((p) => p.waiting) ? { waiting: pods.find((p) => p.waiting)!.waiting } : {}),
  };
}

/** A decision's numbers, compact enough for a timeline line. */
export function decisionData(d: Decision): Record<string, unknown> {
  const r = (x: number | undefined, digits = 4) => (x === undefined ? undefined : Number(x.toPrecision(digits)));
  const { canary: c, stable: s } = d.totals;
  return {
    decision: d.kind,
    check: d.check,
    canary: { requests: c.requests, failures: c.failures, errorRate: r(c.errorRate), p99: r(c.p99) },
    stable: { requests: s.requests, failures: s.failures, errorRate: r(s.errorRate), p99: r(s.p99) },
    errorLimit: r(d.errors.limit),
    errorLlr: r(d.errors.llr, 3),
    latencyLimitMs: r(d.latency.limitMs),
    latencyLlr: r(d.latency.llr, 3),
    pValue: r(Math.min(d.errors.pValue, d.latency.pValue), 3),
    ...(d.rank ? { rankZ: r(d.rank.z, 3), rankEffect: r(d.rank.effect, 3), rankCriticalZ: r(d.rank.criticalZ, 3) } : {}),
  };
}

const TICK_MS = 250;
/** After the canary is gone, how long stable-only traffic must be seen before tr is final. */
const SETTLE_MS = 3000;

async function run(ctx: StepContext<Params>): Promise<void> {
  const p = ctx.step.params;
  const id = ctx.step.id;
  const kube = await ctx.kube();
  const w = ctx.scenario.target.workload;
  if (!w || w.kind.toLowerCase() !== 'deployment') throw new Error('the canary needs target.workload: deployment/<name>');
  const namespace = ctx.scenario.target.namespace ?? kube.namespace;
  const stableRef = { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, namespace };
  const stable = await kube.get<Deployment>(stableRef);
  if (!stable) throw new Error(`Deployment ${w.name} not found in namespace ${namespace}`);
  const serviceName = p.service ?? w.name;
  const svc = await kube.get<{ apiVersion: string; kind: string; spec?: { selector?: Record<string, string> } }>({ apiVersion: 'v1', kind: 'Service', name: serviceName, namespace });
  if (!svc) throw new Error(`Service ${serviceName} not found in namespace ${namespace} (set service: to the one in front of ${w.name})`);
  const selector = svc.spec?.selector ?? {};
  const template = newTemplate(stable.spec.template, p, ctx.scenario.file, namespace, ctx.scenario.vars);
  const labels = template.metadata?.labels ?? {};
  const missing = Object.entries(selector).filter(([k, v]) => labels[k] !== v);
  if (missing.length || !Object.keys(selector).length) {
    throw new Error(`the new pod template does not carry Service/${serviceName}'s selector (${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || 'none'}): the Service would not send it traffic`);
  }
  const router = routerFor(p.router.kind)!;
  const target: CanaryTarget = { namespace, stable: w.name, service: serviceName, template, runId: ctx.runId, router: p.router, readyTimeoutMs: p.readyTimeout };
  const config = analysisConfig(p);
  const steps = analysisSteps(p);
  const mark = (label: string, data?: Record<string, unknown>) => ctx.journal.append({ type: 'mark', step: id, label, ...(data ? { data } : {}) });
  const figure = (name: keyof typeof FIGURE_DEFINITIONS, value: number, unit: string, labels?: Record<string, string>) =>
    ctx.journal.append({ type: 'figure', step: id, name, value: Math.round(value * 1000) / 1000, unit, definition: FIGURE_DEFINITIONS[name], ...(labels ? { labels } : {}) });

  let traffic = new Attribution(p.versions);
  const unsubscribe = ctx.journal.subscribe((e: JournalEvent) => traffic.observe(e));
  let mode: AttributionMode = 'response-header';
  let probes: VersionProbes | undefined;
  const mine: string[] = [];
  let placement: Placement | undefined;
  /** Returns rollbackSeconds (undefined when the canary served nothing). */
  const rollback = async (why: Decision | string, asked: number | undefined): Promise<number | undefined> => {
    const td = ctx.clock.now();
    const reason = typeof why === 'string' ? why : why.reason;
    mark(`canary rollback decided${asked !== undefined ? ` at step ${asked} %` : ''}: ${reason}`, { ...(typeof why === 'string' ? { decision: 'rollback' } : decisionData(why)), ...(placement ? { weight: placement.effective } : {}) });
    ctx.progress(`canary: rollback: ${reason}`);
    // Gauntlet's own per-version probes stop at the decision: from here nothing is judged.
    await probes?.stop();
    const failed: string[] = [];
    for (const c of [...mine].reverse()) {
      const f = await ctx.changes.revertOne(c);
      if (f) failed.push(f.error);
    }
    const tz = ctx.clock.now();
    mark('canary removed', { weights: { stable: 100, canary: 0 } });
    // tr needs the traffic after the removal: wait (bounded) until stable-only traffic is seen.
    const until = Math.min(tz + 30_000, Math.max(ctx.deadline, tz + SETTLE_MS) + 5000);
    // (Not when the run is stopping: the load stops with it, there is nothing left to watch; nor
    // when the probes were the attribution: the load cannot tell versions apart.)
    while (ctx.clock.now() < until && !ctx.signal.aborted && mode === 'response-header') {
      const last = traffic.lastStableEnd() ?? -Infinity;
      if (last - Math.max(td, traffic.lastCanaryEnd ?? -Infinity) >= SETTLE_MS) break;
      await sleep(TICK_MS);
    }
    figure('promoted', 0, '');
    let rollbackSeconds: number | undefined;
    if (traffic.t0 !== undefined) {
      // No response can come from a canary pod that no longer exists: tr is at the latest tz.
      // With per-version Services the load's responses carry no version: tr is tz (an upper bound).
      const tr = mode === 'per-version-services' ? tz : Math.max(td, Math.min(traffic.lastCanaryEnd ?? td, tz));
      rollbackSeconds = (tr - traffic.t0) / 1000;
      figure('detectionSeconds', (td - traffic.t0) / 1000, 's');
      figure('rollbackSeconds', (tr - traffic.t0) / 1000, 's');
      figure('canaryGoneSeconds', (tz - traffic.t0) / 1000, 's');
      const errs = traffic.failuresBetween(traffic.t0, tr);
      const during = traffic.failuresOverlapping(td, tr);
      for (const v of new Set([...traffic.stable, ...(traffic.canary ? [traffic.canary] : [])])) {
        const labels = { version: v, role: traffic.stable.has(v) ? 'stable' : 'canary' };
        figure('errorsServed', errs[v] ?? 0, 'count', labels);
        figure('errorsDuringRollback', during[v] ?? 0, 'count', labels);
      }
      mark('canary figures (run clock, ms)', { t0: Math.round(traffic.t0), td: Math.round(td), tr: Math.round(tr), tz: Math.round(tz) });
    } else {
      mark('canary figures: the canary served no response (t0 undefined)', { td: Math.round(td), tz: Math.round(tz) });
    }
    if (failed.length) throw new Error(`rollback incomplete: ${failed.join('; ')}`);
    return rollbackSeconds;
  };

  const prepared: string[] = [];
  const probeUrls: { canary?: string } = {};
  try {
    // Routing set-up that keeps every request on stable (the load reaches stable through it).
    const onChange = (c: string) => (mine.push(c), prepared.push(c));
    if (router.needsVersionServices) target.versionServices = await createVersionServices(ctx, kube, target, onChange);
    if (router.prepare) await router.prepare(ctx, kube, target, onChange);
    if (router.prepare) traffic.resetUnversioned();
    // A baseline first: which versions stable serves (unless given), from traffic before the canary;
    // or, when its responses carry no version, attribution by Gauntlet's per-version probes.
    if (!p.versions?.stable && p.attribution !== 'services') {
      const until = Math.min(ctx.deadline, ctx.clock.now() + config.noTrafficSeconds * 1000);
      while (!attributionMode(p.attribution, traffic, ctx.clock.now()) && ctx.clock.now() < until && !ctx.signal.aborted) await sleep(TICK_MS, ctx.signal);
      if (ctx.signal.aborted) return;
      const found = attributionMode(p.attribution, traffic, ctx.clock.now());
      if (!found || (found === 'response-header' && !traffic.stable.size)) throw new Error(`no traffic with a version reaches stable within ${formatDuration(p.noTraffic)}: start the load before the canary (and check the service reports its version${traffic.unversioned.requests ? `: ${traffic.unversioned.requests} responses came back without one; attribution: services probes each version directly` : ''})`);
      mode = found;
    } else if (p.attribution === 'services') mode = 'per-version-services';
    if (mode === 'per-version-services') {
      target.versionServices ??= await createVersionServices(ctx, kube, target, onChange);
      const vs = target.versionServices;
      traffic = new Attribution({ stable: 'stable', canary: 'canary' }, { onlyStep: id });
      traffic.lock();
      probes = new VersionProbes(ctx, { rate: p.probes.rate, timeoutMs: p.probes.timeout });
      const path = new URL(ctx.scenario.target.url ?? 'http://x/').pathname;
      probes.start('stable', await serviceUrl(kube, namespace, vs.stable, vs.port, path));
      probeUrls.canary = await serviceUrl(kube, namespace, vs.canary, vs.port, path);
      mark(`canary attribution: by per-version Services (the responses carry no version): Gauntlet probes Service/${vs.stable} and Service/${vs.canary} directly at ${p.probes.rate} req/s each and judges those; the run's load measures the service as a whole`, { mode, stable: vs.stable, canary: vs.canary, rate: p.probes.rate });
    } else {
      traffic.lock();
      mark(`canary attribution: by the version the service reports (stable ${[...traffic.stable].join(', ')}${traffic.canary ? `, canary ${traffic.canary}` : ', canary = the first other version'})`, { mode: 'response-header', stable: [...traffic.stable], ...(traffic.canary ? { canary: traffic.canary } : {}) });
    }
    ctx.progress(`canary: stable serves ${[...traffic.stable].join(', ')}; creating the canary (${describeChange(p)})`);
    const started = await router.start(ctx, kube, target, steps[0] ?? 100);
    mine.push(...started.changes);
    placement = started.placement;

    for (const [i, asked] of steps.entries()) {
      if (i > 0) placement = await router.setWeight(ctx, kube, target, asked);
      mark(`canary weight ${placement.effective} %`, { weights: { stable: 100 - placement.effective, canary: placement.effective }, step: asked, ...placement });
      ctx.progress(`canary: step ${asked} % -> ${placement.effective} % of traffic${placement.canaryReplicas !== undefined ? ` (${placement.canaryReplicas} canary + ${placement.stableReplicas} stable replicas)` : ''}`);
      const analysis = new StepAnalysis(config);
      const stepStart = ctx.clock.now();
      let last: Decision | undefined;
      for (;;) {
        if (ctx.signal.aborted) return void (await rollback(`interrupted (${String(ctx.signal.reason ?? 'stopped')})`, asked));
        for (const s of traffic.drain()) {
          if (s.start < stepStart) continue;
          const sec = Math.floor((s.start - stepStart) / 1000);
          if (s.role === 'stable') analysis.add(sec, s.second, undefined);
          else analysis.add(sec, undefined, s.second);
        }
        const now = ctx.clock.now();
        const pods = await router.pods(kube, target);
        // The canary's probes start once it can answer (a Service without endpoints refuses).
        if (probes && !probes.has('canary') && pods.some((x) => x.ready) && (await readyEndpoints(kube, namespace, target.versionServices!.canary))) probes.start('canary', probeUrls.canary!);
        const d = analysis.judge((now - stepStart) / 1000, health(pods));
        if (d.kind !== 'rollback' && (!last || last.kind !== d.kind || last.check !== d.check || d.elapsed - last.elapsed >= 10)) {
          mark(`canary ${d.kind}: ${d.reason}`, { step: asked, ...decisionData(d) });
          last = d;
        }
        if (d.kind === 'rollback') {
          const seconds = await rollback(d, asked);
          if (p.expect === 'promote') throw new Error(`canary rolled back at step ${asked} %: ${d.reason}`);
          // A drill: the analysis caught the version and it went back; the gates judge how well.
          const within = seconds === undefined || seconds <= p.rollbackWithin / 1000;
          figure('settled', within ? 1 : 0, '');
          mark(`canary release settled: rolled back${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ' before serving anything'} (${within ? 'within' : 'over'} rollbackWithin ${formatDuration(p.rollbackWithin)})`);
          return;
        }
        if (d.kind === 'advance') break;
        if (now >= ctx.deadline - 5000) {
          await rollback(`the scenario ends before the canary was judged (step ${asked} %)`, asked);
          throw new Error(`canary rolled back at step ${asked} %: out of time`);
        }
        await sleep(TICK_MS);
      }
    }

    // Promotion: roll stable to the new template, wait until available, remove the canary.
    await probes?.stop();
    mark('canary promoting: stable rolls to the new version');
    ctx.progress(`canary: promoting Deployment/${w.name}`);
    if (router.beforePromotion) await router.beforePromotion(ctx, kube, target);
    const before = (await kube.get<Deployment>(stableRef))!;
    const forward = mergeDiff(before.spec.template, template);
    await ctx.changes.apply(
      id,
      {
        description: `promote: roll Deployment/${w.name} in ${namespace} to the new template (${describeChange(p)})`,
        revert: { kind: 'canary-promotion', ref: stableRef, templatePatch: mergeDiff(template, before.spec.template), runId: target.runId, keep: p.afterPromotion === 'keep' },
      },
      async () => {
        mine.push(ctx.changes.outstanding.at(-1)!);
        await kube.patch({ ...stableRef, metadata: { name: w.name, namespace }, spec: { template: forward } } as never);
      },
    );
    const promoteStart = ctx.clock.now();
    const until = Math.min(ctx.deadline, promoteStart + p.promotionTimeout);
    for (;;) {
      if (ctx.signal.aborted) return void (await rollback(`interrupted during promotion (${String(ctx.signal.reason ?? 'stopped')})`, 100));
      const cur = await kube.get<Deployment>(stableRef);
      if (cur && available(cur)) break;
      if (ctx.clock.now() > until) {
        const why = until < promoteStart + p.promotionTimeout ? 'before the scenario ends' : `within promotionTimeout ${formatDuration(p.promotionTimeout)}`;
        await rollback(`promotion: Deployment/${w.name} not available after ${formatDuration(ctx.clock.now() - promoteStart)} (${why})`, 100);
        throw new Error(`canary rolled back: promotion did not complete ${why}`);
      }
      await sleep(500);
    }
    await kube.patch({ ...stableRef, metadata: { name: w.name, namespace, annotations: { [PROMOTED_ANNOTATION]: target.runId } } } as never);
    for (const c of [...prepared, ...started.changes].reverse()) await ctx.changes.revertOne(c);
    const done = ctx.clock.now();
    if (traffic.t0 !== undefined) {
      figure('promotionSeconds', (done - traffic.t0) / 1000, 's');
      const errs = traffic.failuresBetween(traffic.t0, done);
      for (const v of new Set([...traffic.stable, ...(traffic.canary ? [traffic.canary] : [])])) figure('errorsServed', errs[v] ?? 0, 'count', { version: v, role: traffic.stable.has(v) ? 'stable' : 'canary' });
    }
    figure('promoted', 1, '');
    figure('settled', 1, '');
    mark(`canary promoted: Deployment/${w.name} runs the new version${p.afterPromotion === 'revert' ? ' (put back at the end: afterPromotion revert)' : ''}`, { weights: { stable: 0, canary: 100 } });
    ctx.progress('canary: promoted');
  } catch (e) {
    // Whatever went wrong, the same path: out of rotation, then removed (no-op if already done).
    if (mine.some((c) => ctx.changes.outstanding.includes(c)) && !/^canary rolled back/.test((e as Error).message)) {
      await rollback(`error: ${(e as Error).message}`, undefined).catch(() => undefined);
    }
    throw e;
  } finally {
    await probes?.stop();
    unsubscribe();
  }
}

export function planLines(step: StepOf<Params>, scenario: Scenario): string[] {
  const p = step.params;
  const c = analysisConfig(p);
  const steps = analysisSteps(p);
  const r = routerFor(p.router.kind)!;
  const wl = scenario.target.workload ? `${scenario.target.workload.kind}/${scenario.target.workload.name}` : 'target.workload';
  const b = sprtBounds(c.test);
  const perStep = c.readyTimeoutSeconds + c.maxStepSeconds;
  const svc = p.service ?? scenario.target.workload?.name ?? '?';
  const rt = p.router;
  const routing =
    rt.kind === 'httproute'
      ? [
          `canary of ${wl} (router httproute): a new Deployment with ${describeChange(p)}, and Services ${svc}-stable (stable's pods only: Service/${svc}'s selector + pod-template-hash) and ${svc}-canary (canary pods only); stable untouched until promotion`,
          rt.route
            ? `HTTPRoute/${rt.route} (existing; its spec journaled and put back exactly): every backendRef to Service/${svc} split into ${svc}-stable / ${svc}-canary`
            : `HTTPRoute/${svc}-gauntlet created on Gateway ${rt.parentRef!.namespace ? `${rt.parentRef!.namespace}/` : ''}${rt.parentRef!.name}, path ${rt.path ?? `/${scenario.target.namespace ?? '<namespace>'}/${svc}`}${rt.hostnames?.length ? `, hostnames ${rt.hostnames.join(', ')}` : ''} (marked with the run id, removed at the end): ${svc}-stable / ${svc}-canary`,
          `steps: ${steps.map((s) => `${s} %`).join(' → ')} → promote. Weights (per mille of the Service's share) exact, independent of replicas: ${steps.map((w) => { const ws = weights(w); return `${w} % → stable ${ws.stable} / canary ${ws.canary}`; }).join(', ')}`,
          `canary replicas max(1, ceil(S × w / 100)) (capacity follows the weight), with S=3: ${steps.map((w) => `${w} % → ${r.planWeight(w, 3).canaryReplicas}`).join(', ')}`,
        ]
      : [
          `canary of ${wl} behind Service/${svc} (router replicas): a new Deployment with ${describeChange(p)}, carrying the Service's selector labels; stable untouched until promotion`,
          `steps: ${steps.map((s) => `${s} %`).join(' → ')} → promote. Replicas C = max(1, round(S × w / (100 − w))) on top of the S stable replicas (read at run time), traffic C / (S + C):`,
          ...[3, 10].map((s) => `  with S=${s}: ${steps.map((w) => { const pl = r.planWeight(w, s); return `${w} % → ${pl.canaryReplicas} canary (${pl.effective} %)`; }).join(', ')}`),
        ];
  const out = rt.kind === 'httproute' ? 'canary weight 0 in the route at once, then its pods killed with grace 0 and deleted, the route put back' : 'replicas 0, pods killed with grace 0';
  return [
    ...routing,
    `judged every ${TICK_MS} ms on the run's traffic per version: error rate ≤ min(${formatPct(c.thresholds.maxErrorRate)}, stable + ${Number((c.thresholds.maxErrorRateIncrease * 100).toFixed(2))} points); p99 ≤ min(${c.thresholds.maxP99Ms} ms, max(${c.thresholds.maxP99Ratio} × stable, stable + ${c.thresholds.p99SlackMs} ms))`,
    `test: SPRT per step (alpha ${c.test.alpha}, beta ${c.test.beta}, H1 = ${c.test.effect} × limit): rollback at llr ≥ ${b.upper.toFixed(2)} (at least ${Math.ceil(b.upper / Math.log(c.test.effect))} canary failures), healthy at llr ≤ ${b.lower.toFixed(2)} and ≥ ${c.test.minRequests} requests and ${c.minStepSeconds} s`,
    c.rank
      ? `latency rank test: Mann-Whitney U (one-sided, tie-corrected on the windows' buckets) canary vs stable × ${c.rank.ratio} + ${c.rank.slackMs} ms in the same seconds: rollback at z ≥ ${rankCriticalZ(c.rank).toFixed(2)} (alpha ${c.rank.alpha} per step over ${c.rank.looks} looks)`
      : 'latency rank test: off (rank: false)',
    p.attribution === 'services'
      ? `attribution: per-version Services (${svc}-stable, ${svc}-canary) probed directly at ${p.probes.rate} req/s each; the load measures the whole`
      : `attribution: the version the service reports${p.attribution === 'auto' ? `; if its responses carry none, per-version Services probed directly at ${p.probes.rate} req/s each` : ''}`,
    `failures also: pod restarts > ${c.maxRestarts}, a pod not Ready after ${c.readyTimeoutSeconds} s, no canary request for ${c.noTrafficSeconds} s; a step undecided after ${c.maxStepSeconds} s takes the more likely answer`,
    `worst case to a rollback decision: ${perStep} s per step (ready deadline + max step), ${perStep * steps.length} s over ${steps.length} step(s); on the decision the canary leaves rotation at once (${out}) and is deleted`,
    `promotion: roll ${wl} to the new template, wait up to ${formatDuration(p.promotionTimeout)} until available, remove the canary; ${p.afterPromotion === 'keep' ? 'the promotion is kept' : 'stable is put back at the end'}`,
    p.expect === 'promote' ? 'passes when promoted (gate promoted >= 1): a rollback fails the run'
      : p.expect === 'rollback' ? 'a drill: passes when the analysis rolls it back (gate promoted <= 0); a promotion fails the run'
      : `passes when promoted, or rolled back by the analysis within ${formatDuration(p.rollbackWithin)} (gate settled >= 1)`,
    'figures: detectionSeconds, rollbackSeconds, canaryGoneSeconds, errorsServed per version, promotionSeconds (definitions in docs/canary.md)',
  ];
}

registerStep({
  kind: 'canary',
  sections: ['release'],
  summary: 'release a new version as a canary under the run’s load, judged every second, promoted or rolled back',
  params: params as unknown as z.ZodType<Params>,
  needsCluster: true,
  check(step, scenario) {
    const issues: Array<[Array<string | number>, string]> = [];
    const w = scenario.target.workload;
    if (!w || w.kind.toLowerCase() !== 'deployment') issues.push([[], 'the canary needs target.workload: deployment/<name>']);
    if (step.params.manifest) {
      try {
        readManifests([step.params.manifest], scenario.file, scenario.target.namespace, scenario.vars ?? {});
      } catch (e) {
        issues.push([['manifest'], `cannot read ${step.params.manifest}: ${(e as Error).message.split('\n')[0]}`]);
      }
    }
    return issues;
  },
  /** A release is judged by whether it went out (or, in a drill, by whether it came back in time). */
  async gates(step) {
    const e = step.params.expect;
    if (e === 'rollback') return [{ name: `${step.id}-rolled-back`, metric: 'promoted', step: step.id, max: 0 }];
    if (e === 'either') return [{ name: `${step.id}-settled`, metric: 'settled', step: step.id, min: 1 }];
    return [{ name: `${step.id}-promoted`, metric: 'promoted', step: step.id, min: 1 }];
  },
  plan: planLines,
  run,
});
