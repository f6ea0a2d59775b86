/**
 * Scenario variables: `vars:` defaults, `--set` overrides typed like the default, `${name}` in any
 * string of the scenario and of a deploy step's manifests, and bad input located at file:line:column.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { readManifests } from '../canary/strategies/deploy.ts';
import { loadScenario } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-vars-'));
function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const SCENARIO = `name: vars
vars: {namespace: shop, rate: 100, hold: 20s}
target: {namespace: '\${namespace}', url: http://127.0.0.1:1/}
duration: 1m
load:
  kind: k6
  name: load
  profile: {kind: constant, rate: '\${rate}', duration: '\${hold}'}
release:
  kind: deploy
  manifests: [app.yaml]
gates:
  - {metric: error_rate, max: 1%, name: 'errors-at-\${rate}'}
`;

async function issuesOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('scenario vars', () => {
  file('app.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app-${namespace}, namespace: ${namespace}}\ndata: {rate: "${rate}", literal: "$${kept}"}\n');
  const f = file('s.yaml', SCENARIO);

  it('substitutes defaults, keeping a number a number', async () => {
    const s = await loadScenario(f);
    expect(s.target.namespace).toBe('shop');
    const load = s.steps.find((x) => x.kind === 'k6')!;
    expect(load.kind === 'k6' && load.params.profile).toEqual({ kind: 'constant', rate: 100, duration: 20_000 });
    expect(s.gates[0]!.name).toBe('errors-at-100');
    expect(s.vars).toEqual({ namespace: 'shop', rate: 100, hold: '20s' });
  });

  it('--set overrides, typed like the default; the manifests see the same values', async () => {
    const s = await loadScenario(f, { set: ['rate=250', 'namespace=gameday-x'] });
    const load = s.steps.find((x) => x.kind === 'k6')!;
    expect(load.kind === 'k6' && load.params.profile).toMatchObject({ rate: 250 });
    expect(s.target.namespace).toBe('gameday-x');
    const [cm] = readManifests(['app.yaml'], f, s.target.namespace, s.vars);
    expect(cm!.metadata).toEqual({ name: 'app-gameday-x', namespace: 'gameday-x' });
    expect((cm as unknown as { data: Record<string, string> }).data).toEqual({ rate: '250', literal: '${kept}' });
  });

  it('refuses an undeclared --set name with a suggestion, and a non-number for a number', async () => {
    expect(await issuesOf(loadScenario(f, { set: ['rat=5'] }))).toMatch(/--set rat: the scenario declares no variable "rat"; did you mean rate\?/);
    expect(await issuesOf(loadScenario(f, { set: ['rate=fast'] }))).toMatch(/--set rate=fast: expected a number \(the default is 100\)/);
    expect(await issuesOf(loadScenario(f, { set: ['rate'] }))).toMatch(/expected name=value/);
  });

  it('an unknown ${name} is located where it was written', async () => {
    const g = file('bad.yaml', SCENARIO.replace("duration: '${hold}'", "duration: '${hld}'"));
    expect(await issuesOf(loadScenario(g))).toMatch(/bad\.yaml:8:\d+ load\.profile\.duration: unknown variable \$\{hld\}; did you mean hold\?/);
  });

  it('an unknown ${name} in a manifest fails validate for the deploy step', async () => {
    file('broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ${nope}}\n');
    const g = file('m.yaml', SCENARIO.replace('[app.yaml]', '[broken.yaml]'));
    expect(await issuesOf(loadScenario(g))).toMatch(/release\.manifests\[0\]: cannot read broken\.yaml: unknown variable \$\{nope\} in broken\.yaml/);
  });
});
