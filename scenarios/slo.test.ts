import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateDoc } from '../cli/documents.ts';
import { loadScenario } from './load.ts';

const file = (name: string, text: string) => {
  const p = join(tmpdir(), `gauntlet-slo-${process.pid}-${name}`);
  writeFileSync(p, text);
  return p;
};
const base = `name: slo\nduration: 30s\nchecks:\n  - {kind: http-probe, name: probe, url: "http://127.0.0.1:1/"}\n`;

describe('scenario slo:', () => {
  it('is normalized: availability 0..1, window in ms (default 30 days), rps', async () => {
    const s = await loadScenario(file('a.yaml', `${base}slo: {availability: "99.9%", rps: 120}\ngates:\n  - {metric: budget_burned, max: 2%}\n`));
    expect(s.slo).toEqual({ availability: 0.999, window: 30 * 86_400_000, rps: 120 });
    expect(s.gates[0]).toMatchObject({ metric: 'budget_burned', max: 0.02 });
    const doc = validateDoc('a.yaml', s);
    expect(doc.slo).toEqual({ availability: 0.999, windowMs: 2_592_000_000, rps: 120, budgetRequests: expect.closeTo(311_040, 6) });
  });

  it('takes a window in days or hours, a ratio, and the step whose requests count', async () => {
    const s = await loadScenario(file('b.yaml', `${base}slo: {availability: 0.995, window: 7d, rps: 5.5, step: probe}\n`));
    expect(s.slo).toEqual({ availability: 0.995, window: 7 * 86_400_000, rps: 5.5, step: 'probe' });
  });

  it('lets a budget gate allow more than one whole budget when written as a percentage', async () => {
    const s = await loadScenario(file('c.yaml', `${base}slo: {availability: "99%", rps: 1}\ngates:\n  - {metric: budget_burned, max: "150%"}\n  - {metric: burn_rate, max: 14.4}\n`));
    expect(s.gates.map((g) => g.max)).toEqual([1.5, 14.4]);
  });
});
