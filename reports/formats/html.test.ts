import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { renderHtml } from './html.ts';

describe('html report', () => {
  const html = renderHtml(buildReport(syntheticJournal()), { color: false });

  it('is self-contained: no scripts, stylesheets, fonts or images fetched', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|@import|url\(/i);
    expect(html).not.toMatch(/\s(src|href)\s*=/i);
    // URLs appear only as text (the kube API server, the redacted target), never as something to load.
    expect(html).not.toMatch(/=\s*["']?\s*(https?:)?\/\//i);
    expect(html.startsWith('<!doctype html>')).toBe(true);
  });

  it('has three charts with data, fault windows and release marks, and the weight chart from weight marks', () => {
    const charts = html.match(/<svg class="chart"[\s\S]*?<\/svg>/g)!;
    expect(charts).toHaveLength(4);
    const [weight, ...rest] = charts;
    // The synthetic run marks v2 at 10 %, then v1 at 100 % (rollback): one step line per version.
    expect(weight).toContain('Traffic weight per version');
    expect(weight).toMatch(/>v2<.*>v1</s);
    // A weight is a share of traffic: its axis stops at 100 %.
    const ticks = [...weight!.matchAll(/class="tick"[^>]*>([\d.]+)%</g)].map((m) => Number(m[1]));
    expect(ticks.length).toBeGreaterThan(1);
    expect(Math.max(...ticks)).toBeLessThanOrEqual(100);
    for (const c of rest) {
      expect(c).toMatch(/<path class="line" d="M[\d.]+ [\d.]+L/);
      expect(c).toContain('<g class="band">');
      expect(c).toContain('canary weight 10%');
    }
    expect(rest[2]).toMatch(/>p50<.*>p95<.*>p99</s);
  });

  it('shows the verdict, gates with observed vs threshold, breakdowns and definitions', () => {
    expect(html).toContain('<header class="banner fail" id="verdict"><div class="verdict">FAIL</div>');
    expect(html).toMatch(/<tr class="fail"><td><span class="badge fail">FAIL<\/span><\/td><td>canary-errors.*<td class="n">7.62%<\/td><td class="n">≤ 1%<\/td>/);
    expect(html).toContain('<td>during fault</td>');
    expect(html).toContain('<td>v2</td>');
    expect(html).toContain('<dt>rollbackSeconds</dt><dd>fault onset to 100% of traffic on stable</dd>');
    expect(html).toContain('<dt>kube context</dt><dd>kind-gauntlet');
    for (const secret of ['hunter2', 's3cr3t', 'abc.def.ghi', 'sk_live']) expect(html).not.toContain(secret);
  });

  it('tells the story in the timeline and keeps every event in the event log', () => {
    const story = html.slice(html.indexOf('id="timeline"'), html.indexOf('id="event-log"'));
    expect(story).toContain('<td class="kind">measured</td><td>rollbackSeconds = 12.5 s (step release)</td>');
    expect(story).not.toContain('change c1');
    expect(html.slice(html.indexOf('id="event-log"'))).toMatch(/<summary>Event log \(\d+ events\)<\/summary>.*change c1 reverted: cordon nodes in zone b/s);
  });

  it('says nothing was measured for an empty journal, with "no data" charts', () => {
    const empty = renderHtml(buildReport([]), { color: false });
    expect(empty).toContain('<div class="verdict">INCONCLUSIVE: nothing measured</div>');
    expect(empty.match(/>no data<\/text>/g)).toHaveLength(3);
    expect(empty.slice(0, empty.indexOf('id="definitions"'))).not.toMatch(/\bPASS\b/);
  });
});

describe('html report with an SLO', () => {
  it('has the error budget tile and the impact table with its arithmetic', () => {
    const html = renderHtml(buildReport(syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 } })), { color: false });
    expect(html).toContain('<div class="tile" title="0.0209% of the 30-day error budget"><div class="k">error budget burned</div><div class="v">0.0209%</div></div>');
    expect(html).toContain('<tr><td>error budget burned</td><td class="n">0.0209% of the 30-day error budget</td><td>65 failed request(s) (9 in step probe&#39;s probe requests, 56 in step load&#39;s load windows) / budget 311,040 requests');
    expect(html).toContain('<dt>budget burned</dt><dd>budget burned = failed requests / error budget.');
  });
});
