import { describe, expect, it } from 'vitest';
import { escapeXml } from './xml.ts';
import { renderJunit } from '../policies/output/junit.ts';

describe('escapeXml', () => {
  it('escapes markup and drops what XML 1.0 cannot carry, keeping real characters', () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;');
    expect(escapeXml('bell\u0007 tab\t nl\n é 😀 \uD800x')).toBe('bell\uFFFD tab\t nl\n é 😀 \uFFFDx');
  });

  it('is the escaper policies JUnit uses (a control character in a finding stays valid XML)', () => {
    const xml = renderJunit({
      allowlist: 'lab',
      summary: { workloads: 1, violation: 1, inconclusive: 0 },
      workloads: [{ namespace: 'shop', kind: 'Deployment', name: "it's", verdict: 'violation', reasons: ['bad byte \u0007 here'], counterexamples: [], counterexampleCount: 0 }],
    } as never);
    expect(xml).not.toContain('\u0007');
    expect(xml).toContain('name="Deployment/it&#39;s"');
  });
});
