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
    expect(svg).toContain('<g class="marker">');
    expect(svg).toContain('promote &amp; pray');
    expect(svg).toContain('Rate &lt;req/s&gt;');
    expect(svg).toContain('<path class="area"');
  });

  it('says "no data" rather than drawing a blank chart', () => {
    for (const series of [[], [{ name: 'x', color: '#000', points: [[0, undefined]] as Array<[number, undefined]> }]]) {
      const svg = lineChart({ title: 'Errors', series });
      expect(svg).toContain('>no data</text>');
      expect(svg).not.toContain('class="line"');
    }
  });
});
