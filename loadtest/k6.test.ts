import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InfraError } from '../core/errors.ts';
import { defaultOptions } from '../core/options.ts';
import { findK6, k6Candidates, parseK6Version, remoteWriteEnv, supported } from './k6.ts';
import { systemTagsFor } from './run.ts';

/** A fake k6 printing `version` as given. */
function fakeK6(version: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-k6-'));
  const path = join(dir, 'k6');
  writeFileSync(path, `#!/bin/sh\necho '${version}'\n`, { mode: 0o755 });
  return path;
}

describe('finding k6', () => {
  it('reads the version line of a stock k6 and needs v1.1 or newer', () => {
    const v = parseK6Version('k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)\n')!;
    expect(v).toEqual({ version: 'v1.1.0', major: 1, minor: 1 });
    expect(supported(v)).toBe(true);
    expect(supported(parseK6Version('k6 v1.0.0 (go1.24.1, linux/amd64)')!)).toBe(false);
    expect(supported(parseK6Version('k6 v0.57.0 (go1.23, linux/amd64)')!)).toBe(false);
    expect(supported(parseK6Version('k6 v2.0.0')!)).toBe(true);
  });

  it('--k6 / GAUNTLET_K6 is used alone; otherwise the Gauntlet cache, then PATH', () => {
    expect(k6Candidates({ cacheDir: '/c', env: { PATH: '/a:/b' }, k6: '/opt/k6' })).toEqual(['/opt/k6']);
    expect(k6Candidates({ cacheDir: '/c', env: { PATH: '/a:/b' } })).toEqual(['/c/bin/k6', '/a/k6', '/b/k6']);
    expect(defaultOptions({ HOME: '/h', GAUNTLET_K6: '/opt/k6' }).k6).toBe('/opt/k6');
    expect(defaultOptions({ HOME: '/h' }).k6).toBeUndefined();
  });

  it('refuses an explicit k6 that is too old, naming it, instead of falling back to another', async () => {
    const old = fakeK6('k6 v1.0.0 (go1.24.1, linux/amd64)');
    const e = await findK6({ cacheDir: '/nonexistent', env: { PATH: '' }, k6: old }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InfraError);
    expect((e as Error).message).toContain(`${old}: v1.0.0 is older than v1.1`);
    const ok = fakeK6('k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)');
    expect(await findK6({ cacheDir: '/nonexistent', env: { PATH: '' }, k6: ok })).toEqual({ path: ok, version: 'v1.1.0', versionText: 'k6 v1.1.0 (commit/0e3fb953be, go1.24.4, linux/amd64)' });
  });
});

describe('the live channel settings', () => {
  it('native histograms, 250 ms pushes, stale markers, narrowed system tags', () => {
    expect(remoteWriteEnv('http://127.0.0.1:1/api/v1/write', 250, ['scenario', 'status'])).toMatchObject({
      K6_PROMETHEUS_RW_SERVER_URL: 'http://127.0.0.1:1/api/v1/write',
      K6_PROMETHEUS_RW_PUSH_INTERVAL: '250ms',
      K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM: 'true',
      K6_PROMETHEUS_RW_STALE_MARKERS: 'true',
      K6_SYSTEM_TAGS: 'scenario,status',
    });
  });

  it("keeps every system tag a script's threshold selects on, and only those beyond the base", () => {
    expect(systemTagsFor({})).toEqual(['scenario', 'status', 'error_code', 'expected_response']);
    expect(systemTagsFor({ 'http_req_duration{name:login,version:v2}': ['p(95)<200'], 'checks{check:ok}': ['rate>0.9'], http_reqs: ['count>1'] })).toEqual([
      'scenario',
      'status',
      'error_code',
      'expected_response',
      'name',
      'check',
    ]);
  });
});
