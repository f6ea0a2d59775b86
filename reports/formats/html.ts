/**
 * report.html: one self-contained file (inline CSS, charts drawn to SVG here, no script, no
 * fonts, nothing fetched), so it can be attached to a ticket or opened from a CI artifact.
 */
import { formatValue } from '../../core/gates.ts';
import { reportCharts } from '../charts.ts';
import type { Report, Stats } from '../model.ts';
import { causeRows, DASH, fmtCount, fmtDuration, fmtWall, fmtOffset, figureValue, GATE_LABEL, observed, PHASE_LABEL, provenanceLines, STATS_HEADER, statsCells, timelineText, stepLabel, stepStats, trafficScope, verdictLabel, verdictSummary } from '../present.ts';
import type { Renderer } from '../renderer.ts';
import { escapeXml as esc } from '../svg.ts';
import { budgetText, fmtShare, impactRows, storyOf, summaryLine } from '../story.ts';

const CSS = `
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--card:#fff;--pass:#15803d;--fail:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 2px}
h2{font-size:15px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:32px 0 10px}
.banner{display:flex;gap:20px;align-items:center;padding:18px 20px;border-radius:10px;color:#fff}
.banner.pass{background:var(--pass)}.banner.fail{background:var(--fail)}.banner.inconclusive{background:var(--warn)}
.banner .verdict{font-size:30px;font-weight:800;letter-spacing:.04em;white-space:nowrap}
.banner p{margin:0;opacity:.95}.banner .meta{font-size:12px;opacity:.85}
.reasons{margin:12px 0 0;padding:10px 14px 10px 30px;background:#fff7ed;border:1px solid #fed7aa;border-radius:8px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:16px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.tile .k{font-size:12px;color:var(--muted)}.tile .v{font-size:22px;font-weight:700;font-variant-numeric:tabular-nums}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600;font-size:12px;color:#334155}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:last-child td{border-bottom:0}
.badge{display:inline-block;min-width:64px;text-align:center;font-size:12px;font-weight:700;padding:1px 8px;border-radius:999px}
.badge.pass{background:#dcfce7;color:var(--pass)}.badge.fail{background:#fee2e2;color:var(--fail)}.badge.no-data{background:#fef3c7;color:var(--warn)}
tr.fail td{background:#fef2f2}
.sel{color:var(--muted);font-size:12px}
.chart{display:block;width:100%;height:auto;background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:12px}
.chart text{font:12px system-ui,sans-serif;fill:#475569}.chart .chart-title{font-weight:600;fill:var(--fg);font-size:13px}
.chart .grid{stroke:#eef2f7}.chart .axis,.chart .tickmark{stroke:#94a3b8}.chart .frame{fill:#f8fafc;stroke:var(--line)}
.chart .no-data{font-size:16px;fill:var(--muted)}
.chart .line{fill:none;stroke-width:1.8;stroke-linejoin:round}.chart .area{opacity:.07}
.chart .band rect{fill:#dc2626;opacity:.09}.chart .band text{fill:#b91c1c;font-size:11px}
.chart .marker line{stroke:#7c3aed;stroke-dasharray:3 3}.chart .marker text{fill:#6d28d9;font-size:11px}
.chart .marker.fault line{stroke:#dc2626}.chart .marker.fault text{fill:#b91c1c}.chart .marker.figure line{stroke:#059669}.chart .marker.figure text{fill:#047857}
.tl td:first-child{white-space:nowrap;font-variant-numeric:tabular-nums;color:var(--muted)}
.tl .warn td:last-child{color:var(--warn)}.tl .error td:last-child{color:var(--fail);font-weight:600}
.kind{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
pre{background:#0f172a;color:#e2e8f0;padding:10px;border-radius:6px;overflow:auto;font-size:12px}
footer{margin-top:36px;color:var(--muted);font-size:12px}
details#event-log{margin-top:12px}details#event-log summary{cursor:pointer;color:var(--muted)}
@media print{body{background:#fff}.chart{break-inside:avoid}}
`;

function statsTable(first: string, rows: Array<[string, Stats]>): string {
  const head = `<tr><th>${esc(first)}</th>${STATS_HEADER.map((h) => `<th class="n">${esc(h)}</th>`).join('')}</tr>`;
  const body = rows.map(([k, s]) => `<tr><td>${esc(k)}</td>${statsCells(s).map((c) => `<td class="n">${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}${body}</table>`;
}

function tile(k: string, v: string, title?: string): string {
  return `<div class="tile"${title ? ` title="${esc(title)}"` : ''}><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`;
}

export const renderHtml: Renderer = (r) => {
  const label = verdictLabel(r);
  const cls = label === 'PASS' ? 'pass' : r.verdict === 'fail' ? 'fail' : 'inconclusive';
  const p = r.provenance;
  const name = r.scenario?.name ?? 'unknown scenario';
  const h: string[] = [];
  h.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`);
  h.push(`<title>${esc(`${label}: ${name}`)} · Gauntlet</title><style>${CSS}</style></head><body><main>`);

  const meta = p ? `run ${r.runId} · ${fmtWall(p.startedAt)} → ${fmtWall(p.endedAt)} · ${fmtDuration(p.durationSeconds)} · ${r.status}` : `run ${r.runId} · ${r.status}`;
  h.push(`<header class="banner ${cls}" id="verdict"><div class="verdict">${esc(label)}</div><div><h1>${esc(name)}</h1><p>${esc(verdictSummary(r))}</p><p class="meta">${esc(meta)}</p></div></header>`);
  if (r.reasons.length) h.push(`<ul class="reasons">${r.reasons.map((x) => `<li>${esc(x)}</li>`).join('')}</ul>`);

  const t = r.totals;
  // Tiles add every step's requests together: say whose (probe, k6 load, or both); gates name their step.
  const scope = trafficScope(r);
  const scopeTitle = scope === 'probe + load' ? 'all requests: the probes\' and the load generator\'s together (see Traffic for each apart)' : `${scope} requests`;
  const tiles = [tile(`requests · ${scope}`, fmtCount(t.requests), scopeTitle), tile(`error rate · ${scope}`, t.errorRate === undefined ? DASH : formatValue(t.errorRate, 'ratio'), scopeTitle), tile(`p95 latency · ${scope}`, t.p95 === undefined ? DASH : formatValue(t.p95, 'ms'), scopeTitle), tile(`p99 latency · ${scope}`, t.p99 === undefined ? DASH : formatValue(t.p99, 'ms'), scopeTitle)];
  if (r.budget) tiles.push(tile('error budget burned', fmtShare(r.budget.burned), budgetText(r.budget)));
  for (const f of r.figures.slice(0, 4)) tiles.push(tile(f.name, figureValue(f), f.definition));
  h.push(`<section class="tiles" id="key-numbers">${tiles.join('')}</section>`);
  h.push(`<h2>Impact</h2><p id="summary-line">${esc(summaryLine(r))}</p>`);
  if (r.measured) h.push(`<table id="impact"><tr><th></th><th class="n">value</th><th>how it was measured</th></tr>${impactRows(r).map((x) => `<tr><td>${esc(x.what)}</td><td class="n">${esc(x.value)}</td><td>${esc(x.how)}</td></tr>`).join('')}</table>`);

  h.push(`<h2>Gates</h2>`);
  if (r.gates.length) {
    const rows = r.gates.map(
      (g) =>
        `<tr class="${g.verdict}"><td><span class="badge ${g.verdict}">${esc(GATE_LABEL[g.verdict])}</span></td><td>${esc(g.name)}<div class="sel">${esc(g.metric)} ${esc(g.selector || 'all traffic')}</div></td><td class="n">${esc(observed(g))}</td><td class="n">${esc(g.threshold)}</td><td class="n">${esc(fmtCount(g.samples))}</td></tr>`,
    );
    h.push(`<table id="gates"><tr><th>result</th><th>gate</th><th class="n">observed</th><th class="n">threshold</th><th class="n">samples</th></tr>${rows.join('')}</table>`);
  } else h.push(`<p>No gates were defined: nothing was checked against a threshold.</p>`);

  const charts = reportCharts(r);
  h.push(`<h2>Over time</h2><div id="charts">${charts.weight ?? ''}${charts.rate}${charts.errors}${charts.latency}</div>`);
  h.push(`<p class="sel">Shaded: fault windows (the time a fault is held, not an outage). Dashed lines: red = a fault's onset, green = a figure recorded (e.g. pods Ready again), violet = release events. Hover for details.${charts.bucketSeconds > 1 ? ` Each point covers ${charts.bucketSeconds} s; latency shows the worst 1 s percentile in it.` : ' One point per second.'}</p>`);

  h.push(`<h2>Traffic</h2>`);
  const phaseRows: Array<[string, Stats]> = [[`all traffic (${scope})`, t]];
  if (r.faults.length) for (const ph of r.phases) phaseRows.push([PHASE_LABEL[ph.phase], ph]);
  if (r.steps.length > 1) for (const s of r.steps) phaseRows.push([stepLabel(s), stepStats(s)]);
  h.push(statsTable(r.faults.length ? 'phase' : 'overall (no fault windows)', phaseRows));
  for (const l of r.labels) h.push(`<p></p>${statsTable(l.label, l.rows.map((row) => [row.value, row] as [string, Stats]))}`);

  const causes = causeRows(r);
  if (causes.length) {
    h.push(`<h2>Failures by cause</h2><table id="failure-causes"><tr><th>scope</th><th class="n">failures</th><th>causes</th></tr>`);
    h.push(causes.map(([scopeCell, n, text]) => `<tr><td>${esc(scopeCell!)}</td><td class="n">${esc(n!)}</td><td>${esc(text!)}</td></tr>`).join('') + '</table>');
  }
  if (r.figures.length) {
    h.push(`<h2>Figures</h2><table><tr><th>figure</th><th class="n">value</th><th>step</th><th class="n">at</th><th>definition</th></tr>`);
    h.push(r.figures.map((f) => `<tr><td>${esc(f.name)}</td><td class="n">${esc(figureValue(f))}</td><td>${esc(f.step)}</td><td class="n">${esc(fmtOffset(f.offsetSeconds))}</td><td>${esc(f.definition ?? '')}</td></tr>`).join('') + '</table>');
  }
  if (r.faults.length) {
    h.push(`<h2>Fault windows</h2><table><tr><th>step</th><th>fault</th><th>target</th><th class="n">start</th><th class="n">end</th><th class="n">length</th></tr>`);
    h.push(r.faults.map((f) => `<tr><td>${esc(f.step)}</td><td>${esc(f.kind)}</td><td>${esc(f.target)}</td><td class="n">${fmtOffset(f.startSeconds)}</td><td class="n">${fmtOffset(f.endSeconds)}</td><td class="n">${esc(fmtDuration(f.endSeconds - f.startSeconds))}</td></tr>`).join('') + '</table>');
  }

  h.push(`<h2>Timeline</h2>`);
  const story = storyOf(r);
  if (story.length) {
    const sev = (k: string) => (k === 'problem' ? 'error' : k === 'fault' ? 'warn' : 'info');
    const rows = story.map((e) => `<tr class="${sev(e.kind)}"><td${e.wall ? ` title="${esc(e.wall)}"` : ''}>${fmtOffset(e.offsetSeconds)}</td><td class="kind">${esc(e.kind)}</td><td>${esc(e.text)}</td></tr>`);
    h.push(`<p class="sel">Releases, faults, decisions and recoveries in order; every change and step is in the event log below.</p><table class="tl" id="timeline"><tr><th>time</th><th>what</th><th>event</th></tr>${rows.join('')}</table>`);
  }
  if (r.timeline.length) {
    const rows = r.timeline.map((e) => `<tr class="${e.severity}"><td title="${esc(e.wall)}">${fmtOffset(e.offsetSeconds)}</td><td class="kind">${esc(e.kind)}</td><td>${esc(timelineText(e))}</td></tr>`);
    h.push(`<details id="event-log"><summary>Event log (${fmtCount(r.timeline.length)} events)</summary><table class="tl"><tr><th>time</th><th>kind</th><th>event</th></tr>${rows.join('')}</table></details>`);
  } else h.push(`<p>The journal holds no events.</p>`);

  if (r.scenario?.steps.length) {
    h.push(`<h2>Scenario steps</h2><table><tr><th>step</th><th>kind</th><th>section</th><th class="n">at</th><th class="n">duration</th><th>parameters (secrets redacted)</th></tr>`);
    const sec = (x: number | undefined) => (x === undefined ? DASH : fmtOffset(x));
    h.push(r.scenario.steps.map((s) => `<tr><td>${esc(s.id)}</td><td>${esc(s.kind)}</td><td>${esc(s.section ?? '')}</td><td class="n">${sec(s.atSeconds)}</td><td class="n">${s.durationSeconds === undefined ? DASH : esc(fmtDuration(s.durationSeconds))}</td><td>${s.params === undefined ? '' : `<details><summary>show</summary><pre>${esc(JSON.stringify(s.params, null, 2))}</pre></details>`}</td></tr>`).join('') + '</table>');
  }

  h.push(`<h2>Provenance</h2><dl>${provenanceLines(r).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`);
  h.push(`<h2>Definitions</h2><dl id="definitions">${r.definitions.map((d) => `<dt>${esc(d.term)}</dt><dd>${esc(d.definition)}</dd>`).join('')}</dl>`);
  h.push(`<footer>Generated by Gauntlet${p ? ` ${esc(p.tool.version)}` : ''} from the run journal alone (journal.ndjson beside this file); report schema v${r.schemaVersion}.</footer>`);
  h.push(`</main></body></html>\n`);
  return h.join('\n');
};
