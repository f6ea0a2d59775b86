import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../core/histogram.ts';
import { decodeRemoteWrite, type TimeSeries } from './remote-write.ts';
import { PushDiffer, type Window } from './windows.ts';

/** Every push of one real k6 v1.1.0 run on loopback (test/support/record-remote-write.ts). */
const fixture = JSON.parse(readFileSync(new URL('./fixtures/remote-write.json', import.meta.url), 'utf8')) as {
  summary: { requests: number; failures: number; dropped: number };
  pushes: Array<{ receivedAt: number; body: string }>;
};
const pushes: TimeSeries[][] = fixture.pushes.map((p) => decodeRemoteWrite(Buffer.from(p.body, 'base64')));
const differ = () => new PushDiffer({ durationMetric: 'k6_gauntlet_req_seconds', graceMs: 400 });
const sum = (ws: Window[], f: (w: Window) => number) => ws.reduce((a, w) => a + f(w), 0);

function replay(list: TimeSeries[][], d = differ()): { d: PushDiffer; windows: Window[] } {
  const windows: Window[] = [];
  for (const p of list) d.push(p);
  windows.push(...d.end());
  return { d, windows };
}

describe('remote-write pushes → 1 s windows', () => {
  it("differences k6's cumulative pushes into windows whose totals equal k6's own summary", () => {
    const { d, windows } = replay(pushes);
    expect(d.totals).toEqual(fixture.summary);
    expect(sum(windows, (w) => w.requests)).toBe(fixture.summary.requests);
    expect(sum(windows, (w) => w.failures)).toBe(fixture.summary.failures);
    expect(sum(windows, (w) => w.dropped)).toBe(fixture.summary.dropped);
    expect(d.restarts).toBe(0);
  });

  it('splits by stage and version, counts failures by cause, keeps latency of successes only', () => {
    const { windows } = replay(pushes);
    expect(new Set(windows.map((w) => w.stage))).toEqual(new Set(['steady', 'tight']));
    expect(new Set(windows.filter((w) => w.requests).map((w) => w.version))).toEqual(new Set(['v1', 'v2']));
    // The fixture's server answers 503 to every 5th fast request: all failures are HTTP 5xx.
    expect(sum(windows, (w) => w.causes['http-5xx'] ?? 0)).toBe(fixture.summary.failures);
    for (const w of windows) expect(w.latency.n).toBe(w.requests - w.failures);
    expect(windows.every((w) => w.latency.n === 0 || w.latency.schema === 3)).toBe(true);
    // Dropped iterations only in the scenario that could not keep its rate, on version-less windows.
    expect(sum(windows.filter((w) => w.stage === 'tight' && w.version === undefined), (w) => w.dropped)).toBe(fixture.summary.dropped);
    // /slow answers after 100 ms: the tight stage's median sits in the schema-3 bucket around it.
    const slow = new Histogram();
    for (const w of windows.filter((x) => x.stage === 'tight')) slow.merge(w.latency);
    expect(slow.quantile(0.5)!).toBeGreaterThan(95);
    expect(slow.quantile(0.5)!).toBeLessThan(110);
  });

  it('ignores the staleness push k6 sends when it stops (stale NaN samples, histograms repeated unchanged)', () => {
    const last = pushes.at(-1)!;
    expect(last.length).toBeGreaterThan(0);
    expect(last.every((s) => s.samples.length === 0)).toBe(true);
    expect(replay(pushes.slice(0, -1)).d.totals).toEqual(fixture.summary);
  });

  it('a lost push loses nothing: the next push carries it, in the later second', () => {
    const all = replay(pushes).windows;
    const k = 3;
    const { d, windows } = replay(pushes.filter((_, i) => i !== k));
    expect(d.totals).toEqual(fixture.summary);
    expect(sum(windows, (w) => w.requests)).toBe(sum(all, (w) => w.requests));
    // What the lost push carried moved to a second no earlier than its own.
    const first = (ws: Window[]) => Math.min(...ws.map((w) => w.sec));
    expect(first(windows)).toBe(first(all));
  });

  it('a series restart (k6 started again, counts from zero) is detected and counted from zero', () => {
    const { d, windows } = replay([...pushes, ...pushes]);
    expect(d.restarts).toBeGreaterThan(0);
    expect(d.totals).toEqual({ requests: 2 * fixture.summary.requests, failures: 2 * fixture.summary.failures, dropped: 2 * fixture.summary.dropped });
    expect(sum(windows, (w) => w.requests)).toBe(2 * fixture.summary.requests);
  });

  it('closes a second only after the grace; a difference arriving later goes into the next open second', () => {
    const d = differ();
    const out: Window[] = [];
    d.push(pushes[0]!);
    const firstSec = Math.floor(d.lastSampleMs! / 1000);
    expect(d.close(firstSec * 1000 + 1000 + 399)).toEqual([]);
    out.push(...d.close(firstSec * 1000 + 1000 + 400));
    expect(out.map((w) => w.sec)).toEqual(out.map(() => firstSec));
    for (const p of pushes.slice(1)) d.push(p);
    out.push(...d.end());
    expect(out.every((w) => w.sec >= firstSec)).toBe(true);
    expect(d.totals).toEqual(fixture.summary);
    expect(sum(out, (w) => w.requests)).toBe(fixture.summary.requests);
  });
});
