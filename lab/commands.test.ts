import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labEnv, labNodeProvider } from './commands.ts';
import type { LabPaths } from './config.ts';

function paths(): LabPaths {
  const root = mkdtempSync(join(tmpdir(), 'gauntlet-commands-'));
  const state = join(root, 'gauntlet', 'lab');
  return { state, cache: join(root, 'cache'), bin: join(root, 'cache', 'bin'), images: join(root, 'cache', 'images'), kubeconfig: join(state, 'kubeconfig') };
}
const up = (dir: string, provider: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.json'), JSON.stringify({ provider, nodes: 2, createdAt: 'x' }));
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\n');
};

describe('which lab a command goes to without --provider', () => {
  it('the kind lab when only it is up: `lab env` exports its kubeconfig', async () => {
    const p = paths();
    up(join(p.state, '..', 'kind'), 'kind');
    const env = await labEnv({ paths: p });
    expect(env.up).toBe(true);
    expect(env.kubeconfig).toBe(join(p.state, '..', 'kind', 'kubeconfig'));
  });

  it('the local lab when it is up, even with a kind lab up beside it; --provider kind picks kind', async () => {
    const p = paths();
    up(p.state, 'local');
    up(join(p.state, '..', 'kind'), 'kind');
    expect((await labEnv({ paths: p })).kubeconfig).toBe(p.kubeconfig);
    expect((await labEnv({ paths: p, provider: 'kind' })).kubeconfig).toBe(join(p.state, '..', 'kind', 'kubeconfig'));
  });

  it('the local lab when none is up and the kind provider is not installed', async () => {
    const p = paths();
    const env = await labEnv({ paths: p });
    expect(env).toMatchObject({ up: false, kubeconfig: p.kubeconfig, shell: '' });
  });
});

describe('which lab a node belongs to (node faults pick the provider by the node)', () => {
  it('lab-node-N of the local lab, the kind lab\'s workers (not its control plane), nothing else', () => {
    const p = paths();
    expect(labNodeProvider('lab-node-1', p)).toBeUndefined();
    up(p.state, 'local');
    up(join(p.state, '..', 'kind'), 'kind');
    expect(labNodeProvider('lab-node-2', p)).toBe('local');
    expect(labNodeProvider('lab-node-3', p)).toBeUndefined(); // a 2-node lab
    expect(labNodeProvider('gauntlet-lab-worker', p)).toBe('kind');
    expect(labNodeProvider('gauntlet-lab-worker2', p)).toBe('kind');
    expect(labNodeProvider('gauntlet-lab-worker3', p)).toBeUndefined();
    expect(labNodeProvider('gauntlet-lab-control-plane', p)).toBeUndefined();
    expect(labNodeProvider('ip-10-0-1-2.ec2.internal', p)).toBeUndefined();
  });
});
