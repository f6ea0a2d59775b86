/** Surge and capacity verdicts with real k6 against local servers of known capacity. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultOptions } from '../../core/options.ts';
import { capacitySearch, surge } from '../../scenarios/load-runs.ts';
import { saturatingServer, slowServer, type TestServer } from './load-servers.ts';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-surge-'));
const options = defaultOptions(process.env, { reportDir: dir, progress: (l) => process.env.GAUNTLET_TEST_VERBOSE && console.error(l) });

describe('surge', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('reaches 3x baseline within 2% and holds it', async () => {
    server = await slowServer(2);
    const r = await surge({ options, target: server.url, baselineRps: 100, warmup: '2s', rampUp: '4s', hold: '6s', rampDown: '1s', slo: { p99Ms: 200 }, expectedLatencyMs: 10 });
    expect(r.verdict).toBe('held');
    expect(r.achievedMultiple!).toBeGreaterThan(2.94);
    expect(r.achievedMultiple!).toBeLessThan(3.06);
    expect(r.summary).toMatch(/^held 3\.0x for 6s: p99 [\d.]+ ms, errors 0%$/);
  });

  it('a saturating server breaks near its capacity multiple', async () => {
    // Capacity 250 req/s = 2.5x a 100 req/s baseline; queueing (and timer jitter on a busy
    // machine) lifts p99 a little before 100% utilisation, so the breach lands around 2.3-2.8x.
    server = await saturatingServer(4);
    const r = await surge({ options, target: server.url, baselineRps: 100, warmup: '2s', rampUp: '10s', hold: '3s', rampDown: '0s', slo: { p99Ms: 50 }, expectedLatencyMs: 10 });
    expect(r.verdict).toBe('broke');
    expect(r.breach!.multiple).toBeGreaterThanOrEqual(2.2);
    expect(r.breach!.multiple).toBeLessThan(2.9);
    expect(r.summary).toMatch(/^broke at 2\.\dx: first SLO breach at t=[\d.]+s \(p99 [\d.]+ ms > 50 ms\)$/);
  });
});

describe('capacity search', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.close());

  it('reports the highest rate sustained below saturation', async () => {
    server = await saturatingServer(4); // 250 req/s
    const r = await capacitySearch({ options, target: server.url, startRps: 100, stepRps: 50, stepDuration: '3s', maxRps: 400, slo: { p99Ms: 50 }, expectedLatencyMs: 10 });
    expect(r.verdict).toBe('found');
    expect(r.highestSustainedRps).toBeGreaterThanOrEqual(200);
    expect(r.highestSustainedRps).toBeLessThanOrEqual(250);
    expect(r.brokeAt!.rate).toBeGreaterThan(r.highestSustainedRps!);
  });
});
