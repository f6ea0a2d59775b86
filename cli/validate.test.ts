import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runGauntlet } from '../test/support/cli.ts';

// Asynchronous and concurrent: each case is its own CLI process (mostly Node's start-up), side by side.
const cli = (...args: string[]) =>
  runGauntlet(args, { env: { KUBECONFIG: '/nonexistent' } });

// Each malformed file must exit 2 and name file:line:column and the field path. Validation never
// connects to a cluster (KUBECONFIG points nowhere, so a connection attempt would exit 3).
const cases: Array<[string, RegExp]> = [
  ['yaml-syntax.yaml', /yaml-syntax\.yaml:6:1: YAML syntax: Missing closing "quote/],
  ['unknown-kind.yaml', /unknown-kind\.yaml:4:11 faults\[0\]\.kind: unknown kind "meteor-strike"; available in faults: command, pod-kill/],
  ['planned-kind.yaml', /planned-kind\.yaml:4:11 faults\[0\]\.kind: "node-stop" \(node faults \(use node-loss\)\) is not available/],
  ['bad-duration.yaml', /bad-duration\.yaml:9:15 faults\[0\]\.duration: expected a duration like 30s, got "30 seconds"/],
  ['wrong-type.yaml', /wrong-type\.yaml:6:18 checks\[0\]\.maxRequests: expected number, got string/],
  ['missing-target.yaml', /missing-target\.yaml:4:5 checks\[0\]: needs url/],
  ['unknown-field.yaml', /unknown-field\.yaml:6:5 checks\[0\]\.intervall: unknown field/],
  ['bad-gate.yaml', /bad-gate\.yaml:8:11 gates\[0\]\.step: no step named "nope"/],
  ['no-duration.yaml', /no-duration\.yaml:1:1 duration: expected a duration like 30s/],
  ['bad-phase.ts', /bad-phase\.ts:10:7 gates\[0\]\.phase: expected one of "before"\|"during"\|"after"\|"all"/],
  ['slo-mistakes.yaml', /slo-mistakes\.yaml:9:17 slo\.availability: 99\.9 is not a ratio: write "99\.9%" or 0\.999\n.*slo-mistakes\.yaml:10:11 slo\.window: expected a duration like 30s, got "30days"\n.*slo-mistakes\.yaml:11:8 slo\.rps: expected a rate above 0 req\/s/],
  ['slo-gates.yaml', /slo-gates\.yaml:11:9 slo\.step: no step named "prob"; did you mean probe\?[^]*slo-gates\.yaml:13:34 gates\[0\]\.max: budget_burned is a share of the error budget: 2 would be 200 %[^]*slo-gates\.yaml:14:30 gates\[1\]\.max: burn_rate is a multiple/],
  ['slo-missing.yaml', /slo-missing\.yaml:9:14 gates\[0\]\.metric: budget_burned is measured against the service's SLO, and this scenario declares none/],
];

// A hang guard, not a timing: the CLI processes share 2 cores with other workers' and, in CI, tsc.
describe.concurrent('gauntlet validate on malformed scenarios', { timeout: 90_000 }, () => {
  it.each(cases)('%s exits 2 naming file:line:column and the field', async (file, want) => {
    const r = await cli('validate', `scenarios/fixtures/bad/${file}`);
    expect(r.stderr).toMatch(want);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('run refuses a malformed scenario with exit 2 before doing anything', async () => {
    const r = await cli('run', 'scenarios/fixtures/bad/unknown-kind.yaml', '--report-dir', '/tmp/gauntlet-should-not-exist');
    expect(r.code).toBe(2);
    expect(spawnSync('test', ['-e', '/tmp/gauntlet-should-not-exist']).status).not.toBe(0);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await cli('validate', 'scenarios/probe.yaml', '--no-such-flag');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument/i);
  });

  it('the shipped scenarios validate', async () => {
    const r = await cli('validate', 'scenarios/probe.yaml', '-o', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, name: 'probe' });
  });
});
