import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { Journal, readJournal } from './journal.ts';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'gauntlet-journal-')), 'journal.ndjson');

describe('journal', () => {
  it('appends NDJSON with schema version, sequence, monotonic and wall-clock times', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.append({ type: 'log', level: 'info', msg: 'a' });
    j.append({ type: 'log', level: 'info', msg: 'b' });
    j.close();
    const events = readJournal(path);
    expect(events.map((e) => e.seq)).toEqual([0, 1]);
    expect(events.every((e) => e.v === 1 && typeof e.t === 'number' && !Number.isNaN(Date.parse(e.wall)))).toBe(true);
    expect(events[1]!.t).toBeGreaterThanOrEqual(events[0]!.t);
  });

  it('writes a durable event to disk before returning, ahead of buffered ones', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.append({ type: 'log', level: 'info', msg: 'buffered' });
    j.appendDurable({ type: 'change.intent', id: 'c1', step: 's', description: 'cordon node', revert: { kind: 'noop' } });
    // Read while still open: both are on disk now, in order.
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!).type).toBe('change.intent');
    j.close();
  });

  it('drops a torn last line after a crash but rejects corruption in the middle', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.appendDurable({ type: 'log', level: 'info', msg: 'ok' });
    j.close();
    appendFileSync(path, '{"v":1,"seq":1,"ty');
    expect(readJournal(path)).toHaveLength(1);
    appendFileSync(path, '\n{"v":1,"seq":2,"t":0,"wall":"","type":"log","level":"info","msg":"x"}\n');
    expect(() => readJournal(path)).toThrow(InputError);
  });

  it('reopens to continue the sequence (used by recover)', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.append({ type: 'log', level: 'info', msg: 'a' });
    j.close();
    const k = Journal.reopen(path);
    k.append({ type: 'log', level: 'info', msg: 'b' });
    k.close();
    expect(readJournal(path).map((e) => e.seq)).toEqual([0, 1]);
  });
});
