/**
 * The HTML report in a real browser (Debian's headless Chromium): charts render with real
 * geometry, the key numbers are on the page, nothing is fetched. Needs no cluster.
 * Leaves a screenshot at test-results/report.png (a CI artifact).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticJournal } from '../../reports/synthetic.ts';
import { writeReports } from '../../reports/write.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = resolve('test-results/report.png');

describe('report.html in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (scripts/tools/install-base.sh installs it)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(events: Parameters<typeof writeReports>[1]) {
    const runDir = join(mkdtempSync(join(tmpdir(), 'gauntlet-e2e-report-')), 'run');
    await writeReports(runDir, events);
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const url = pathToFileURL(join(runDir, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });
    return { page, requests: requests.filter((u) => u !== url), errors };
  }

  it('draws the charts, shows the verdict and numbers, fetches nothing', async () => {
    const { page, requests, errors } = await open(syntheticJournal());
    const charts = await page.locator('svg.chart').evaluateAll((svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const lines = [...svg.querySelectorAll('path.line')].map((p) => ({ d: p.getAttribute('d') ?? '', len: (p as unknown as { getTotalLength(): number }).getTotalLength() }));
        // Marker labels must lie inside the chart (never cut at its edge).
        const cut = [...svg.querySelectorAll('.marker text')].filter((t) => {
          const b = t.getBoundingClientRect();
          return b.left < box.left - 0.5 || b.right > box.right + 0.5;
        }).length;
        const ticks = [...svg.querySelectorAll('.axes text.tick[dominant-baseline="middle"]')].map((t) => t.textContent ?? '');
        return { w: box.width, h: box.height, title: svg.getAttribute('aria-label'), lines, bands: svg.querySelectorAll('.band rect').length, markers: svg.querySelectorAll('.marker').length, kinds: [...svg.querySelectorAll('.marker')].map((m) => m.getAttribute('class')), cut, ticks };
      }),
    );
    // The synthetic run is a canary: its release marks carry weights, so the weight chart leads.
    expect(charts.map((c) => c.title)).toEqual(['Traffic weight per version (marks: analysis decisions)', 'Request rate, req/s', 'Error rate', 'Latency p50 / p95 / p99']);
    const weight = charts[0]!;
    expect(weight.w).toBeGreaterThan(400);
    expect(weight.lines.length).toBeGreaterThanOrEqual(1);
    expect(weight.cut).toBe(0);
    const series = charts.slice(1);
    for (const c of series) {
      expect(c.w).toBeGreaterThan(400);
      expect(c.h).toBeGreaterThan(100);
      expect(c.lines.length).toBeGreaterThanOrEqual(3);
      for (const l of c.lines) {
        expect(l.d).toMatch(/^M[\d.]+ [\d.]+L/);
        expect(l.len).toBeGreaterThan(50);
      }
      expect(c.bands).toBe(1);
      // Two release marks, the fault's onset, and the rollback figure at the moment it was recorded.
      expect(c.markers).toBe(4);
      expect(c.kinds.sort()).toEqual(['marker fault', 'marker figure', 'marker mark', 'marker mark']);
      expect(c.cut).toBe(0);
    }
    const errorTicks = series[1]!.ticks;
    expect(errorTicks.every((t) => !t.endsWith('%') || parseFloat(t) <= 100)).toBe(true);

    await expect.poll(() => page.locator('#verdict .verdict').innerText()).toBe('FAIL');
    const gates = await page.locator('#gates').innerText();
    expect(gates).toMatch(/FAIL\s+canary-errors[\s\S]*7\.62%\s+≤ 1%\s+210/);
    expect(gates).toMatch(/pass\s+rollback-time[\s\S]*12\.5 s\s+≤ 30 s/);
    const tiles = await page.locator('#key-numbers').innerText();
    expect(tiles).toContain('6,240');
    expect(tiles).toContain('requests · probe + load');
    expect(await page.locator('#failure-causes').innerText()).toMatch(/all steps/);
    expect(tiles).toContain('1.04%');
    expect(await page.locator('#definitions').innerText()).toContain('fault onset to 100% of traffic on stable');

    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    await page.close();
  });

  it('shows "no data" charts and no PASS for an empty journal', async () => {
    const { page, requests } = await open([]);
    expect(await page.locator('#verdict .verdict').innerText()).toBe('INCONCLUSIVE: nothing measured');
    expect(await page.locator('svg.chart text.no-data').count()).toBe(3);
    expect(requests).toEqual([]);
    await page.close();
  });
});
