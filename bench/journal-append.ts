/**
 * Journal append rate: how many observation events per second the run journal takes (goal:
 * at least 100k/s), and what a durable (fsync'd) change event costs.
 * Run: node bench/journal-append.ts [events]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../core/journal.ts';

const n = Number(process.argv[2] ?? 500_000);
const dir = mkdtempSync(join(tmpdir(), 'gauntlet-bench-'));

function samples(): void {
  const j = Journal.create(join(dir, `samples-${Date.now()}.ndjson`));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    j.append({ type: 'sample', step: 'probe', ok: i % 50 !== 0, status: i % 50 ? 200 : 503, ms: 1 + (i % 97) * 0.37, labels: { version: i % 2 ? 'v1' : 'v2' } });
  }
  j.close();
  const s = (performance.now() - t0) / 1000;
  console.log(`observations: ${n} events in ${s.toFixed(3)} s = ${Math.round(n / s)} events/s (${(statSync(j.path).size / 1e6).toFixed(1)} MB)`);
}

function durable(): void {
  const m = 200;
  const j = Journal.create(join(dir, `durable-${Date.now()}.ndjson`));
  const t0 = performance.now();
  for (let i = 0; i < m; i++) j.appendDurable({ type: 'change.intent', id: `c${i}`, step: 'fault', description: 'bench', revert: { kind: 'noop' } });
  j.close();
  const ms = (performance.now() - t0) / m;
  console.log(`durable (fsync'd) change events: ${m} at ${ms.toFixed(3)} ms each`);
}

for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}`);
  samples();
}
durable();
rmSync(dir, { recursive: true, force: true });
