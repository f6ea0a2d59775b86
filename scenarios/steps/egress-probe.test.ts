/**
 * The egress-probe step: namespaces must be named (or all of them explicitly), the image is a
 * field, and `gauntlet recover` can undo probe pods because importing the step kinds registers
 * their reverter. (This file imports nothing from policies/ on purpose.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reverterFor } from '../../core/changes.ts';
import { InputError } from '../../core/errors.ts';
import { loadScenario } from '../load.ts';
import { planScenario } from '../plan.ts';
import '../recover.ts';
import { allowlistPath, probeRowOk } from './egress-probe.ts';

const dir = mkdtempSync(join(tmpdir(), 'egress-probe-step-'));
const ALLOWLIST = `apiVersion: gauntlet.dev/v1alpha1
kind: EgressAllowlist
metadata: {name: shop}
spec:
  rules:
    - name: web
      to: [{ipBlock: {cidr: "\${approved}/32"}}]
      ports: [{protocol: TCP, port: 443}]
`;
writeFileSync(join(dir, 'allow.yaml'), ALLOWLIST.replace('${approved}', '192.0.2.10'));
const scenario = (step: string, allowlist = 'allow.yaml', vars = '') => {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `name: egress\ntarget: {context: lab}\nduration: 30s\n${vars}checks:\n  - kind: egress-probe\n    name: egress\n    allowlist: ${allowlist}\n${step}gates:\n  - {name: ok, metric: check_failures, max: 0}\n`);
  return file;
};

describe('egress-probe step', () => {
  it('refuses a step that names no namespaces, at the field, before anything runs', async () => {
    const err = await loadScenario(scenario('')).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/:5:5 checks\[0\]\.namespaces: name the namespaces to probe/);
    const both = await loadScenario(scenario('    namespaces: [shop]\n    allNamespaces: true\n')).catch((e) => e);
    expect(both).toBeInstanceOf(InputError);
  });

  it('a broken allowlist fails validate at the step, naming the allowlist file, line and field: nothing runs', async () => {
    writeFileSync(join(dir, 'bad-allow.yaml'), ALLOWLIST.replace('port: 443', 'port: 70000').replace('${approved}', '192.0.2.10'));
    const bad = await loadScenario(scenario('    namespaces: [shop]\n', 'bad-allow.yaml')).catch((e) => e);
    expect(bad).toBeInstanceOf(InputError);
    expect(bad.message).toMatch(/:7:16 checks\[0\]\.allowlist: cannot read bad-allow\.yaml: .*bad-allow\.yaml:8:\d+ spec\.rules\[0\]\.ports\[0\]\.port/);
    const missing = await loadScenario(scenario('    namespaces: [shop]\n', 'nowhere.yaml')).catch((e) => e);
    expect(missing).toBeInstanceOf(InputError);
    expect(missing.message).toMatch(/checks\[0\]\.allowlist: cannot read nowhere\.yaml/);
  });

  it('the scenario\'s variables apply to the allowlist; an undeclared one fails validate', async () => {
    writeFileSync(join(dir, 'var-allow.yaml'), ALLOWLIST);
    // Declared: the file validates.
    await expect(loadScenario(scenario('    namespaces: [shop]\n', 'var-allow.yaml', 'vars: {approved: 192.0.2.10}\n'))).resolves.toBeDefined();
    // Not declared: located at the step's allowlist field.
    const err = await loadScenario(scenario('    namespaces: [shop]\n', 'var-allow.yaml')).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/checks\[0\]\.allowlist: cannot read var-allow\.yaml: unknown variable \$\{approved\} in var-allow\.yaml/);
  });

  it('plans the namespaces, the image and how to see which PDBs select the probe pods', async () => {
    const s = await loadScenario(scenario('    namespaces: [shop, pay]\n    image: registry.example/gauntlet-probe:v1\n'));
    const actions = planScenario(s, {}).steps[0]!.actions.join('\n');
    expect(actions).toContain('in shop, pay');
    expect(actions).toContain('image registry.example/gauntlet-probe:v1');
    expect(actions).toContain('gauntlet policies probe --dry-run --allowlist allow.yaml -n shop -n pay --context lab');
    const all = await loadScenario(scenario('    allNamespaces: true\n'));
    expect(planScenario(all, {}).steps[0]!.actions.join('\n')).toContain('every namespace not starting with kube-');
  });

  it('a row fails when unapproved traffic got through, even when the policies allow it (as policies probe exits 1)', () => {
    expect(probeRowOk({ mismatch: false, observed: 'reachable', approved: true })).toBe(true);
    expect(probeRowOk({ mismatch: false, observed: 'blocked', approved: false })).toBe(true);
    expect(probeRowOk({ mismatch: false, observed: 'reachable', approved: false })).toBe(false);
    expect(probeRowOk({ mismatch: true, observed: 'reachable', approved: true })).toBe(false);
    expect(probeRowOk({ mismatch: false, observed: 'refused', approved: true })).toBe(false);
  });

  it('reads the allowlist relative to the scenario file and plans the static check first', async () => {
    expect(allowlistPath('allow.yaml', '/srv/scenarios/x.yaml')).toBe('/srv/scenarios/allow.yaml');
    const s = await loadScenario(scenario('    namespaces: [shop]\n'));
    const actions = planScenario(s, {}).steps[0]!.actions;
    expect(actions[0]).toMatch(/^static check: the policies of every workload in shop against allowlist allow\.yaml/);
    const off = await loadScenario(scenario('    namespaces: [shop]\n    static: false\n'));
    expect(planScenario(off, {}).steps[0]!.actions[0]).toMatch(/^egress probes/);
  });

  it('registers the probe-pod reverter for recover', () => {
    expect(reverterFor('probe-pod')).toBeDefined();
  });
});
