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
const scenario = (step: string) => {
  const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `name: egress\ntarget: {context: lab}\nduration: 30s\nchecks:\n  - kind: egress-probe\n    name: egress\n    allowlist: allow.yaml\n${step}gates:\n  - {name: ok, metric: check_failures, max: 0}\n`);
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
