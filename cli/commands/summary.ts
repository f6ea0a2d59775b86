/** The terminal summary printed after a run. */
import type { RunResult } from '../../scenarios/runner.ts';

export async function summarizeAsync(r: RunResult, color: boolean): Promise<string> {
  const { renderReport } = await import('../../reports/index.ts');
  return summaryText(renderReport(r.events, 'text', { color }), r);
}

export function summaryText(body: string, r: RunResult): string {
  const lines = [body.trimEnd(), '', `run directory: ${r.runDir}`];
  if (r.unreverted.length) {
    lines.push('', 'NOT REVERTED (the cluster still carries these changes):');
    for (const c of r.unreverted) lines.push(`  - ${c.id}: ${c.description} (${c.error})`);
    lines.push(`run: gauntlet recover ${r.runDir}`);
  }
  return lines.join('\n');
}
