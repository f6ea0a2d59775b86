/**
 * deploy: roll manifests out all at once (no canary) and wait until they are available. The
 * baseline release strategy, and how a scenario brings its own fixture (a demo service) into a
 * namespace. Each object is journaled before it is applied: one that did not exist is deleted on
 * revert, one that did is put back as it was.
 *
 * Figure: rolloutSeconds = apply to every Deployment/StatefulSet/DaemonSet fully available.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { registerReverter } from '../../core/changes.ts';
import { REDACTED } from '../../core/redact.ts';
import { formatDuration } from '../../core/duration.ts';
import type { Kube } from '../../core/kube.ts';
import { sleep } from '../../core/proc.ts';
import { parseYamlDocs } from '../../core/source.ts';
import { duration } from '../../core/fields.ts';
import { registerStep } from '../../core/steps.ts';
import { substituteFileText, type Vars } from '../../core/vars.ts';

const params = z.strictObject({
  /** Manifest files (multi-document YAML), relative to the scenario file. */
  manifests: z.array(z.string().min(1)).min(1),
  /** How long to wait for workloads to become available. */
  timeout: duration.default(180_000),
});
type Params = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'deploy': Params;
  }
}


type Obj = KubernetesObject & { metadata: { name: string; namespace?: string }; spec?: Record<string, unknown>; status?: Record<string, number | undefined> };

const ROLLED = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass', 'StorageClass', 'CustomResourceDefinition']);

/**
 * The manifests' objects, namespaced ones without a namespace put in `namespace`. With `vars` (the
 * scenario's variables), `${name}` in the manifest text is replaced first, as in the scenario.
 */
export function readManifests(files: string[], scenarioFile: string, namespace: string | undefined, vars?: Vars): Obj[] {
  const objs: Obj[] = [];
  for (const f of files) {
    const path = resolve(dirname(scenarioFile), f);
    const raw = readFileSync(path, 'utf8');
    const text = vars ? substituteFileText(raw, f, vars) : raw;
    // core/source.ts: syntax errors and alias bombs are located input errors; empty documents are skipped.
    for (const d of parseYamlDocs(text, f)) {
      const o = d.toJS() as Obj;
      if (!CLUSTER_SCOPED.has(o.kind!) && !o.metadata.namespace && namespace) o.metadata.namespace = namespace;
      objs.push(o);
    }
  }
  return objs;
}

const ref = (o: Obj) => ({ apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });
const label = (o: Obj) => `${o.kind}/${o.metadata.name}${o.metadata.namespace ? ` in ${o.metadata.namespace}` : ''}`;

/** Strip what the server owns, so a saved object can be applied back. */
function restorable(o: Obj): Obj {
  const { metadata, status: _status, ...rest } = o as Obj & { metadata: Record<string, unknown> };
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, managedFields: _mf, generation: _g, ...meta } = metadata as Record<string, unknown>;
  return { ...rest, metadata: meta } as unknown as Obj;
}

/** Annotation on every object a run creates: recover deletes nothing that lacks it. */
export const RUN_MARK = 'gauntlet.dev/run-id';

/** A Secret as the journal may keep it: everything but its data. */
function withoutSecretData(o: Obj): Obj {
  if (o.kind !== 'Secret') return o;
  const { data: _d, stringData: _s, ...rest } = o as Obj & { data?: unknown; stringData?: unknown };
  return rest as Obj;
}

registerReverter('deploy', async (spec, env) => {
  const r = spec.ref as ReturnType<typeof ref>;
  if (spec.previous && (spec.secretDataOmitted || JSON.stringify(spec.previous).includes(REDACTED))) {
    throw new Error(`${r.kind}/${r.name} was replaced and its previous data never reached the journal (secrets never do): restore it from your own source`);
  }
  const kube = (await env.kube()) as Kube;
  if (spec.previous) {
    await kube.apply(spec.previous as Obj);
    return;
  }
  const live = await kube.get<Obj>(r);
  if (!live) return 'noop';
  const mark = (live.metadata as { annotations?: Record<string, string> }).annotations?.[RUN_MARK];
  if (!spec.runId || mark !== spec.runId) {
    throw new Error(`${r.kind}/${r.name}${r.namespace ? ` in ${r.namespace}` : ''} does not carry ${RUN_MARK}=${String(spec.runId)} (it has ${mark ?? 'no mark'}): not this run's, left in place`);
  }
  if ((await kube.delete(r)) === 'absent') return 'noop';
  // Leave the cluster as we found it: wait (bounded) until the object is really gone, so a
  // namespace is not still Terminating when the next run starts.
  for (let i = 0; i < 240 && (await kube.get(r)); i++) await sleep(250);
});

function available(o: Obj): boolean {
  const s = o.status ?? {};
  const gen = (o.metadata as { generation?: number }).generation ?? 0;
  if ((s.observedGeneration ?? 0) < gen) return false;
  if (o.kind === 'DaemonSet') return (s.numberAvailable ?? 0) === (s.desiredNumberScheduled ?? -1);
  const want = (o.spec?.replicas as number | undefined) ?? 1;
  return (s.updatedReplicas ?? 0) === want && (s.availableReplicas ?? 0) === want && (s.replicas ?? 0) === want;
}

registerStep({
  kind: 'deploy',
  sections: ['release'],
  summary: 'apply manifests all at once, wait until available, remove or restore them at the end',
  params,
  needsCluster: true,
  produces: () => ({ traffic: false, labels: [], figures: ['rolloutSeconds'] }),
  check(step, scenario) {
    const issues: Array<[Array<string | number>, string]> = [];
    step.params.manifests.forEach((f, i) => {
      try {
        readManifests([f], scenario.file, scenario.target.namespace, scenario.vars ?? {});
      } catch (e) {
        issues.push([['manifests', i], `cannot read ${f}: ${(e as Error).message.split('\n')[0]}`]);
      }
    });
    return issues;
  },
  plan(step, scenario) {
    const objs = readManifests(step.params.manifests, scenario.file, scenario.target.namespace, scenario.vars ?? {});
    return [...objs.map((o) => `apply ${label(o)} (server-side; removed or restored at the end)`), `wait up to ${formatDuration(step.params.timeout)} for workloads to be available; record rolloutSeconds`];
  },
  async run(ctx) {
    const kube = await ctx.kube();
    const objs = readManifests(ctx.step.params.manifests, ctx.scenario.file, ctx.scenario.target.namespace ?? kube.namespace, ctx.scenario.vars ?? {});
    const t0 = ctx.clock.now();
    for (const o of objs) {
      const before = await kube.get<Obj>(ref(o));
      const previous = before ? restorable(before) : undefined;
      const revert = { kind: 'deploy', ref: ref(o), runId: ctx.runId, ...(previous ? { previous } : {}) };
      // What the run creates carries its mark; what it replaces is put back as it was.
      const applied = before ? o : { ...o, metadata: { ...o.metadata, annotations: { ...(o.metadata as { annotations?: Record<string, string> }).annotations, [RUN_MARK]: ctx.runId } } };
      await ctx.changes.apply(
        ctx.step.id,
        {
          description: `${before ? 'update' : 'create'} ${label(o)}`,
          revert,
          ...(previous?.kind === 'Secret' ? { journaledRevert: { ...revert, previous: withoutSecretData(previous), secretDataOmitted: true } } : {}),
        },
        () => kube.apply(applied),
      );
    }
    const rolled = objs.filter((o) => ROLLED.has(o.kind!));
    const deadline = Math.min(ctx.deadline, t0 + ctx.step.params.timeout);
    while (!ctx.signal.aborted) {
      const states = await Promise.all(rolled.map((o) => kube.get<Obj>(ref(o))));
      if (states.every((s) => s && available(s))) {
        const seconds = Math.round(ctx.clock.now() - t0) / 1000;
        ctx.journal.append({ type: 'figure', step: ctx.step.id, name: 'rolloutSeconds', value: seconds, unit: 's', definition: 'apply to every workload fully available (polled every 500 ms)' });
        ctx.journal.append({ type: 'mark', step: ctx.step.id, label: `deployed ${rolled.map(label).join(', ') || `${objs.length} object(s)`}` });
        ctx.progress(`deployed in ${seconds}s`);
        return;
      }
      if (ctx.clock.now() > deadline) throw new Error(`not available after ${formatDuration(ctx.step.params.timeout)}: ${rolled.filter((_, i) => !(states[i] && available(states[i]!))).map(label).join(', ')}`);
      await sleep(500, ctx.signal);
    }
  },
});
