import { describe, expect, it } from 'vitest';
import { Histogram } from '../core/histogram.ts';
import { gauntletParser, histogramOf, jsonParser, type WindowLine } from './channel.ts';

const point = (metric: string, sec: number, value: number, tags: Record<string, string> = {}) =>
  JSON.stringify({ type: 'Point', metric, data: { time: new Date(sec * 1000 + 250).toISOString(), value, tags } });

describe('live-metrics channel', () => {
  it('reads the Go output: a start line, then windows', () => {
    const p = gauntletParser();
    expect(p.push('{"start":1700000000123}')).toEqual([{ kind: 'start', epochMs: 1700000000123 }]);
    const [m] = p.push('{"sec":1700000000,"stage":"hold","n":2,"fail":1,"sum":3,"min":1,"max":2,"b":[[695,1],[765,1]]}');
    expect(m).toMatchObject({ kind: 'window', window: { stage: 'hold', n: 2, fail: 1 } });
  });

  it('aggregates stock k6 JSON samples into the same windows, per stage and version', () => {
    const p = jsonParser();
    const out = [
      point('http_req_duration', 100, 10, { scenario: 'a', version: 'v1' }),
      point('http_req_failed', 100, 1, { scenario: 'a', version: 'v1' }),
      point('http_req_duration', 100, 30, { scenario: 'a', version: 'v1' }),
      point('http_req_failed', 100, 0, { scenario: 'a', version: 'v1' }),
      point('http_req_duration', 100, 20, { scenario: 'a', version: 'v2' }),
      point('dropped_iterations', 100, 3, { scenario: 'a' }),
      point('vus', 101, 5),
      point('http_req_duration', 103, 5, { scenario: 'a' }),
    ].flatMap((l) => p.push(l));
    const windows = out.filter((m) => m.kind === 'window').map((m) => (m as { window: WindowLine }).window);
    expect(out[0]).toEqual({ kind: 'start', epochMs: 100_250 });
    expect(windows.map((w) => [w.sec, w.version, w.n, w.fail, w.dropped])).toEqual([
      [100, undefined, 0, 0, 3],
      [100, 'v1', 2, 1, undefined],
      [100, 'v2', 1, 0, undefined],
    ]);
    const h = Histogram.from(histogramOf(windows[1]!));
    expect(h.quantile(1)).toBe(30);
    expect(p.end()).toMatchObject([{ kind: 'end', epochMs: 103_250 }, { kind: 'window', window: { sec: 103 } }]);
  });
});
