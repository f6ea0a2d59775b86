import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

  it('a journal cut at any byte reads up to its last whole event, and reopen appends on a line of its own', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.append({ type: 'run.start', runId: 'r', scenario: { name: 'ünïcode' }, provenance: {} as never, epochMs: 0 });
    j.append({ type: 'log', level: 'info', msg: 'zwei' });
    j.append({ type: 'log', level: 'warn', msg: 'drei €' });
    j.close();
    const full = readFileSync(path);
    const ends: number[] = [];
    for (let i = 0; i < full.length; i++) if (full[i] === 0x0a) ends.push(i);
    for (let cut = 0; cut <= full.length; cut++) {
      const p = tmp();
      writeFileSync(p, full.subarray(0, cut));
      // Whole events are those whose closing brace made it (the newline may be missing).
      const whole = ends.filter((e) => e <= cut).length;
      expect(readJournal(p).map((e) => e.seq), `cut at ${cut}`).toEqual([0, 1, 2].slice(0, whole));
      const r = Journal.reopen(p);
      r.append({ type: 'log', level: 'info', msg: 'after' });
      r.close();
      const back = readJournal(p);
      expect(back.map((e) => (e.type === 'log' ? e.msg : e.type)), `cut at ${cut}`).toEqual([...['run.start', 'zwei', 'drei €'].slice(0, whole), 'after']);
      expect(back.at(-1)!.seq).toBe(whole);
    }
  });

  it('never writes a secret: events are redacted on the way in, ordinary ones untouched', () => {
    const path = tmp();
    const j = Journal.create(path);
    j.append({ type: 'mark', step: 's', label: 'login', data: { passphrase: 'pp-1', session_id: 'sid-2', headers: { Authorization: 'Bearer abc123def456' } } });
    j.append({ type: 'log', level: 'warn', msg: 'GET https://admin:hunter2@db.test/ failed' });
    j.append({ type: 'log', level: 'info', msg: 'Basic probe of the token bucket' });
    j.close();
    const text = readFileSync(path, 'utf8');
    for (const secret of ['pp-1', 'sid-2', 'abc123def456', 'hunter2']) expect(text).not.toContain(secret);
    expect(text).toContain('Basic probe of the token bucket');
  });
});
