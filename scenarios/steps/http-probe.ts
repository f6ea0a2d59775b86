/**
 * http-probe: the steady-state probe (Chaos Toolkit's and Litmus's "probe"). Requests a URL on a
 * fixed schedule and journals every request as a raw sample: status, latency and the version
 * the service reported. Bounded by the step's deadline and by maxRequests. Coordinated omission
 * is accounted for: a probe sent behind schedule is timed from when it was due, and one that
 * could not be sent (all `concurrency` slots busy) is a failed sample with cause `late`.
 */
import { z } from 'zod';
import { sleep } from '../../core/proc.ts';
import { failureCause } from '../../core/failures.ts';
import { duration, labels, url } from '../../core/fields.ts';
import { registerStep, type StepContext } from '../../core/steps.ts';
import { formatDuration } from '../../core/duration.ts';

const params = z.strictObject({
  /** Full URL; defaults to target.url + path. */
  url: url.optional(),
  path: z.string().startsWith('/').optional(),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  interval: duration.default(1000),
  timeout: duration.default(2000),
  /** Accepted statuses, e.g. ["2xx", 301]. Default: 2xx and 3xx. */
  expectStatus: z.array(z.union([z.number().int().min(100).max(599), z.string().regex(/^[1-5]xx$/)])).default(['2xx', '3xx']),
  /** Response header naming the serving version; recorded as label `version`. */
  versionHeader: z.string().default('x-version'),
  headers: z.record(z.string(), z.string()).optional(),
  labels: labels.optional(),
  /** Hard bound on requests for this step. */
  maxRequests: z.number().int().positive().max(10_000_000).default(1_000_000),
  /** Requests allowed in flight at once (the probe does not queue behind a slow service). */
  concurrency: z.number().int().positive().max(256).default(8),
});
export type HttpProbeParams = z.infer<typeof params>;
declare module '../../core/scenario.ts' {
  interface StepParamsByKind {
    'http-probe': HttpProbeParams;
  }
}


export function statusAccepted(status: number, expect: ReadonlyArray<number | string>): boolean {
  return expect.some((e) => (typeof e === 'number' ? e === status : Math.floor(status / 100) === Number(e[0])));
}

function probeUrl(p: HttpProbeParams, base: string | undefined): string | undefined {
  if (p.url) return p.url;
  if (!base) return undefined;
  return new URL(p.path ?? '/', base).href;
}

/** One probe due at run time `t`: timed from when it was due, so a late start counts against it. */
async function probeOnce(ctx: StepContext<HttpProbeParams>, target: string, t: number): Promise<void> {
  const p = ctx.step.params;
  const started = performance.now() - Math.max(0, ctx.clock.now() - t);
  let status = 0;
  let version: string | undefined;
  let error: string | undefined;
  try {
    const res = await fetch(target, {
      method: p.method,
      headers: p.headers,
      signal: AbortSignal.timeout(p.timeout),
      redirect: 'manual',
    });
    status = res.status;
    version = res.headers.get(p.versionHeader) ?? undefined;
    await res.arrayBuffer();
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    error = err.name === 'TimeoutError' ? `timeout after ${formatDuration(p.timeout)}` : (err.cause?.code ?? err.message);
  }
  const ms = Math.round((performance.now() - started) * 1000) / 1000;
  const ok = error === undefined && statusAccepted(status, p.expectStatus);
  const lbl = { ...p.labels, ...(version ? { version } : {}) };
  ctx.journal.append({
    type: 'sample',
    step: ctx.step.id,
    t,
    ok,
    status,
    ms,
    ...(Object.keys(lbl).length ? { labels: lbl } : {}),
    ...(error ? { error } : {}),
    ...(ok ? {} : { cause: failureCause(status, error) }),
  });
}

/**
 * A probe that could not be sent (every slot busy behind a slow service) is a failed sample
 * with cause `late`, at the time it was due: skipping it would under-count an outage
 * (coordinated omission).
 */
function recordLate(ctx: StepContext<HttpProbeParams>, t: number, why: string): void {
  const p = ctx.step.params;
  ctx.journal.append({
    type: 'sample',
    step: ctx.step.id,
    t,
    ok: false,
    status: 0,
    ms: 0,
    ...(p.labels && Object.keys(p.labels).length ? { labels: { ...p.labels } } : {}),
    error: why,
    cause: 'late',
  });
}

registerStep({
  kind: 'http-probe',
  sections: ['checks'],
  summary: 'request a URL on a fixed interval and record status, latency and version of every response',
  params,
  produces: (step) => ({ traffic: true, labels: ['version', ...Object.keys(step.params.labels ?? {})], figures: [] }),
  check(step, scenario) {
    return probeUrl(step.params, scenario.target.url) ? [] : [[[], 'needs url (or path, with target.url set)']];
  },
  plan(step, scenario) {
    const p = step.params;
    const target = probeUrl(p, scenario.target.url) ?? '(no url: set url or target.url)';
    const until = step.duration !== undefined ? `for ${formatDuration(step.duration)}` : 'until the scenario ends';
    return [`${p.method} ${target} every ${formatDuration(p.interval)} ${until} (timeout ${formatDuration(p.timeout)}, at most ${p.maxRequests} requests)`];
  },
  async run(ctx) {
    const p = ctx.step.params;
    const target = probeUrl(p, ctx.scenario.target.url);
    if (!target) throw new Error('http-probe needs url, or path with target.url');
    const inflight = new Set<Promise<void>>();
    let next = ctx.clock.now();
    let sent = 0;
    while (!ctx.signal.aborted && sent < p.maxRequests && next < ctx.deadline) {
      // Every slot due by now gets its probe, also those the loop overslept (timed from when
      // they were due); a slot with no free probe is journaled late, never skipped.
      while (next <= ctx.clock.now() && sent < p.maxRequests && next < ctx.deadline) {
        if (inflight.size < p.concurrency) {
          const pr = probeOnce(ctx, target, next).finally(() => inflight.delete(pr));
          inflight.add(pr);
        } else recordLate(ctx, next, `not sent: all ${p.concurrency} probe slots busy (the service is slower than interval × concurrency)`);
        sent++;
        next += p.interval;
      }
      if (!(await sleep(next - ctx.clock.now(), ctx.signal))) break;
    }
    await Promise.allSettled(inflight);
  },
});
