/**
 * Crash safety against a real cluster: a run is killed with SIGKILL after it changed the cluster
 * (no chance to revert); `gauntlet recover` undoes every change from the journal alone, and a
 * second recover is a no-op.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runGauntlet } from '../support/cli.ts';
import { eventually, k, requireLab, labKubeconfig } from './lab-kube.ts';

const gauntlet = (args: string[], killOn?: RegExp) =>
  runGauntlet(args, { env: { KUBECONFIG: labKubeconfig() }, ...(killOn ? { signalOn: { pattern: killOn, signal: 'SIGKILL' } } : {}) });

describe('crash recovery in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    await k(['delete', 'namespace', 'gauntlet-crash', '--ignore-not-found', '--wait=true', '--timeout=120s']);
  });

  it('recover removes what a SIGKILLed run left in the cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-crash-'));
    const run = await gauntlet(['run', 'test/e2e/fixtures/crash.yaml', '--report-dir', dir], /deployed/);
    expect(run.signal).toBe('SIGKILL');
    expect((await k(['-n', 'gauntlet-crash', 'get', 'configmap', 'marker'])).ok).toBe(true);

    const runDir = join(dir, readdirSync(dir)[0]!);
    const rec = await gauntlet(['recover', runDir]);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/reverted c\d+: create ConfigMap\/marker in gauntlet-crash/);
    expect(rec.stdout).toMatch(/reverted c\d+: create Namespace\/gauntlet-crash/);
    await eventually('namespace gone', async () => !(await k(['get', 'namespace', 'gauntlet-crash'])).ok, 60_000);
    expect((await gauntlet(['recover', runDir])).stdout).toMatch(/nothing to recover/);
  }, 180_000);

  it('recover uses the journaled kubeconfig, refuses another server, deletes only what the run marked, and secrets never reach the journal', async () => {
    await k(['delete', 'namespace', 'trust-recover', '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await k(['create', 'namespace', 'trust-recover']);
    await k(['-n', 'trust-recover', 'create', 'secret', 'generic', 'creds', '--from-literal=pw=old-s3cret-value']);
    try {
      const dir = mkdtempSync(join(tmpdir(), 'gauntlet-crash-'));
      const run = await gauntlet(['run', 'test/e2e/fixtures/trust-recover.yaml', '--report-dir', dir], /deployed/);
      expect(run.signal).toBe('SIGKILL');
      const runDir = join(dir, readdirSync(dir)[0]!);
      const journal = readFileSync(join(runDir, 'journal.ndjson'), 'utf8');
      for (const secret of ['old-s3cret-value', Buffer.from('old-s3cret-value').toString('base64'), 'new-s3cret-value', Buffer.from('new-s3cret-value').toString('base64')]) {
        expect(journal).not.toContain(secret);
      }
      const start = JSON.parse(journal.split('\n')[0]!);
      expect(start.provenance.kube).toMatchObject({ context: 'gauntlet-lab', kubeconfig: labKubeconfig() });

      // A kubeconfig whose context of the same name points at another server: refused, nothing done.
      const other = join(dir, 'other-kubeconfig');
      writeFileSync(other, readFileSync(labKubeconfig(), 'utf8').replace(/server: \S+/g, 'server: https://127.0.0.1:16443'));
      const refused = await runGauntlet(['recover', runDir, '--kubeconfig', other], { env: { KUBECONFIG: '' } });
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('https://127.0.0.1:16443');
      expect((await k(['-n', 'trust-recover', 'get', 'configmap', 'marker'])).ok).toBe(true);

      // From a shell without KUBECONFIG: the journal's kubeconfig is used, and printed first.
      const rec = await runGauntlet(['recover', runDir], { env: { KUBECONFIG: '' } });
      expect(rec.stderr).toContain(`kubeconfig ${labKubeconfig()}`);
      // The Secret it replaced cannot be put back (its data was never journaled): said, exit 4.
      expect(rec.code, rec.stderr).toBe(4);
      expect(rec.stdout).toMatch(/FAILED c\d+: update Secret\/creds in trust-recover \(.*never reached the journal/);
      expect(rec.stdout).toMatch(/reverted c\d+: create ConfigMap\/marker in trust-recover/);
      await eventually('marker gone', async () => !(await k(['-n', 'trust-recover', 'get', 'configmap', 'marker'])).ok, 30_000);
      // The namespace existed before the run and carries no mark: still there.
      expect((await k(['get', 'namespace', 'trust-recover'])).ok).toBe(true);
    } finally {
      await k(['delete', 'namespace', 'trust-recover', '--ignore-not-found', '--wait=false']);
    }
  }, 240_000);
});
