/**
 * deploy through the ledger against an in-memory cluster: what it creates carries the run's
 * mark; what it replaces is restored in-process, while Secret data and command secrets never
 * reach the journal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChangeLedger } from '../../core/changes.ts';
import { Journal, readJournal } from '../../core/journal.ts';
import type { Kube } from '../../core/kube.ts';
import { defaultOptions } from '../../core/options.ts';
import type { Scenario, Step } from '../../core/scenario.ts';
import { stepKind, type StepContext } from '../../core/steps.ts';
import { recoverRun } from '../../scenarios/recover.ts';
import { InputError } from '../../core/errors.ts';
import { readManifests, RUN_MARK } from './deploy.ts';
import '../../chaos/faults/command.ts';

type Obj = { apiVersion: string; kind: string; metadata: { name: string } & Record<string, any>; data?: Record<string, string> };
const key = (o: { kind: string; name?: string; metadata?: { name: string } }) => `${o.kind}/${o.name ?? o.metadata!.name}`;

function fakeKube(initial: Obj[]) {
  const store = new Map(initial.map((o) => [key(o), o]));
  const kube = {
    context: 'fake', server: 'https://fake', namespace: 'shop', kubeconfig: '',
    get: async (r: { kind: string; name: string }) => store.get(key(r)),
    apply: async (o: Obj) => (store.set(key(o), o), o),
    delete: async (r: { kind: string; name: string }) => (store.delete(key(r)) ? 'deleted' : 'absent'),
  };
  return { kube: kube as unknown as Kube, store };
}

function context(kube: Kube, step: Step, runDir: string): { ctx: StepContext; journal: Journal } {
  const journal = Journal.create(join(runDir, 'journal.ndjson'));
  journal.appendDurable({ type: 'run.start', runId: 'run-7', scenario: {}, provenance: {} as never, epochMs: journal.clock.epochMs });
  const scenario: Scenario = { name: 't', file: join(runDir, 'scenario.yaml'), target: { namespace: 'shop' }, duration: 60_000, seed: 1, steps: [step], gates: [] };
  const ctx: StepContext = {
    runId: 'run-7', step, scenario, journal, clock: journal.clock, signal: new AbortController().signal, deadline: 60_000,
    options: defaultOptions({}), changes: new ChangeLedger(journal, { kube: async () => kube }), runDir, kube: async () => kube, progress: () => {},
  };
  return { ctx, journal };
}

describe('deploy and the journal', () => {
  it('never journals Secret data or secrets in command argv, still restores in-process, and recover says what it cannot restore', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-deploy-'));
    writeFileSync(join(dir, 'm.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata: {password: bmV3LXNlY3JldA==}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh}\ndata: {a: b}\n');
    const old: Obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop', resourceVersion: '5' }, data: { 'config.json': 'c3VwZXItc2VjcmV0LW9sZA==' } };
    const { kube, store } = fakeKube([old]);
    const kind = stepKind('deploy')!;
    const step: Step = { id: 'deploy', kind: 'deploy', section: 'release', at: 0, params: kind.params.parse({ manifests: ['m.yaml'] }), source: { file: 't' } } as Step;
    const { ctx, journal } = context(kube, step, dir);
    await kind.run(ctx);
    // What the run created carries its mark.
    expect(store.get('ConfigMap/fresh')!.metadata.annotations).toEqual({ [RUN_MARK]: 'run-7' });
    // A command fault whose argv holds a token.
    const cmd = stepKind('command')!;
    const fault: Step = { id: 'cmd', kind: 'command', section: 'faults', at: 0, duration: 10, params: cmd.params.parse({ run: ['true', '--token=s3cr3tT0ken'], revert: ['true', '--password=hunter2x'] }), source: { file: 't' } } as Step;
    await cmd.run({ ...ctx, step: fault, deadline: ctx.clock.now() + 10 });
    const text = readFileSync(join(dir, 'journal.ndjson'), 'utf8');
    for (const secret of ['c3VwZXItc2VjcmV0LW9sZA==', 'bmV3LXNlY3JldA==', 's3cr3tT0ken', 'hunter2x']) expect(text).not.toContain(secret);
    // This process still restores the old Secret exactly (it kept the data in memory).
    await ctx.changes.revertAll();
    journal.close();
    expect(store.get('Secret/db')!.data).toEqual(old.data);
    expect(store.has('ConfigMap/fresh')).toBe(false);
  });

  it('after a crash, recover refuses to "restore" a Secret whose data the journal never had', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-deploy-'));
    writeFileSync(join(dir, 'm.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata: {k: bmV3}\n');
    const old: Obj = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, data: { k: 'b2xk' } };
    const { kube } = fakeKube([old]);
    const kind = stepKind('deploy')!;
    const step: Step = { id: 'deploy', kind: 'deploy', section: 'release', at: 0, params: kind.params.parse({ manifests: ['m.yaml'] }), source: { file: 't' } } as Step;
    const { ctx, journal } = context(kube, step, dir);
    await kind.run(ctx);
    journal.close(); // crash: nothing reverted
    const r = await recoverRun(dir, defaultOptions({}));
    expect(r.failed[0]?.error).toMatch(/never reached the journal/);
    expect(readJournal(join(dir, 'journal.ndjson')).some((e) => JSON.stringify(e).includes('b2xk'))).toBe(false);
  });
});

// The deploy step reads manifests through core/source.ts, like every other input.
const manifestsDir = mkdtempSync(join(tmpdir(), 'deploy-manifests-'));
const scenarioFile = join(manifestsDir, 'scenario.yaml');
const write = (name: string, text: string) => (writeFileSync(join(manifestsDir, name), text), name);

describe('deploy manifests', () => {
  it('skips empty documents and puts namespaced objects in the scenario namespace', () => {
    const f = write('ok.yaml', '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# nothing here\n---\n');
    expect(readManifests([f], scenarioFile, 'demo').map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.namespace}`)).toEqual(['ConfigMap/a@demo']);
  });

  it('rejects YAML syntax errors and alias bombs as located input errors', () => {
    const broken = write('broken.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n');
    expect(() => readManifests([broken], scenarioFile, 'demo')).toThrow(InputError);
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(', ')}]`)];
    const bomb = write('bomb.yaml', `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n${levels.map((l) => `  ${l}`).join('\n')}\n`);
    expect(() => readManifests([bomb], scenarioFile, 'demo')).toThrow(/^bomb\.yaml:6:12: .*alias/);
  });
});
