/**
 * The run journal: an append-only NDJSON file, one event per line.
 *
 * Observations are buffered and flushed in batches (a 1-hour probe at 100 Hz must not cost a
 * syscall per sample); anything that changes a cluster is written AND fsync'd before the change
 * is made, so that crash recovery sees every change that might have happened. Every event is
 * redacted (core/redact.ts) before it is written: secrets never reach the journal.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { InputError } from './errors.ts';
import { JOURNAL_SCHEMA_VERSION, type JournalEvent, type NewEvent } from './events.ts';
import { mayHoldSecret, redact } from './redact.ts';

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 200;

/** The run's one clock: monotonic ms since the run started. */
export class RunClock {
  readonly epochMs: number;
  private readonly origin: number;
  constructor(epochMs = Date.now(), origin = performance.now()) {
    this.epochMs = epochMs;
    this.origin = origin;
  }
  now(): number {
    return Math.round((performance.now() - this.origin) * 1000) / 1000;
  }
  wall(t = this.now()): string {
    return new Date(this.epochMs + t).toISOString();
  }
}

export class Journal {
  readonly path: string;
  readonly clock: RunClock;
  private fd: number | undefined;
  private seq = 0;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(e: JournalEvent) => void>();

  private constructor(path: string, clock: RunClock, fd: number, seq: number) {
    this.path = path;
    this.clock = clock;
    this.fd = fd;
    this.seq = seq;
  }

  /** Create a new journal file (fails if it exists). */
  static create(path: string, clock = new RunClock()): Journal {
    return new Journal(path, clock, openSync(path, 'wx'), 0);
  }

  /** Reopen an existing journal to append (used by `recover`), continuing its sequence. */
  static reopen(path: string): Journal {
    const events = readJournal(path);
    // A torn last line (a crash mid-write) is cut off, so what we append starts on a line of its own.
    const whole = wholeEventsLength(readFileSync(path));
    if (whole < statSync(path).size) truncateSync(path, whole);
    const start = events.find((e) => e.type === 'run.start');
    const last = events.at(-1);
    const epoch = start?.type === 'run.start' ? start.epochMs : Date.now();
    // Continue the run clock from wall time so the timeline stays in order.
    const clock = new RunClock(epoch, performance.now() - (Date.now() - epoch));
    const fd = openSync(path, 'a');
    const size = statSync(path).size;
    if (size > 0 && readFileSync(path).at(-1) !== 0x0a) writeSync(fd, '\n');
    return new Journal(path, clock, fd, (last?.seq ?? -1) + 1);
  }

  /** Observe every appended event (live progress, early-abort gates). */
  subscribe(fn: (e: JournalEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Append an observation; buffered, flushed within FLUSH_MS. Returns the stamped event. */
  append<E extends NewEvent>(event: E): JournalEvent {
    const t = event.t ?? this.clock.now();
    let full = { v: JOURNAL_SCHEMA_VERSION, seq: this.seq++, t, wall: this.clock.wall(t), ...event } as JournalEvent;
    full.t = t;
    let line = JSON.stringify(full);
    // Secrets never reach the journal: an event whose text could hold one is redacted on the way
    // in (a cheap test on its JSON lets the bulk of events skip the walk).
    if (mayHoldSecret(line)) {
      full = redact(full);
      line = JSON.stringify(full);
    }
    line += '\n';
    this.buffer.push(line);
    this.bufferBytes += line.length;
    if (this.bufferBytes >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
    for (const fn of this.listeners) fn(full);
    return full;
  }

  /** Append and make it durable before returning: use before changing anything outside. */
  appendDurable<E extends NewEvent>(event: E): JournalEvent {
    const e = this.append(event);
    this.flush(true);
    return e;
  }

  flush(durable = false): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fd === undefined) return;
    if (this.buffer.length) {
      const data = this.buffer.join('');
      this.buffer = [];
      this.bufferBytes = 0;
      writeSync(this.fd, data);
    }
    if (durable) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush(true);
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Bytes of `data` up to the end of its last whole event: a last line cut mid-write is excluded;
 * one that parses but lost only its newline is kept (its newline is added back on reopen).
 */
export function wholeEventsLength(data: Buffer): number {
  const lastNl = data.lastIndexOf(0x0a);
  const tail = data.subarray(lastNl + 1);
  if (tail.length === 0) return data.length;
  try {
    JSON.parse(tail.toString('utf8'));
    return data.length;
  } catch {
    return lastNl + 1;
  }
}

/**
 * Read a journal. A torn last line (a crash mid-write) is dropped; a bad line elsewhere is an
 * input error naming the line.
 */
export function readJournal(path: string): JournalEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError([{ file: path, path: '', message: `cannot read journal: ${(e as Error).message}` }]);
  }
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    try {
      events.push(JSON.parse(line) as JournalEvent);
    } catch {
      const isLast = lines.slice(i + 1).every((l) => l === '');
      if (isLast) break;
      throw new InputError([{ file: path, line: i + 1, column: 1, path: '', message: 'not a journal event (invalid JSON)' }]);
    }
  }
  const v = events[0]?.v;
  if (v !== undefined && v > JOURNAL_SCHEMA_VERSION) {
    throw new InputError([
      { file: path, line: 1, column: 1, path: 'v', message: `journal schema ${v} is newer than this gauntlet (${JOURNAL_SCHEMA_VERSION})` },
    ]);
  }
  return events;
}
