import { describe, expect, it } from 'vitest';
import { clock, lineChart, niceTicks, timeTicks } from './svg.ts';

describe('svg charts', () => {
  it('picks round ticks that cover the data', () => {
    expect(niceTicks(0, 52, 4)).toEqual([0, 20, 40, 60]);
    expect(niceTicks(0, 0.073, 4)).toEqual([0, 0.02, 0.04, 0.06, 0.08]);
    expect(timeTicks(0, 3600, 8)).toEqual([0, 600, 1200, 1800, 2400, 3000, 3600]);
    expect(clock(3725)).toBe('1:02:05');
  });

  it('draws lines, breaking them where there is no data', () => {
    const svg = lineChart({ title: 'Latency', series: [{ name: 'p99', color: '#000', points: [[0, 1], [1, 2], [2, undefined], [3, 4], [4, 5]] }] });
    const d = /<path class="line" d="([^"]+)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
    expect(svg).not.toContain('no data');
  });

  it('shades bands, draws markers, and escapes labels', () => {
    const svg = lineChart({
      title: 'Rate <req/s>',
      series: [{ name: 'all', color: '#000', area: true, points: [[0, 1], [10, 3]] }],
      bands: [{ from: 2, to: 5, label: 'zone <b> loss' }],
      markers: [{ x: 7, label: 'promote & pray' }],
    });
    expect(svg).toContain('<g class="band">');
    expect(svg).toContain('zone &lt;b&gt; loss');
    expect(svg).toContain('<g class="marker mark">');
    expect(svg).toContain('promote &amp; pray');
    expect(svg).toContain('Rate &lt;req/s&gt;');
    expect(svg).toContain('<path class="area"');
  });

  it('a ratio axis stops at 100 % even when the line sits at 100 %', () => {
    const svg = lineChart({ title: 'Errors', series: [{ name: 'all', color: '#000', points: [[0, 0], [5, 1], [10, 1]] }], yMaxTop: 1, formatY: (y) => `${y * 100}%` });
    const ticks = [...svg.matchAll(/dominant-baseline="middle">([^<]+)</g)].map((m) => m[1]);
    expect(ticks.at(-1)).toBe('100%');
    expect(ticks.some((t) => parseFloat(t!) > 100)).toBe(false);
  });

  it('marker labels are whole: near the right edge they are drawn to the left of their line', () => {
    const label = 'pod-kill: evicted demo-7d9f-abcde';
    const svg = lineChart({ title: 't', width: 400, series: [{ name: 'all', color: '#000', points: [[0, 1], [10, 1]] }], markers: [{ x: 9.8, label, kind: 'figure' }] });
    expect(svg).toContain(`text-anchor="end">${label}</text>`);
    expect(svg).toContain('<g class="marker figure">');
  });

  it('says "no data" rather than drawing a blank chart', () => {
    for (const series of [[], [{ name: 'x', color: '#000', points: [[0, undefined]] as Array<[number, undefined]> }]]) {
      const svg = lineChart({ title: 'Errors', series });
      expect(svg).toContain('>no data</text>');
      expect(svg).not.toContain('class="line"');
    }
  });
});

describe('chart events', () => {
  it('mark the eviction, the pods Ready again and release marks, not only windows', async () => {
    const { chartEvents } = await import('./charts.ts');
    const ev = chartEvents({
      timeline: [{ offsetSeconds: 40, wall: '', kind: 'mark', severity: 'info', text: 'rollback decided' }],
      faults: [{ step: 'kill-one-pod', kind: 'pod-kill', target: 'pods app=demo', startSeconds: 35, endSeconds: 55 }],
      figures: [{ step: 'kill-one-pod', name: 'recoverySeconds', value: 4.2, unit: 's', offsetSeconds: 39.2, phase: 'during' }],
    });
    expect(ev.map((e) => [e.x, e.kind, e.label])).toEqual([
      [35, 'fault', 'kill-one-pod: pod-kill pods app=demo'],
      [39.2, 'figure', 'recoverySeconds 4.2 s (pods Ready again)'],
      [40, 'mark', 'rollback decided'],
    ]);
  });
});
