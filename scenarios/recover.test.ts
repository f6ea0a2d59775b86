/**
 * recover from a journal alone, against a fake cluster and real child processes: it refuses a
 * live run, another cluster and journaled commands unless asked, stops survivors, and deletes
 * only what the run marked as its own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { revertChange } from '../core/changes.ts';
import { UsageError } from '../core/errors.ts';
import { Journal, readJournal } from '../core/journal.ts';
import { defaultOptions } from '../core/options.ts';
import { processAlive, processStartTicks, sleep } from '../core/proc.ts';
import { acquireRunLock } from '../core/runlock.ts';
import { RUN_MARK } from '../canary/strategies/deploy.ts';
import { undoKey } from '../chaos/nodes.ts';
import { recoverFromCluster, recoverRun } from './recover.ts';

const line = (seq: number, o: object) => JSON.stringify({ v: 1, seq, t: seq, wall: '', ...o }) + '\n';
const start = (kube?: object) => ({ type: 'run.start', runId: 'r1', scenario: {}, provenance: { ...(kube ? { kube } : {}) }, epochMs: 0 });

function runDir(events: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'gauntlet-recover-'));
  writeFileSync(join(dir, 'journal.ndjson'), events.map((e, i) => line(i, e)).join(''));
  return dir;
}

const progress: string[] = [];
const options = defaultOptions({ HOME: '/nonexistent' }, { progress: (l) => progress.push(l) });

describe('recover', () => {
  it('refuses a run that is still going (its lock holds a live pid and start time)', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'gauntlet-cmd-')), 'reverted');
    const dir = runDir([start(), { type: 'change.intent', id: 'c1', step: 's', description: 'x', revert: { kind: 'command', argv: ['touch', marker] } }]);
    const lock = acquireRunLock(dir);
    const e = await recoverRun(dir, options, { runCommands: true }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toMatch(/still going \(pid \d+/);
    expect(existsSync(marker)).toBe(false);
    lock.release();
    await recoverRun(dir, options, { runCommands: true });
    expect(existsSync(marker)).toBe(true);
  });

  it('shows journaled revert commands and runs none without --run-commands', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'gauntlet-cmd-')), 'reverted');
    const dir = runDir([start(), { type: 'change.intent', id: 'c1', step: 's', description: 'scale down', revert: { kind: 'command', argv: ['touch', marker] } }]);
    const e = await recoverRun(dir, options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain(`touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
    expect(readJournal(join(dir, 'journal.ndjson'))).toHaveLength(2); // nothing appended either
  });

  it('stops a child process that outlived the run, and never a reused pid', async () => {
    const survivor = spawn('sleep', ['30'], { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    await sleep(100);
    const ticks = processStartTicks(survivor.pid!);
    expect(ticks).toBeTypeOf('number');
    const dir = runDir([
      start(),
      { type: 'process.start', step: 'load', pid: survivor.pid, startTicks: ticks, command: 'k6 run' },
      // Same pid number reused by an unrelated process: the start time does not match.
      { type: 'process.start', step: 'load2', pid: other.pid, startTicks: processStartTicks(other.pid!)! - 1, command: 'k6 run' },
    ]);
    const r = await recoverRun(dir, options);
    expect(r.stopped).toEqual([{ pid: survivor.pid, command: 'k6 run' }]);
    expect(processAlive(survivor.pid!, ticks)).toBe(false);
    expect(processAlive(other.pid!, undefined)).toBe(true);
    other.kill('SIGKILL');
  });

  it('reconnects with the journaled kubeconfig and refuses when the API server differs', async () => {
    const kdir = mkdtempSync(join(tmpdir(), 'gauntlet-kc-'));
    const kubeconfig = join(kdir, 'config');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6999"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: lab, context: {cluster: c, user: u}}]\n`,
    );
    const dir = runDir([
      start({ context: 'lab', server: 'https://127.0.0.1:6443', namespace: 'default', kubeconfig }),
      { type: 'change.intent', id: 'c1', step: 'deploy', description: 'create Namespace/shop', revert: { kind: 'deploy', ref: { apiVersion: 'v1', kind: 'Namespace', name: 'shop' }, runId: 'r1' } },
    ]);
    progress.length = 0;
    // No KUBECONFIG in this "shell": the journal's kubeconfig is used, and its server is not the run's.
    const e = await recoverRun(dir, options).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain('https://127.0.0.1:6999');
    expect((e as Error).message).toContain('https://127.0.0.1:6443');
    expect(progress.join('\n')).toContain(`kubeconfig ${kubeconfig}`);
    expect(readJournal(join(dir, 'journal.ndjson')).some((x) => x.type === 'change.reverted' || x.type === 'change.revert-failed')).toBe(false);
  });

  it('deletes only what carries this run\'s mark', async () => {
    const store = new Map<string, { metadata: { name: string; annotations?: Record<string, string> } }>([
      ['theirs', { metadata: { name: 'theirs' } }],
      ['ours', { metadata: { name: 'ours', annotations: { [RUN_MARK]: 'r1' } } }],
    ]);
    const kube = {
      get: async (r: { name: string }) => store.get(r.name),
      delete: async (r: { name: string }) => (store.delete(r.name) ? 'deleted' : 'absent'),
    };
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-mark-'));
    mkdirSync(dir, { recursive: true });
    const j = Journal.create(join(dir, 'journal.ndjson'));
    const env = { kube: async () => kube };
    const spec = (name: string) => ({ kind: 'deploy', ref: { apiVersion: 'v1', kind: 'Namespace', name }, runId: 'r1' });
    const failed = await revertChange(j, 'c1', 'create Namespace/theirs', spec('theirs'), env);
    expect(failed?.error).toMatch(/does not carry gauntlet.dev\/run-id=r1/);
    expect(store.has('theirs')).toBe(true);
    expect(await revertChange(j, 'c2', 'create Namespace/ours', spec('ours'), env)).toBeUndefined();
    expect(store.has('ours')).toBe(false);
    j.close();
  });

  it('--dry-run lists the journal\'s unreverted changes and changes nothing', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'gauntlet-cmd-')), 'reverted');
    const dir = runDir([start(), { type: 'change.intent', id: 'c1', step: 's', description: 'scale down', revert: { kind: 'command', argv: ['touch', marker] } }]);
    const r = await recoverRun(dir, options, { dryRun: true, runCommands: true });
    expect(r.planned).toEqual([{ id: 'c1', description: 'scale down' }]);
    expect(existsSync(marker)).toBe(false);
    expect(readJournal(join(dir, 'journal.ndjson'))).toHaveLength(2);
  });
});

describe('recover from the cluster (journal lost)', () => {
  function cluster(server = 'https://10.0.0.1:6443') {
    const node = { metadata: { name: 'n1', annotations: { [undoKey('drain')]: JSON.stringify({ runId: 'r1', cordoned: true, taints: [] }), [RUN_MARK]: 'r1' } }, spec: { unschedulable: true } };
    const patches: unknown[] = [];
    const kube = {
      context: 'prod', server, kubeconfig: '/k', namespace: 'default',
      async list({ kind }: { kind: string }) {
        return { items: kind === 'Node' ? [structuredClone(node)] : [], resourceVersion: '1' };
      },
      async get() {
        return structuredClone(node);
      },
      async patch(obj: any) {
        patches.push(obj);
        node.spec.unschedulable = obj.spec.unschedulable;
        for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) if (v === null) delete (node.metadata.annotations as Record<string, string>)[k];
        return node;
      },
    };
    return { kube: kube as never, node, patches };
  }

  it('lists first (dry run: nothing changed), then undoes only what carries the run id', async () => {
    const c = cluster();
    const dry = await recoverFromCluster('r1', options, { kube: c.kube, dryRun: true });
    expect(dry.planned).toEqual([{ object: 'node n1', step: 'drain', undo: 'uncordon, drop the undo mark' }]);
    expect(c.patches).toEqual([]);
    expect(progress.at(-1)).toMatch(/context prod at https:\/\/10.0.0.1:6443 .*run r1, from the cluster's marks/);
    expect((await recoverFromCluster('r2', options, { kube: c.kube })).planned).toEqual([]);
    expect(c.patches).toEqual([]);
    const done = await recoverFromCluster('r1', options, { kube: c.kube });
    expect(done.reverted).toEqual([{ object: 'node n1', undo: 'uncordon, drop the undo mark' }]);
    expect(c.node.spec.unschedulable).toBe(false);
    expect(c.node.metadata.annotations).toEqual({});
    expect((await recoverFromCluster('r1', options, { kube: c.kube })).planned).toEqual([]);
  });

  it('refuses another API server than --server, and a malformed run id, before reading anything', async () => {
    const c = cluster('https://10.9.9.9:6443');
    await expect(recoverFromCluster('r1', options, { kube: c.kube, server: 'https://10.0.0.1:6443' })).rejects.toThrow(/points at https:\/\/10.9.9.9:6443, not https:\/\/10.0.0.1:6443/);
    await expect(recoverFromCluster('r1 --all', options, { kube: c.kube })).rejects.toThrow(UsageError);
    expect(c.patches).toEqual([]);
    expect(c.node.spec.unschedulable).toBe(true);
  });
});
