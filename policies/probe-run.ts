/**
 * A run directory for `policies probe` outside a scenario: a journal whose change ledger records
 * every probe pod before it is made, so that after a crash `gauntlet recover <run-dir>` removes
 * them (and `gauntlet run` warns about the unfinished run) exactly as for a scenario's changes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ChangeLedger } from '../core/changes.ts';
import type { UnrevertedChange } from '../core/errors.ts';
import type { RunStatus } from '../core/events.ts';
import { Journal, RunClock } from '../core/journal.ts';
import type { Kube } from '../core/kube.ts';
import { acquireRunLock } from '../core/runlock.ts';
import { toolVersion } from '../core/version.ts';

export interface ProbeRunJournal {
  runId: string;
  runDir: string;
  journal: Journal;
  changes: ChangeLedger;
  /** Revert what is still applied, journal the end, close. Returns what could not be undone. */
  finish(status: RunStatus, reason?: string): Promise<UnrevertedChange[]>;
}

export function openProbeRun(kube: Kube, reportDir: string, what: { allowlist: string; scope: string[] | 'all' }): ProbeRunJournal {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const runId = `${stamp}-policies-probe-${randomBytes(2).toString('hex')}`;
  const runDir = resolve(reportDir, runId);
  mkdirSync(runDir, { recursive: true });
  // Held for the run's lifetime: `recover` refuses a run whose process is alive.
  const lock = acquireRunLock(runDir);
  const clock = new RunClock();
  const journal = Journal.create(join(runDir, 'journal.ndjson'), clock);
  journal.appendDurable({
    type: 'run.start',
    runId,
    scenario: { kind: 'policies-probe', allowlist: what.allowlist, namespaces: what.scope },
    provenance: {
      tool: { name: 'gauntlet', version: toolVersion() },
      node: process.version,
      tools: {},
      scenario: { file: what.allowlist, name: 'policies-probe', sha256: createHash('sha256').update(what.allowlist).digest('hex') },
      kube: { context: kube.context, server: kube.server, namespace: kube.namespace, ...(kube.kubeconfig ? { kubeconfig: kube.kubeconfig } : {}) },
      seed: 0,
      host: hostname(),
    },
    epochMs: clock.epochMs,
  });
  const changes = new ChangeLedger(journal, { kube: async () => kube });
  return {
    runId, runDir, journal, changes,
    async finish(status, reason) {
      const unreverted = await changes.revertAll();
      journal.appendDurable({ type: 'run.end', status, ...(reason ? { reason } : {}) });
      journal.close();
      lock.release();
      return unreverted;
    },
  };
}
