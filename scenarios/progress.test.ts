import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../core/events.ts';
import { heartbeat } from './progress.ts';

const ev = (e: Record<string, unknown>) => ({ v: 1, seq: 0, t: 0, wall: '', ...e }) as unknown as JournalEvent;

describe('the run heartbeat', () => {
  it('says time left, the phase, the steps running and the last second of traffic', () => {
    const events = [
      ev({ type: 'step.start', step: 'deploy', kind: 'deploy', section: 'release' }),
      ev({ type: 'step.end', step: 'deploy', ok: true }),
      ev({ type: 'step.start', step: 'surge', kind: 'k6', section: 'load' }),
      ev({ type: 'step.start', step: 'spot', kind: 'spot-interruption', section: 'faults' }),
      ev({ type: 'window', step: 'surge', start: 1000, end: 2000, requests: 50, failures: 0 }),
      ev({ type: 'window', step: 'surge', start: 2000, end: 3000, requests: 99, failures: 1 }),
      ev({ type: 'fault.start', step: 'spot', kind: 'spot-interruption', target: 'lab-node-1' }),
    ];
    expect(heartbeat(events, 40_000, 150_000)).toBe('── 40s of 150s, at most 110s left · during spot (spot-interruption on lab-node-1) · running: surge, spot · last second 99 req, err 1.01%');
    expect(heartbeat([...events, ev({ type: 'fault.end', step: 'spot' })], 90_000, 150_000)).toMatch(/^── 90s of 150s, at most 60s left · after the faults · running: surge, spot/);
    expect(heartbeat([], 0, 10_000)).toBe('── 0s of 10s, at most 10s left · before any fault · running: nothing');
  });
});
