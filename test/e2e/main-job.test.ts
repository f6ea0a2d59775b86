/**
 * The main job (`npm start` = set-up, then `gauntlet demo`) end to end: the shipped game-day
 * scenario on the lab. The demo service is deployed, driven from its baseline to a 200 % surge,
 * released as a canary under it, a spot node is interrupted mid-release, the new version's egress
 * is audited; every gate passes on real measurements, the progress says where the run is, the
 * report tells the story in order, the HTML report's path is printed, and the cluster is left as
 * it was. (Moved to a namespace of this suite with --set; the default is gauntlet-demo.)
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labNodeStart } from '../../lab/index.ts';
import { runGauntlet } from '../support/cli.ts';
import { labNodes } from './chaos-kit.ts';
import { LAB_PROVIDER, eventually, k, kjson, labWorldHosts, requireLab, serviceIp } from './lab-kube.ts';

const NS = 'gameday-main';
/** The lab's workers, from the cluster (lab-node-1..3 on the local lab, gauntlet-lab-worker..3 on kind). */
let NODES: string[] = [];

describe('main job: gauntlet demo (scenarios/game-day.yaml) in the lab', () => {
  beforeAll(async () => {
    await requireLab();
    NODES = (await labNodes()).all;
    await k(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true', '--timeout=120s']);
  });
  afterAll(async () => {
    for (const n of NODES) {
      const st = (await kjson(['get', 'node', n]).catch(() => undefined)) as any;
      if (!st?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) await labNodeStart({ node: n, waitMs: 120_000 }).catch(() => {});
    }
  });

  it('passes every gate on real measurements, tells the story in order, prints the report and removes what it deployed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-main-'));
    const t0 = Date.now();
    // No KUBECONFIG: demo finds the lab's own. On kind, --provider kind gives the scenario that
    // lab's outside hosts; the address is this file's own in either lab's Service range.
    const provider = LAB_PROVIDER === 'kind' ? ['--provider', 'kind'] : [];
    const r = await runGauntlet(['demo', ...provider, '--set', `namespace=${NS}`, '--set', `ip=${serviceIp('0.193')}`, '--report-dir', dir, '-o', 'json'], { env: { KUBECONFIG: '' } });
    console.log(`gauntlet demo: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.stderr).toMatch(/using context gauntlet-lab/);
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.verdict).toBe('pass');
    for (const g of out.gates) expect(g.samples, g.name).toBeGreaterThan(0);
    expect(out.gates.map((g: { name: string }) => g.name)).toEqual(expect.arrayContaining(['release-settled', 'surge-held-3x', 'probe-during-spot', 'nothing-lost-at-t', 'egress-as-approved']));
    // Progress a person can follow, and where the report is.
    expect(r.stderr).toMatch(/── \d+s of 150s, at most \d+s left · during spot \(spot-interruption/);
    const html = /HTML report: (\S+)/.exec(r.stderr)?.[1];
    expect(html && existsSync(html)).toBe(true);
    // The story in order: deployed, surge, canary steps, spot notice, release settled, egress audit.
    const events = readFileSync(join(out.runDir, 'journal.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The egress audit ran against the lab under test's outside hosts.
    expect(events.find((e) => e.type === 'run.start').scenario.vars).toMatchObject(Object.fromEntries(labWorldHosts().map((h) => [h.name, h.ip])));
    const at = (re: RegExp) => events.find((e) => e.type === 'mark' && re.test(e.label))?.t ?? Infinity;
    const story = [at(/^deployed /), at(/^canary weight 25 %/), at(/^spot interruption notice for /), at(/^canary (promoted|release settled)/), at(/^egress static check: 1 of 1 workload/), at(/^egress probes: /)];
    expect(story.every(Number.isFinite), JSON.stringify(story)).toBe(true);
    expect([...story].sort((a, b) => a - b)).toEqual(story);
    const md = readFileSync(join(out.runDir, 'report.md'), 'utf8');
    expect(md).toMatch(/spot interruption notice/);
    expect(md).toMatch(/canary weight 25 %/);
    expect(md).toMatch(/egress probes: \d+ of \d+ check\(s\) as the allowlist and the analysis expect/);
    // Every change was reverted: the namespace it created is gone, the nodes are back.
    await eventually('namespace gone', async () => !(await k(['get', 'namespace', NS])).ok, 60_000);
    await eventually('every node Ready', async () => {
      const l = await kjson(['get', 'nodes']);
      return NODES.every((n) => l.items.find((x: any) => x.metadata.name === n)?.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True'));
    }, 120_000);
  }, 420_000);
});
