/**
 * Synthetic run journals for report tests, the browser test and the report benchmark: a canary
 * (v1 stable, v2 canary) under 1 s load windows and probe samples, with one fault window,
 * release marks, a rollback figure and journaled changes. Deterministic (seeded).
 */
import type { JournalEvent, NewEvent } from '../core/events.ts';
import type { GateSpec } from '../core/gates.ts';
import type { SloSpec } from '../core/scenario.ts';
import { Histogram } from '../core/histogram.ts';

export interface SyntheticOptions {
  /** Run length, s. */
  seconds?: number;
  /** Fault window, s. Defaults to the middle third of the run. */
  fault?: { start: number; end: number };
  /** Probe samples per second (spread over both versions). */
  samplesPerSecond?: number;
  /** Requests per 1 s load window, per version at full weight. */
  rps?: number;
  /** Latency values recorded per window histogram (more = more buckets). */
  latencyDraws?: number;
  gates?: GateSpec[];
  /** Extra mark events, for stressing the timeline. */
  extraMarks?: number;
  /** The service's SLO (scenario slo:), for error-budget reports. */
  slo?: SloSpec;
  /** Another release's run of the same scenario (for comparisons): run id, and failure rates scaled by this. */
  variant?: { runId: string; failScale: number; rollbackSeconds?: number };
}

export const FIXTURE_GATES: GateSpec[] = [
  { name: 'errors-during-fault', metric: 'error_rate', phase: 'during', max: 0.05 },
  { name: 'canary-errors', metric: 'error_rate', where: { version: 'v2' }, max: 0.01 },
  { name: 'p99-latency', metric: 'latency_p99', max: 800 },
  { name: 'rollback-time', metric: 'rollbackSeconds', max: 30 },
];

/** A small LCG: the same journal on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export function syntheticJournal(opts: SyntheticOptions = {}): JournalEvent[] {
  const secs = opts.seconds ?? 120;
  const fault = opts.fault ?? { start: Math.floor(secs / 3), end: Math.floor((2 * secs) / 3) };
  const sps = opts.samplesPerSecond ?? 2;
  const rps = opts.rps ?? 50;
  const draws = opts.latencyDraws ?? 40;
  const rand = rng(42);
  const epochMs = Date.UTC(2025, 0, 15, 9, 30, 0);
  const events: JournalEvent[] = [];
  const push = (e: NewEvent, tMs: number) => {
    const t = Math.round(tMs);
    events.push({ ...e, v: 1, seq: events.length, t, wall: new Date(epochMs + t).toISOString() } as JournalEvent);
  };

  push(
    {
      type: 'run.start',
      runId: opts.variant?.runId ?? 'run-20250115-093000-abcd',
      epochMs,
      scenario: {
        name: 'checkout canary under zone loss',
        file: 'scenarios/checkout.ts',
        description: 'Shift 10% to v2, lose a zone, expect a rollback',
        target: { namespace: 'shop', workload: { kind: 'Deployment', name: 'checkout' }, url: 'https://ci:hunter2@checkout.shop.svc' },
        duration: secs * 1000,
        seed: 7,
        steps: [
          { id: 'load', kind: 'constantRate', section: 'load', at: 0, duration: secs * 1000, params: { rate: rps, headers: { Authorization: 'Bearer abc.def.ghi' } }, source: { file: 'scenarios/checkout.ts' } },
          { id: 'zone-loss', kind: 'zoneOutage', section: 'faults', at: fault.start * 1000, duration: (fault.end - fault.start) * 1000, params: { zone: 'b', apiToken: 's3cr3t' }, source: { file: 'scenarios/checkout.ts' } },
        ],
        gates: opts.gates ?? FIXTURE_GATES,
        ...(opts.slo ? { slo: opts.slo } : {}),
      },
      provenance: {
        tool: { name: 'gauntlet', version: '0.1.0' },
        node: 'v24.9.0',
        tools: { k6: 'v1.3.0', kubectl: 'v1.34.1' },
        scenario: { file: 'scenarios/checkout.ts', name: 'checkout canary under zone loss', sha256: 'e3b0c44298fc1c149afbf4c8996fb924', git: { commit: '1a2b3c4d5e6f', dirty: false } },
        kube: { context: 'kind-gauntlet', server: 'https://127.0.0.1:6443', namespace: 'shop' },
        seed: 7,
        host: 'ci-runner-3',
      },
    },
    0,
  );
  push({ type: 'step.start', step: 'load', kind: 'constantRate', section: 'load' }, 5);
  push({ type: 'mark', step: 'release', label: 'canary weight 10%', data: { version: 'v2', weight: 10 } }, 10_000);
  push({ type: 'change.intent', id: 'c1', step: 'zone-loss', description: 'cordon nodes in zone b', revert: { kind: 'uncordon', nodes: ['n1'] } }, fault.start * 1000 - 1);
  push({ type: 'change.applied', id: 'c1' }, fault.start * 1000);
  push({ type: 'fault.start', step: 'zone-loss', kind: 'zoneOutage', target: 'zone b' }, fault.start * 1000);
  const extra = opts.extraMarks ?? 0;
  for (let i = 0; i < extra; i++) push({ type: 'mark', step: 'release', label: `weight check ${i} token=abc${i}` }, ((i + 0.5) / extra) * secs * 1000);

  for (let s = 0; s < secs; s++) {
    const during = s >= fault.start && s < fault.end;
    const canaryWeight = s < 10 ? 0 : s < fault.start + 12 ? 0.1 : 0;
    for (const [version, weight] of [['v1', 1 - canaryWeight], ['v2', canaryWeight]] as const) {
      if (weight === 0) continue;
      const requests = Math.round(rps * weight) || 1;
      const failRate = (during ? (version === 'v2' ? 0.3 : 0.02) : 0.001) * (opts.variant?.failScale ?? 1);
      const failures = Math.round(requests * failRate * (0.5 + rand()));
      const h = new Histogram();
      const base = during ? 180 : 45;
      for (let i = 0; i < draws; i++) h.record(base * (0.6 + rand()) + (rand() < 0.02 ? base * 6 : 0), requests / draws);
      push(
        { type: 'window', step: 'load', start: s * 1000, end: (s + 1) * 1000, labels: { version }, requests, failures: Math.min(failures, requests), latency: h.toJSON(), targetRate: rps * weight },
        (s + 1) * 1000,
      );
    }
    for (let i = 0; i < sps; i++) {
      const t = s * 1000 + ((i + 0.5) / sps) * 1000;
      const ok = !(during && rand() < 0.05);
      push({ type: 'sample', step: 'probe', ok, status: ok ? 200 : 503, ms: (during ? 150 : 40) * (0.7 + rand()), labels: { version: 'v1' } }, t);
    }
    if (s === fault.start + 12) {
      push({ type: 'mark', step: 'release', label: 'rollback: 100% on stable', data: { version: 'v1', weight: 100 } }, s * 1000 + 500);
      push({ type: 'figure', step: 'release', name: 'rollbackSeconds', value: opts.variant?.rollbackSeconds ?? 12.5, unit: 's', definition: 'fault onset to 100% of traffic on stable' }, s * 1000 + 500);
    }
  }
  push({ type: 'fault.end', step: 'zone-loss' }, fault.end * 1000);
  push({ type: 'change.reverted', id: 'c1' }, fault.end * 1000 + 1);
  push({ type: 'log', level: 'warn', step: 'probe', msg: 'probe saw 503 with header authorization: Bearer sk_live_abcdef123456' }, fault.end * 1000 + 2);
  push({ type: 'step.end', step: 'load', ok: true }, secs * 1000 + 10);
  push({ type: 'run.end', status: 'completed' }, secs * 1000 + 20);
  // Writers stamp events in time order; keep the synthetic journal that way too.
  events.sort((a, b) => a.t - b.t || a.seq - b.seq);
  events.forEach((e, i) => (e.seq = i));
  return events;
}
