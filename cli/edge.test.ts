/**
 * The CLI as a new user meets it: flags, contexts, errors and -o json, run as a user would
 * (`node cli/main.ts ...`). Nothing here reaches a cluster: the kubeconfig points at a closed
 * loopback port.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSchema } from '../reports/schema/validate.ts';
import { runGauntlet } from '../test/support/cli.ts';

const KC = 'cli/fixtures/kubeconfig-dead.yaml';
const NEVER = join(mkdtempSync(join(tmpdir(), 'gauntlet-cli-edge-')), 'runs');
// Asynchronous, and every describe below concurrent: each case is its own CLI process, so they run
// side by side (the dead-address cases spend 3 s in the client's retries, waiting).
// A hang guard, not a timing: a case's CLI processes share 2 cores with up to 8 others (3 workers,
// 3 concurrent cases each) and, in CI, the type checks and the lab's start-up.
const SPAWNS_TIMEOUT = 90_000;
const cli = (args: string[], input?: string) =>
  runGauntlet(args, { ...(input !== undefined ? { input } : {}), env: { KUBECONFIG: '/nonexistent', HOME: '/nonexistent' } });
const schema = (name: string) => JSON.parse(readFileSync(`cli/schema/${name}.schema.json`, 'utf8')) as Record<string, unknown>;
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;

// [what, argv, exit code, stderr pattern, stdout pattern]
const cases: Array<[string, string[], number, RegExp | undefined, RegExp | undefined]> = [
  ['--version prints the version', ['--version'], 0, undefined, new RegExp(`^${version}\\n$`)],
  ['`version` prints the version', ['version'], 0, undefined, new RegExp(`^${version}\\n$`)],
  ['a misspelled flag gets "did you mean"', ['validate', 'scenarios/probe.yaml', '--seeed', '1'], 2, /Unknown argument: seeed \(did you mean --seed\?\)/, /^$/],
  ['a misspelled global flag too', ['plan', 'scenarios/probe.yaml', '--kubeconfg', KC], 2, /did you mean --kubeconfig\?/, /^$/],
  ['a misspelled command gets "did you mean"', ['valdate', 'x'], 2, /Did you mean validate\?/, undefined],
  ['an unknown --context exits 2 naming the kubeconfig\'s contexts', ['plan', 'scenarios/lab-demo.yaml', '--kubeconfig', KC, '--context', 'prod'], 2, /context "prod" not found in kubeconfig \(have: alpha, beta\)/, /^$/],
  ['an unknown --context is an error even for a scenario that needs no cluster', ['run', 'scenarios/probe.yaml', '--kubeconfig', KC, '--context', 'prod', '--report-dir', NEVER], 2, /have: alpha, beta/, /^$/],
  ['--context wins over target.context, and says so', ['plan', 'scenarios/lab-demo.yaml', '--kubeconfig', KC, '--context', 'beta'], 0, /--context beta overrides the scenario's target\.context \(gauntlet-lab\)/, /target: context beta,/],
  ['policies check uses --kubeconfig and its current-context (then names the dead address)', ['policies', 'check', '--allowlist', 'policies/examples/allowlist.yaml', '--kubeconfig', KC], 3, /cluster unreachable at https:\/\/127\.0\.0\.1:59999 \(ECONNREFUSED\)/, undefined],
  ['policies probe against a dead cluster names the address (exit 3)', ['policies', 'probe', '--allowlist', 'policies/examples/allowlist.yaml', '--all-namespaces', '--kubeconfig', KC], 3, /cluster unreachable at https:\/\/127\.0\.0\.1:59999 \(ECONNREFUSED\)/, undefined],
  ['lab node-start takes the node as a positional (and needs one)', ['lab', 'node-start'], 2, /lab node-start needs a node name/, undefined],
  ['completion prints a shell script', ['completion'], 0, undefined, /gauntlet.*completion/s],
];

describe.concurrent('the CLI edge', { timeout: SPAWNS_TIMEOUT }, () => {
  it.each(cases)('%s', async (_what, args, code, stderr, stdout) => {
    const r = await cli(args);
    // The run directory is not created for an unknown context (checked in the case itself: the
    // cases run concurrently, so a separate test could look before the `run` case is done).
    if (args.includes(NEVER)) expect(existsSync(NEVER)).toBe(false);
    if (stderr) expect(r.stderr).toMatch(stderr);
    if (stdout) expect(r.stdout).toMatch(stdout);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at .*\.ts:\d+/);
    expect(r.code, r.stderr).toBe(code);
  });

  it('a genuine bug is one line and a hint; the stack trace only with --verbose', async () => {
    // A journal line missing its histogram trips the report builder: not a user's mistake we name.
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-cli-bug-'));
    writeFileSync(join(dir, 'journal.ndjson'), '{"v":1,"seq":0,"t":0,"wall":"2026-01-01T00:00:00Z","type":"window","step":"x","start":0,"end":1000,"requests":1,"failures":0}\n');
    const r = await cli(['report', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^internal error: .+\nhint: rerun with --verbose/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect((await cli(['report', dir, '--verbose'])).stderr).toMatch(/\n\s+at .*histogram\.ts:\d+/);
  });

  it('--manifests - reads manifests from stdin', async () => {
    const r = await cli(['policies', 'check', '--allowlist', 'policies/examples/allowlist.yaml', '--manifests', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    expect(r.stderr).not.toMatch(/Unknown argument/);
    expect([0, 1]).toContain(r.code);
  });

  it('policies --help lists -o once, with each format once', async () => {
    const r = await cli(['policies', '--help']);
    expect(r.stdout).not.toMatch(/-o, -o/);
    expect(r.stdout).toMatch(/choices: "text", "json", "junit", "sarif", "md"\]/);
  });

  it('the lab summary names every action', async () => {
    const r = await cli(['--help']);
    expect(r.stdout).toMatch(/lab <action>.*node-stop, node-start/s);
  });
});

describe.concurrent('-o json: one document per command, valid against its schema, errors included', { timeout: SPAWNS_TIMEOUT }, () => {
  const json = async (args: string[]) => {
    const r = await cli([...args, '-o', 'json']);
    return { r, doc: JSON.parse(r.stdout) as Record<string, any> };
  };

  it('validate (valid)', async () => {
    const { r, doc } = await json(['validate', 'scenarios/lab-demo.yaml']);
    expect(r.code).toBe(0);
    expect(validateSchema(doc, schema('validate'))).toEqual([]);
    expect(doc.gates.find((g: { name: string }) => g.name === 'clean-before')).toMatchObject({ metric: 'error_rate', unit: 'ratio', phase: 'before', max: 0.005 });
  });

  it('validate (invalid): the issues on stdout, exit 2', async () => {
    const { r, doc } = await json(['validate', 'scenarios/fixtures/bad/gate-mistakes.yaml']);
    expect(r.code).toBe(2);
    expect(validateSchema(doc, schema('validate'))).toEqual([]);
    expect(doc.valid).toBe(false);
    expect(doc.issues).toHaveLength(8);
    expect(doc.issues[0]).toMatchObject({ line: 9, column: 14, path: 'gates[0].metric' });
  });

  it('plan: structured gates, and the same seed on every call', async () => {
    const [a, b, c] = await Promise.all([json(['plan', 'scenarios/lab-demo.yaml']), json(['plan', 'scenarios/lab-demo.yaml']), json(['plan', 'scenarios/lab-demo.yaml', '--seed', '42'])]);
    expect(validateSchema(a.doc, schema('plan'))).toEqual([]);
    expect(a.doc.seed).toBe(b.doc.seed);
    expect(a.doc.gates[3]).toMatchObject({ name: 'pod-replaced', metric: 'recoverySeconds', unit: 's', max: 30 });
    expect(c.doc.seed).toBe(42);
  });

  it('an error is a JSON document too, with the same exit code', async () => {
    const { r, doc } = await json(['plan', 'scenarios/lab-demo.yaml', '--kubeconfig', KC, '--context', 'prod']);
    expect(r.code).toBe(2);
    expect(validateSchema(doc, schema('error'))).toEqual([]);
    expect(doc.error).toMatchObject({ kind: 'usage', exitCode: 2 });
  });

  it.each([
    ['run', ['--url', 'http://127.0.0.1:9/', '--profile', 'ramp', '--from', '10', '--to', '50', '--duration', '30s']],
    ['surge', ['--target', 'http://127.0.0.1:9/', '--baseline-rps', '20', '--hold', '10s']],
    ['capacity', ['--target', 'http://127.0.0.1:9/', '--start', '10', '--max', '40']],
  ])('load %s --dry-run', async (action, args) => {
    const { r, doc } = await json(['load', action, ...args, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(validateSchema(doc, schema('load-plan'))).toEqual([]);
    expect(doc.stages.length).toBeGreaterThan(0);
  });

  it('canary lint: findings at file:line, exit 1, valid against its schema; bad input exits 2', async () => {
    const r = await cli(['canary', 'lint', 'canary/fixtures/canary-lint.yaml', '-o', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(validateSchema(doc, schema('canary-lint'))).toEqual([]);
    expect(doc.findings.map((f: { rule: string; line: number }) => `${f.rule}:${f.line}`)).toEqual(['timing:11', 'stalls-without-traffic:15', 'primary-label:23']);
    expect(doc.timings[0]).toMatchObject({ worstCaseRollbackSeconds: 420 });
    const bad = await cli(['canary', 'lint', 'scenarios/probe.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/scenarios\/probe\.yaml: no Canary/);
  });

  it('canary run --router httproute without --route or --gateway: exit 2 before touching the cluster', async () => {
    const r = await cli(['canary', 'run', '--workload', 'deployment/demo', '--url', 'http://127.0.0.1:9/', '--env', 'VERSION=v2', '--router', 'httproute', '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/canary: router: httproute: give route: <an existing HTTPRoute> or parentRef/);
  });

  it('version', async () => {
    const { doc } = await json(['version']);
    expect(validateSchema(doc, schema('version'))).toEqual([]);
    expect(doc.version).toBe(version);
  });
});

describe.concurrent('cli/schema', { timeout: SPAWNS_TIMEOUT }, () => {
  it('each schema names itself gauntlet/<file>/v1, the value of the documents\' `schema` field', async () => {
    for (const f of readdirSync('cli/schema')) {
      const name = f.replace(/\.schema\.json$/, '');
      const s = schema(name) as { properties: { schema: { const: string } }; $id: string };
      expect(s.properties.schema.const, f).toBe(`gauntlet/${name}/v1`);
      expect(s.$id, f).toBe(`https://gauntlet.dev/schema/${name}/v1.json`);
    }
  });

  it('lab env with the lab down: the document says so, exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-no-lab-'));
    const r = await runGauntlet(['lab', 'env', '-o', 'json'], { env: { XDG_STATE_HOME: dir } });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(validateSchema(doc, schema('lab-env'))).toEqual([]);
    expect(doc).toMatchObject({ up: false, shell: '' });
    expect(r.stderr).toMatch(/the lab is down/);
  });
});

describe('bin/gauntlet.js on an old Node', () => {
  const old = '/usr/bin/node';
  const v = existsSync(old) ? spawnSync(old, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim() : '';
  const tooOld = /^(\d+)\.(\d+)/.test(v) && (Number(v.split('.')[0]) < 22 || (Number(v.split('.')[0]) === 22 && Number(v.split('.')[1]) < 18));
  it.skipIf(!tooOld)(`says which Node is needed and how to get it (system node ${v || 'absent'}${tooOld ? '' : ': skipped, needs a Node older than 22.18 at /usr/bin/node'})`, () => {
    const r = spawnSync(old, ['bin/gauntlet.js', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/gauntlet needs Node >= 22\.18; this is Node 2\d\./);
    expect(r.stderr).toMatch(/npm start.*npx gauntlet/);
  });
});
