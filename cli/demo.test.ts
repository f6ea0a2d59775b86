/**
 * `gauntlet demo` without a lab: --help documents it (examples, exit codes), --no-lab-up on a
 * machine with no lab is exit 3 with the fix named and nothing run, and the shipped game-day is
 * found from the source tree and from the build alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kindSets, serviceAddress, shippedScenario } from './commands/demo.ts';
import { KIND, KIND_WORLD_HOSTS } from '../lab/providers/kind/config.ts';

const home = mkdtempSync(join(tmpdir(), 'gauntlet-demo-home-'));
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '/nonexistent', HOME: home, XDG_STATE_HOME: join(home, 'state') } });

describe('gauntlet demo', () => {
  it('--help shows what it does, examples and its exit codes', () => {
    const r = cli(['demo', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/the full drill on the local lab/);
    expect(r.stdout).toMatch(/gauntlet demo --set errorRate=0\.2/);
    expect(r.stdout).toMatch(/Exit codes: 0 the drill passed every gate; 1 .*; 3 the lab could not be brought up/s);
  });

  it('--no-lab-up without a lab: exit 3, the fix named, no run directory', () => {
    const dir = join(home, 'runs');
    const r = cli(['demo', '--no-lab-up', '--report-dir', dir]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/the lab is not up \(phase \w+\)/);
    expect(r.stderr).toMatch(/gauntlet lab up/);
    expect(existsSync(dir)).toBe(false);
  });

  it('finds the shipped game day from the source tree and from dist/', () => {
    expect(existsSync(shippedScenario('game-day.yaml'))).toBe(true);
    const fromDist = shippedScenario('game-day.yaml', pathToFileURL(join(process.cwd(), 'dist/cli/commands/demo.js')).href);
    expect(fromDist).toBe(join(process.cwd(), 'scenarios/game-day.yaml'));
  });

  it('--provider kind: the kind lab addresses for the variables the scenario declares, --set winning', () => {
    const lab = { serviceCidr: KIND.serviceCidr, world: KIND_WORLD_HOSTS };
    expect(kindSets(['namespace', 'ip', 'allowed', 'denied'], [], lab)).toEqual(['ip=10.75.0.80', 'allowed=10.76.0.201', 'denied=10.76.0.202']);
    expect(kindSets(['namespace', 'ip', 'allowed', 'denied'], ['ip=10.75.0.193', 'namespace=x'], lab)).toEqual(['allowed=10.76.0.201', 'denied=10.76.0.202']);
    expect(kindSets(['namespace', 'ip', 'rate'], [], lab)).toEqual(['ip=10.75.0.80']); // spot-storm declares no outside hosts
    // Any Service range, not only a /16: the 80th address from its network address.
    expect(kindSets(['ip'], [], { serviceCidr: '10.96.0.0/12', world: [] })).toEqual(['ip=10.96.0.80']);
    expect(kindSets(['ip'], [], { serviceCidr: '172.20.16.0/20', world: [] })).toEqual(['ip=172.20.16.80']);
    expect(serviceAddress('192.168.1.0/24', 80)).toBe('192.168.1.80');
    expect(() => serviceAddress('10.0.0.0/26', 80)).toThrow(/no address 80/);
  });
});
