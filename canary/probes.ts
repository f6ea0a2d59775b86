/**
 * Attribution by dedicated per-version traffic, for a service that does not report its version:
 * Gauntlet's own probes request each per-version Service (canary/routers/services.ts) directly,
 * at a fixed rate, and journal every response as a sample labelled with the role it was sent to
 * (`version: stable | canary`, `attribution: per-version-service`). The analysis judges those
 * samples; the run's load still measures the service as a whole.
 *
 * Bounded: each prober stops at stop(), at the step's deadline, or after rate x the time left
 * requests; at most `concurrency` requests in flight (one that cannot be sent is skipped, not
 * queued, and journaled as a failed sample with cause `late`, as http-probe does).
 */
import { failureCause } from '../core/failures.ts';
import { sleep } from '../core/proc.ts';
import type { StepContext } from '../core/steps.ts';
import type { Role } from './traffic.ts';

export const PROBE_ATTRIBUTION = 'per-version-service';

export interface ProbeOptions {
  /** Requests per second to each version's Service. */
  rate: number;
  timeoutMs: number;
  concurrency?: number;
}

export class VersionProbes {
  private readonly running = new Map<Role, { stop: boolean; done: Promise<void>; url: string }>();

  private readonly ctx: Pick<StepContext<unknown>, 'journal' | 'clock' | 'deadline' | 'step'>;
  private readonly o: ProbeOptions;

  constructor(ctx: Pick<StepContext<unknown>, 'journal' | 'clock' | 'deadline' | 'step'>, o: ProbeOptions) {
    this.ctx = ctx;
    this.o = o;
  }

  has(role: Role): boolean {
    return this.running.has(role);
  }

  url(role: Role): string | undefined {
    return this.running.get(role)?.url;
  }

  start(role: Role, url: string): void {
    if (this.running.has(role)) return;
    const state = { stop: false, done: Promise.resolve(), url };
    state.done = this.loop(role, url, state);
    this.running.set(role, state);
  }

  /** Stop (one role or all) and wait for requests in flight. */
  async stop(role?: Role): Promise<void> {
    const roles = role ? [role] : [...this.running.keys()];
    for (const r of roles) {
      const s = this.running.get(r);
      if (s) s.stop = true;
    }
    await Promise.all(roles.map((r) => this.running.get(r)?.done));
  }

  private async loop(role: Role, url: string, state: { stop: boolean }): Promise<void> {
    const every = 1000 / this.o.rate;
    const max = Math.ceil((Math.max(0, this.ctx.deadline - this.ctx.clock.now()) / 1000) * this.o.rate) + 1;
    const limit = this.o.concurrency ?? 16;
    const inFlight = new Set<Promise<void>>();
    let next = this.ctx.clock.now();
    for (let i = 0; i < max && !state.stop && this.ctx.clock.now() < this.ctx.deadline; i++) {
      const t = next;
      if (inFlight.size >= limit) this.sample(role, t, 0, 0, `late: ${limit} probes in flight`);
      else {
        const p = this.once(role, url, t).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      next += every;
      await sleep(Math.max(0, next - this.ctx.clock.now()));
    }
    await Promise.all(inFlight);
  }

  private async once(role: Role, url: string, t: number): Promise<void> {
    const started = performance.now();
    let status = 0;
    let error: string | undefined;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.o.timeoutMs), redirect: 'manual' });
      status = res.status;
      await res.arrayBuffer();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      error = err.name === 'TimeoutError' ? `timeout after ${this.o.timeoutMs} ms` : (err.cause?.code ?? err.message);
    }
    this.sample(role, t, status, Math.round((performance.now() - started) * 1000) / 1000, error);
  }

  private sample(role: Role, t: number, status: number, ms: number, error?: string): void {
    const ok = error === undefined && status > 0 && status < 400;
    this.ctx.journal.append({
      type: 'sample',
      step: this.ctx.step.id,
      t,
      ok,
      status,
      ms,
      labels: { version: role, attribution: PROBE_ATTRIBUTION },
      ...(error ? { error } : {}),
      ...(ok ? {} : { cause: error?.startsWith('late') ? 'late' : failureCause(status, error) }),
    });
  }
}
