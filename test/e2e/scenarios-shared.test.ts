/**
 * The shipped scenarios that touch no node and judge no rate another file's CPU use would move,
 * in the lab, as a user runs them (`gauntlet run scenarios/<name>.yaml`), moved to this file's
 * namespace with --set: pod-kill-under-load (the lab-demo scenario), canary-rollback and
 * egress-audit. They share the lab with the other e2e-shared files; the node and surge cases are in
 * scenarios.test.ts, the game day in main-job.test.ts. The demo service is deployed once: each
 * scenario's own deploy step then updates it in place and puts it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k, kjson, kk, requireLab, serviceIp } from './lab-kube.ts';
import { deployDemo, fig, passedOnData, runScenario, worldVars } from './scenarios-kit.ts';

const NS = 'gameday-scenarios-shared';
const IP = serviceIp('0.195');
const run = (scenario: string, ...set: string[]) => runScenario(NS, IP, scenario, ...set);

describe('the shipped scenarios in the lab (no node faults)', () => {
  beforeAll(async () => {
    await requireLab();
    await deployDemo(NS, IP);
  });
  afterAll(async () => {
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
  });

  it('pod-kill-under-load (lab-demo): a pod evicted under load, errors, latency and recovery gated', async () => {
    const o = await run('pod-kill-under-load', 'rate=50');
    passedOnData(o);
    expect(fig(o, 'recoverySeconds')[0]?.value).toBeGreaterThan(0);
  }, 240_000);

  it('canary-rollback: the bad release is caught and rolled back within its gates, stable untouched', async () => {
    const before = JSON.stringify((await kjson(['-n', NS, 'get', 'deployment', 'demo'])).spec.template);
    const o = await run('canary-rollback', 'rate=60');
    passedOnData(o);
    expect(o.gates.find((g) => g.name === 'bad-release-rolled-back')?.verdict).toBe('pass');
    expect(o.marks.find((m) => m.startsWith('canary rollback decided'))).toMatch(/canary error rate/);
    expect(fig(o, 'rollbackSeconds')[0]!.value).toBeLessThanOrEqual(20);
    expect(JSON.stringify((await kjson(['-n', NS, 'get', 'deployment', 'demo'])).spec.template)).toBe(before);
    expect((await k(['-n', NS, 'get', 'deployment', 'demo-canary'])).ok).toBe(false);
  }, 240_000);

  it('egress-audit: the static check and the live probes agree with the allowlist', async () => {
    const o = await run('egress-audit', ...worldVars());
    passedOnData(o);
    expect(o.gates.find((g) => g.name === 'egress-as-approved')!.samples).toBeGreaterThanOrEqual(4);
    expect((await k(['-n', NS, 'get', 'networkpolicy', 'demo-egress'])).ok).toBe(false); // the run's own policy is removed again
    expect(await kk(['-n', NS, 'get', 'pods', '-l', 'gauntlet.dev/probe-run', '-o', 'name'])).toBe('');
  }, 240_000);
});
