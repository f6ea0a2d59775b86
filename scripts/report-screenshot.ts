/**
 * A PNG of a run's HTML report, as a person sees it, for docs and postmortem tickets:
 *   node scripts/report-screenshot.ts runs/<run-id>/report.html out.png [width=1280] [height=whole page]
 * Debian's headless Chromium (scripts/tools/install-base.sh installs it) through playwright-core;
 * the page may load nothing but the report file itself (every other request is refused, and the
 * report is built to need none).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [html, out, width = '1280', height] = process.argv.slice(2);
if (!html || !out) {
  console.error('usage: node scripts/report-screenshot.ts <report.html> <out.png> [width] [height]');
  process.exit(2);
}
if (!existsSync(html)) {
  console.error(`${html}: no such file`);
  process.exit(2);
}
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: apt-get install -y chromium`);
  process.exit(3);
}
const url = pathToFileURL(resolve(html)).href;
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: Number(width), height: 900 }, deviceScaleFactor: 1 });
  await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  await page.goto(url, { waitUntil: 'load' });
  await page.screenshot({ path: out, fullPage: true, ...(height ? { clip: { x: 0, y: 0, width: Number(width), height: Number(height) } } : {}) });
  console.log(`${out}: ${width} px wide, ${height ? `top ${height} px` : 'whole page'}`);
} finally {
  await browser.close();
}
