/**
 * Crash safety against a real cluster: a run is killed with SIGKILL after it changed the cluster
 * (no chance to revert); `gauntlet recover` undoes every change from the journal alone, and a
 * second recover is a no-op.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { labPaths } from '../../lab/index.ts';
import { runGauntlet } from '../support/cli.ts';
import { eventually, k, requireLab } from './lab-kube.ts';

const gauntlet = (args: string[], killOn?: RegExp) =>
  runGauntlet(args, { env: { KUBECONFIG: labPaths().kubeconfig }, ...(killOn ? { signalOn: { pattern: killOn, signal: 'SIGKILL' } } : {}) });

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
});
