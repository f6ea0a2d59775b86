/**
 * JUnit XML for CI test panels (GitLab `artifacts:reports:junit`, GitHub test-reporter actions):
 * one testcase per gate, a failure carrying observed vs threshold. A gate with no data is an
 * <error>, never a silent pass; run-level problems (nothing measured, interrupted, a step failed)
 * get their own "run" testcase so an empty journal is never green.
 */
import { formatValue } from '../../core/gates.ts';
import type { Report } from '../model.ts';
import { observed, provenanceLines } from '../present.ts';
import type { Renderer } from '../renderer.ts';

import { escapeXml as xmlEscape } from '../../core/xml.ts';

const attr = (name: string, value: string | number) => ` ${name}="${xmlEscape(String(value))}"`;

export const renderJunit: Renderer = (r) => {
  const suite = r.scenario?.name ?? r.runId;
  const classname = `gauntlet.${suite.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  for (const g of r.gates) {
    const name = `${g.name}${g.selector ? ` ${g.selector}` : ''}: ${g.metric} ${g.threshold}`;
    const open = `    <testcase${attr('name', name)}${attr('classname', classname)}${attr('time', 0)}>`;
    const detail = `gate ${g.name}\nmetric: ${g.metric}${g.selector ? ` ${g.selector}` : ''}\nobserved: ${observed(g)}\nthreshold: ${g.threshold}\nsamples: ${g.samples}`;
    if (g.verdict === 'fail') {
      failures++;
      const msg = `observed ${observed(g)}, threshold ${g.threshold}`;
      cases.push(`${open}\n      <failure${attr('message', msg)}${attr('type', 'threshold')}>${xmlEscape(detail)}</failure>\n    </testcase>`);
    } else if (g.verdict === 'no-data') {
      errors++;
      cases.push(`${open}\n      <error${attr('message', `no data: nothing matched ${g.metric}${g.selector ? ` ${g.selector}` : ''}`)}${attr('type', 'no-data')}>${xmlEscape(detail)}</error>\n    </testcase>`);
    } else {
      cases.push(`${open}\n      <system-out>${xmlEscape(detail)}</system-out>\n    </testcase>`);
    }
  }
  const runProblems = r.reasons.filter((x) => !x.startsWith('gate '));
  const runCase = `    <testcase${attr('name', 'run completed and measured')}${attr('classname', classname)}${attr('time', r.provenance?.durationSeconds ?? 0)}>`;
  if (runProblems.length) {
    errors++;
    cases.push(`${runCase}\n      <error${attr('message', runProblems[0]!)}${attr('type', 'inconclusive')}>${xmlEscape(runProblems.join('\n'))}</error>\n    </testcase>`);
  } else {
    const t = r.totals;
    cases.push(`${runCase}\n      <system-out>${xmlEscape(`requests: ${t.requests}\nerror rate: ${t.errorRate === undefined ? 'n/a' : formatValue(t.errorRate, 'ratio')}`)}</system-out>\n    </testcase>`);
  }
  const props = provenanceLines(r).map(([k, v]) => `      <property${attr('name', k)}${attr('value', v)}/>`);
  props.push(`      <property${attr('name', 'verdict')}${attr('value', r.verdict)}/>`);
  const b = r.budget;
  if (b) {
    props.push(`      <property${attr('name', 'error budget (requests)')}${attr('value', `${Math.round(b.budgetRequests)} = (1 - ${b.availability}) x ${b.rps} req/s x ${b.windowSeconds} s`)}/>`);
    props.push(`      <property${attr('name', 'budget burned')}${attr('value', `${b.burned} (${b.failures} failed requests / ${Math.round(b.budgetRequests)})`)}/>`);
    if (b.burnRate !== undefined) props.push(`      <property${attr('name', 'burn rate')}${attr('value', b.burnRate)}/>`);
  }
  const time = r.provenance?.durationSeconds ?? 0;
  const stamp = r.provenance ? attr('timestamp', r.provenance.startedAt.replace(/Z$/, '')) : '';
  const counts = `${attr('tests', cases.length)}${attr('failures', failures)}${attr('errors', errors)}${attr('skipped', 0)}${attr('time', time)}`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr('name', 'gauntlet')}${counts}>`,
    `  <testsuite${attr('name', suite)}${counts}${stamp}${attr('hostname', r.provenance?.host ?? 'unknown')}>`,
    '    <properties>',
    ...props,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
};
