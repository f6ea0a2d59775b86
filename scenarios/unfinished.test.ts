import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverRun } from './recover.ts';
import { unfinishedRuns } from './unfinished.ts';
import { defaultOptions } from '../core/options.ts';
import { acquireRunLock } from '../core/runlock.ts';

const line = (o: object) => JSON.stringify({ v: 1, t: 0, wall: '', ...o }) + '\n';

describe('unfinished runs', () => {
  it('flags a run with no end record until recover has looked at it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-runs-'));
    for (const [name, end] of [['a-done', true], ['b-crashed', false]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(
        join(dir, name, 'journal.ndjson'),
        line({ seq: 0, type: 'run.start', runId: name, scenario: {}, provenance: {}, epochMs: 0 }) + (end ? line({ seq: 1, type: 'run.end', status: 'completed' }) : ''),
      );
    }
    expect(unfinishedRuns(dir)).toEqual([join(dir, 'b-crashed')]);
    const r = await recoverRun(join(dir, 'b-crashed'), defaultOptions({}));
    expect(r).toEqual({ reverted: [], failed: [], stopped: [] });
    expect(unfinishedRuns(dir)).toEqual([]);
    expect(unfinishedRuns(join(dir, 'missing'))).toEqual([]);
  });

  it('does not flag an empty journal (a run that never started) or a run still going', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gauntlet-runs-'));
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'journal.ndjson'), '');
    mkdirSync(join(dir, 'live'));
    writeFileSync(join(dir, 'live', 'journal.ndjson'), line({ seq: 0, type: 'run.start', runId: 'live', scenario: {}, provenance: {}, epochMs: 0 }));
    const lock = acquireRunLock(join(dir, 'live'));
    expect(unfinishedRuns(dir)).toEqual([]);
    lock.release();
    expect(unfinishedRuns(dir)).toEqual([join(dir, 'live')]);
  });
});
