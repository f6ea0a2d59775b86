import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderJson } from '../formats/json.ts';
import { buildReport, REPORT_SCHEMA_VERSION } from '../model.ts';
import { syntheticJournal } from '../synthetic.ts';
import { validateSchema } from './validate.ts';

const schema = JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('report.schema.json', () => {
  it('accepts report.json from a full run and from an empty journal', () => {
    for (const events of [syntheticJournal(), syntheticJournal({ slo: { availability: 0.999, window: 30 * 86_400_000, rps: 120, step: 'load' } }), []]) {
      const json = JSON.parse(renderJson(buildReport(events), { color: false })) as unknown;
      expect(validateSchema(json, schema)).toEqual([]);
    }
  });

  it('accepts the report of a run a hard gate aborted', () => {
    const events = syntheticJournal();
    const end = events.at(-1) as { type: string; status: string; reason?: string };
    end.status = 'aborted';
    end.reason = 'gate canary-errors failed';
    const json = JSON.parse(renderJson(buildReport(events), { color: false })) as { status: string };
    expect(json.status).toBe('aborted');
    expect(validateSchema(json, schema)).toEqual([]);
  });

  it('publishes the schema version the code writes', () => {
    expect((schema.properties as Record<string, { const?: number }>).schemaVersion?.const).toBe(REPORT_SCHEMA_VERSION);
  });

  it('rejects reports that drift from it', () => {
    const r = JSON.parse(renderJson(buildReport(syntheticJournal()), { color: false })) as Record<string, unknown>;
    const broken: Record<string, unknown> = { ...r, verdict: 'ok', extra: 1, gates: [{ name: 'x' }] };
    delete broken.schemaVersion;
    const errors = validateSchema(broken, schema);
    expect(errors).toEqual(
      expect.arrayContaining(['$: missing schemaVersion', expect.stringMatching(/^\$\.verdict: "ok" not in/), '$.extra: not allowed', '$.gates[0]: missing metric']),
    );
  });
});
