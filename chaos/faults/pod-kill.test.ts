/**
 * pod-kill against an in-memory cluster: PDB-blocked evictions retried within the window, a
 * fault that never took effect journaled as such (and never a pass), victims from the run's
 * seed, bare pods refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeLedger } from '../../core/changes.ts';
import type { JournalEvent } from '../../core/events.ts';
import { evaluateGates } from '../../core/gates.ts';
import { Journal } from '../../core/journal.ts';
import type { Kube } from '../../core/kube.ts';
import { defaultOptions } from '../../core/options.ts';
import type { Scenario, Step } from '../../core/scenario.ts';
import { stepKind, type StepContext } from '../../core/steps.ts';
import './pod-kill.ts';

const pod = (name: string, owned = true) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, uid: `uid-${name}`, namespace: 'shop', ...(owned ? { ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', uid: 'rs', apiVersion: 'apps/v1', controller: true }] } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
});

function fakeKube(pods: ReturnType<typeof pod>[], evict: (name: string, attempt: number) => 'evicted' | 'blocked') {
  const attempts = new Map<string, number>();
  const calls: string[] = [];
  const kube = {
    context: 'fake', server: 'fake', namespace: 'shop', kubeconfig: '',
    async list() {
      return { items: pods, resourceVersion: '1' };
    },
    async evict({ name }: { name: string }) {
      const n = (attempts.get(name) ?? 0) + 1;
      attempts.set(name, n);
      calls.push(`evict ${name}`);
      return evict(name, n);
    },
    async delete({ name }: { name: string }) {
      calls.push(`delete ${name}`);
      return 'deleted';
    },
  };
  return { kube: kube as unknown as Kube, calls };
}

async function runPodKill(kube: Kube, opts: { seed?: number; runId?: string; window?: number; params?: Record<string, unknown> } = {}): Promise<JournalEvent[]> {
  const journal = Journal.create(join(mkdtempSync(join(tmpdir(), 'gauntlet-podkill-')), 'journal.ndjson'));
  const events: JournalEvent[] = [];
  journal.subscribe((e) => events.push(e));
  const kind = stepKind('pod-kill')!;
  const step: Step = { id: 'kill', kind: 'pod-kill', section: 'faults', at: 0, duration: opts.window ?? 300, params: kind.params.parse({ selector: 'app=shop', namespace: 'shop', evictionRetry: '50ms', ...opts.params }), source: { file: 't.yaml' } } as Step;
  const scenario: Scenario = { name: 't', file: 't.yaml', target: { namespace: 'shop' }, duration: 10_000, seed: opts.seed ?? 7, steps: [step], gates: [] };
  const ctx: StepContext = {
    runId: opts.runId ?? 'run-1', step, scenario, journal, clock: journal.clock, signal: new AbortController().signal,
    deadline: journal.clock.now() + (opts.window ?? 300), options: defaultOptions({}), changes: new ChangeLedger(journal, { kube: async () => kube }),
    runDir: '', kube: async () => kube, progress: () => {},
  };
  try {
    await kind.run(ctx);
  } finally {
    journal.close();
  }
  return events;
}

describe('pod-kill', () => {
  it('a fault a PDB blocks for the whole window is retried, journaled as never in effect, and never passes a "during" gate', async () => {
    const { kube, calls } = fakeKube([pod('a'), pod('b')], () => 'blocked');
    // A 2 s window with 50 ms retries: at least one retry even on a heavily loaded machine.
    const events = await runPodKill(kube, { window: 2000 });
    expect(calls.length).toBeGreaterThanOrEqual(2); // retried, as kubectl drain does
    expect(events.some((e) => e.type === 'fault.start')).toBe(false);
    expect(events.find((e) => e.type === 'fault.ineffective')).toMatchObject({ step: 'kill', reason: expect.stringMatching(/PodDisruptionBudget/) });
    const v = evaluateGates([...events, { v: 1, seq: 999, t: 400, wall: '', type: 'figure', step: 'x', name: 'f', value: 1, unit: '' }], [{ name: 'during ok', metric: 'error_rate', phase: 'during', max: 1 }]);
    expect(v.verdict).not.toBe('pass');
    expect(v.reasons.join()).toMatch(/never took effect/);
  });

  it('an eviction a PDB blocks at first goes through on a retry, and the window opens then', async () => {
    const { kube, calls } = fakeKube([pod('a')], (_n, attempt) => (attempt < 3 ? 'blocked' : 'evicted'));
    const events = await runPodKill(kube, { window: 2000 });
    expect(calls).toEqual(['evict a', 'evict a', 'evict a']);
    expect(events.some((e) => e.type === 'fault.start')).toBe(true);
    expect(events.some((e) => e.type === 'fault.ineffective')).toBe(false);
  });

  it('refuses bare pods (no controller) instead of deleting them for good', async () => {
    const { kube, calls } = fakeKube([pod('a'), pod('lonely', false)], () => 'evicted');
    await expect(runPodKill(kube, { params: { respectPdb: false } })).rejects.toThrow(/lonely/);
    expect(calls).toEqual([]);
  });

  it('victims follow the run\'s seed, not the clock', async () => {
    const pods = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => pod(n));
    const victims = async (seed: number, runId: string) => {
      const { kube, calls } = fakeKube(pods, () => 'evicted');
      await runPodKill(kube, { seed, runId, window: 20 });
      return calls;
    };
    const first = await victims(42, 'r1');
    await new Promise((r) => setTimeout(r, 30));
    expect(await victims(42, 'r2')).toEqual(first);
    const others = new Set<string>();
    for (const seed of [1, 2, 3, 4, 5]) others.add((await victims(seed, `s${seed}`)).join());
    expect(others.size).toBeGreaterThan(1);
  });
});
