/** The text view of `gauntlet watch`. */
import { formatValue } from '../../core/gates.ts';
import type { WatchState } from '../../scenarios/run-dirs.ts';

const pct = (x: number | undefined) => (x === undefined ? '—' : formatValue(x, 'ratio'));

export function formatWatch(s: WatchState, o: { clear: boolean }): string {
  const lines: string[] = [];
  const of = s.durationSeconds ? ` of ${s.durationSeconds.toFixed(0)} s` : '';
  lines.push(`${s.scenario ?? 'run'} ${s.runId}: ${s.state.toUpperCase()}${s.verdict ? ` ${s.verdict.toUpperCase()}` : ''}, t=${s.elapsedSeconds.toFixed(1)} s${of}, phase ${s.phase}${s.openFaults.length ? ` (fault: ${s.openFaults.join(', ')})` : ''}`);
  lines.push(`steps running: ${s.activeSteps.join(', ') || 'none'}`);
  lines.push(`last ${s.recent.seconds} s: ${s.recent.requests} requests, ${s.recent.rps.toFixed(1)} req/s, errors ${pct(s.recent.errorRate)} · total: ${s.totals.requests} requests, errors ${pct(s.totals.errorRate)}`);
  for (const g of s.gates) {
    const v = g.verdict === 'pass' ? 'pass' : g.verdict === 'fail' ? 'FAIL' : 'no data';
    lines.push(`  gate ${g.name.padEnd(24)} ${v.padEnd(8)} ${g.observed === undefined ? '' : formatValue(g.observed, g.unit)}${s.state === 'running' ? ' (so far)' : ''}`);
  }
  if (s.leftApplied.length) lines.push(`applied, not yet reverted: ${s.leftApplied.map((c) => c.description).join('; ')}`);
  return (o.clear ? '\x1b[H\x1b[2J' : '') + lines.join('\n');
}
