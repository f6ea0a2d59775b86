import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../core/events.ts';
import { buildReport } from './model.ts';

let seq = 0;
const ev = (t: number, e: Record<string, unknown>) => ({ v: 1, seq: seq++, t, wall: new Date(t).toISOString(), ...e }) as unknown as JournalEvent;

describe('what "reverted" means, per kind of change', () => {
  it.each([
    ['pod-kill', /change c1 ended \(nothing to undo: a killed pod is not brought back, its controller replaces it\): evict pod demo-1/],
    ['command', /change c1 reverted \(the revert command ran\): evict pod demo-1/],
    ['some-future-kind', /change c1 reverted \(nothing left to undo\): evict pod demo-1/],
  ])('%s', (kind, want) => {
    const r = buildReport([
      ev(0, { type: 'change.intent', id: 'c1', step: 'kill', description: 'evict pod demo-1', revert: { kind } }),
      ev(1, { type: 'change.applied', id: 'c1' }),
      ev(2, { type: 'change.reverted', id: 'c1', noop: true }),
    ]);
    expect(r.timeline.map((e) => e.text)).toContainEqual(expect.stringMatching(want));
  });
});
