import { describe, expect, it } from 'vitest';
import { buildReport } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { renderJunit } from './junit.ts';

/** A small well-formedness check: balanced tags, quoted attributes, no raw `<` or bare `&`. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) {
    if (m[6]) throw new Error(`stray < at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    const text = m[5] ?? m[3] ?? '';
    const bad = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[\da-f]+);)/i.exec(text);
    if (bad) throw new Error(`bare & near ${text.slice(bad.index, bad.index + 20)}`);
    if (m[5] !== undefined) continue;
    if (m[1]) {
      const open = stack.pop();
      if (open !== m[2]) throw new Error(`</${m[2]}> closes <${open}>`);
    } else if (!m[4]) stack.push(m[2]!);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

describe('junit', () => {
  it('writes one testcase per gate, failures with observed vs threshold', () => {
    const xml = renderJunit(buildReport(syntheticJournal()), { color: false });
    assertWellFormed(xml);
    expect(xml.match(/<testcase /g)).toHaveLength(5); // 4 gates + the run
    expect(xml).toContain('tests="5" failures="1" errors="0"');
    expect(xml).toMatch(/<testcase name="canary-errors \{version=v2\}: error_rate ≤ 1%"[^>]*>\s*<failure message="observed 7.62%, threshold ≤ 1%" type="threshold">/);
    expect(xml).toContain('<property name="kube context" value="kind-gauntlet');
  });

  it('escapes names and messages', () => {
    const events = syntheticJournal({ gates: [{ name: `a<b>&"c'`, metric: 'error_rate', max: 0 }] });
    const xml = renderJunit(buildReport(events), { color: false });
    assertWellFormed(xml);
    expect(xml).toContain('name="a&lt;b&gt;&amp;&quot;c&#39;: error_rate ≤ 0%"');
  });

  it('turns gates without data and an empty journal into errors, never a pass', () => {
    const noData = renderJunit(buildReport(syntheticJournal({ gates: [{ name: 'ghost', metric: 'error_rate', where: { version: 'v9' }, max: 0.1 }] })), { color: false });
    expect(noData).toMatch(/<error message="no data: nothing matched error_rate \{version=v9\}" type="no-data">/);
    const empty = renderJunit(buildReport([]), { color: false });
    assertWellFormed(empty);
    expect(empty).toContain('tests="1" failures="0" errors="1"');
    expect(empty).toMatch(/<error message="nothing was measured" type="inconclusive">/);
  });

  it('the checker itself rejects broken XML', () => {
    expect(() => assertWellFormed('<a><b></a>')).toThrow();
    expect(() => assertWellFormed('<a>x & y</a>')).toThrow();
  });
});

describe('junit with an SLO', () => {
  it('carries the budget arithmetic as properties, and a budget gate as a testcase', () => {
    const xml = renderJunit(buildReport(syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120 }, gates: [{ name: 'budget', metric: 'budget_burned', max: 0.0001 }] })), { color: false });
    expect(xml).toContain('<property name="error budget (requests)" value="311040 = (1 - 0.999) x 120 req/s x 2592000 s"/>');
    expect(xml).toMatch(/<property name="budget burned" value="0\.000208\d* \(65 failed requests \/ 311040\)"\/>/);
    expect(xml).toMatch(/<testcase name="budget: budget_burned ≤ 0.01%"[^>]*>\s*<failure message="observed 0.02%, threshold ≤ 0.01%"/);
  });
});
