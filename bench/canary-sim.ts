/**
 * Simulation benchmark of the canary decision logic (canary/analysis.ts): healthy and bad
 * canaries through the default steps (10, 25, 50 % of traffic, then promotion) at several
 * traffic levels. Seeded and deterministic: the same arguments print the same numbers.
 *
 *   node bench/canary-sim.ts [healthy=10000] [bad=10000] [seed=1] [effect=3] [slow=5000] [rank=1 (0: rank test off)]
 *
 * Healthy canary: error rate uniform in [0, 0.5 %], same latency as stable.
 * Bad canary: error rate uniform in [2 %, 20 %], same latency as stable.
 * Slow canary: error rate as a healthy one, latency x 2 to x 4 of stable's (uniform).
 * Latency histograms at k6's resolution (K6_SCHEMA), as the windows of a run carry them.
 * Stable: error rate uniform in [0, 0.2 %], log-normal latency (median 8 ms, sigma 0.35).
 * Detection time = seconds of canary traffic from the first step's start (t0) to the rollback decision.
 */
import { K6_SCHEMA } from '../core/histogram.ts';
import { DEFAULT_ANALYSIS, StepAnalysis, type AnalysisConfig } from '../canary/analysis.ts';
import { arrivals, rng, second } from '../canary/synthetic.ts';

const [healthyN = 10_000, badN = 10_000, seed = 1, effect = DEFAULT_ANALYSIS.test.effect, slowN = 5_000, rankOn = 1] = process.argv.slice(2).map(Number);
const RATES = [20, 50, 100, 200, 500];
const STEPS = [0.1, 0.25, 0.5];
const config: AnalysisConfig = { ...DEFAULT_ANALYSIS, test: { ...DEFAULT_ANALYSIS.test, effect }, ...(rankOn ? {} : { rank: undefined }) };
const LIMIT_S = STEPS.length * config.maxStepSeconds;

interface Outcome {
  rolledBack: boolean;
  seconds: number;
  check?: string;
  step?: number;
}

function canary(rate: number, canaryErr: number, stableErr: number, rand: () => number, slowdown = 1): Outcome {
  let t = 0;
  for (const [i, share] of STEPS.entries()) {
    const a = new StepAnalysis(config);
    for (let s = 0; s < config.maxStepSeconds + 1 && t < LIMIT_S; s++, t++) {
      const total = arrivals(rate, rand);
      let c = 0;
      for (let k = 0; k < total; k++) if (rand() < share) c++;
      a.add(s, second(total - c, { errorRate: stableErr, medianMs: 8 }, rand, K6_SCHEMA), second(c, { errorRate: canaryErr, medianMs: 8 * slowdown }, rand, K6_SCHEMA));
      const d = a.judge(s + 1, { pods: 1, ready: 1, restarts: 0, notReadySeconds: 0 });
      if (d.kind === 'rollback') return { rolledBack: true, seconds: t + 1, check: d.check, step: i };
      if (d.kind === 'advance') {
        t++;
        break;
      }
    }
  }
  return { rolledBack: false, seconds: t };
}

function pct(xs: number[], q: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

const rand = rng(seed);
const started = performance.now();
console.log(`canary-sim: healthy=${healthyN} bad=${badN} seed=${seed} rates=${RATES.join(',')} req/s steps=${STEPS.map((s) => s * 100).join(',')} %`);
const rk = config.rank;
console.log(`rank test: ${rk ? `Mann-Whitney U, canary vs stable x ${rk.ratio} + ${rk.slackMs} ms, alpha ${rk.alpha} per step over ${rk.looks} looks, n >= ${rk.minCanary} / ${rk.minStable}` : 'off'}`);
console.log(`test: SPRT alpha=${config.test.alpha} beta=${config.test.beta} effect=${config.test.effect}x minRequests=${config.test.minRequests}; limits: errors <= min(${config.thresholds.maxErrorRate * 100} %, stable + ${config.thresholds.maxErrorRateIncrease * 100} pt), p99 <= min(${config.thresholds.maxP99Ms} ms, max(${config.thresholds.maxP99Ratio}x stable, stable + ${config.thresholds.p99SlackMs} ms)); minStep ${config.minStepSeconds} s, maxStep ${config.maxStepSeconds} s`);
console.log('');
console.log('| total req/s | healthy | false rollbacks | rate | promotion s p50 / p95 | bad | rolled back | missed | detection s p50 / p95 / max | detection s p50 for 2-5 % / 5-10 % / 10-20 % |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
let allFalse = 0;
let allHealthy = 0;
let allMissed = 0;
let allBad = 0;
const reasons = new Map<string, number>();
for (const rate of RATES) {
  const h = Math.round(healthyN / RATES.length);
  const b = Math.round(badN / RATES.length);
  let falseRb = 0;
  const promo: number[] = [];
  for (let i = 0; i < h; i++) {
    const o = canary(rate, rand() * 0.005, rand() * 0.002, rand);
    if (o.rolledBack) {
      falseRb++;
      reasons.set(`${o.check} at step ${STEPS[o.step!]! * 100} %`, (reasons.get(`${o.check} at step ${STEPS[o.step!]! * 100} %`) ?? 0) + 1);
    } else promo.push(o.seconds);
  }
  const det: number[] = [];
  const band: number[][] = [[], [], []];
  let missed = 0;
  for (let i = 0; i < b; i++) {
    const err = 0.02 + rand() * 0.18;
    const o = canary(rate, err, rand() * 0.002, rand);
    if (!o.rolledBack) missed++;
    else {
      det.push(o.seconds);
      band[err < 0.05 ? 0 : err < 0.1 ? 1 : 2]!.push(o.seconds);
    }
  }
  allFalse += falseRb;
  allHealthy += h;
  allMissed += missed;
  allBad += b;
  console.log(`| ${rate} | ${h} | ${falseRb} | ${((falseRb / h) * 100).toFixed(2)} % | ${pct(promo, 0.5)} / ${pct(promo, 0.95)} | ${b} | ${b - missed} | ${missed} | ${pct(det, 0.5)} / ${pct(det, 0.95)} / ${pct(det, 1)} | ${band.map((x) => pct(x, 0.5) ?? '-').join(' / ')} |`);
}
console.log('');
console.log('slow canaries (latency x 2 to x 4 of stable’s, errors as healthy; the rank test tolerates x 1.2 + 5 ms = 14.6 ms on the 8 ms median):');
console.log('');
console.log('| total req/s | slow | rolled back | by rank test | by p99 test | missed | detection s p50 / p95 / max | detection s p50 for x2-3 / x3-4 |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
let allSlow = 0;
let allSlowMissed = 0;
for (const rate of RATES) {
  const n = Math.round(slowN / RATES.length);
  const det: number[] = [];
  const band: number[][] = [[], []];
  const by = new Map<string, number>();
  let missed = 0;
  for (let i = 0; i < n; i++) {
    const f = 2 + rand() * 2;
    const o = canary(rate, rand() * 0.005, rand() * 0.002, rand, f);
    if (!o.rolledBack) missed++;
    else {
      det.push(o.seconds);
      band[f < 3 ? 0 : 1]!.push(o.seconds);
      by.set(o.check!, (by.get(o.check!) ?? 0) + 1);
    }
  }
  allSlow += n;
  allSlowMissed += missed;
  console.log(`| ${rate} | ${n} | ${n - missed} | ${by.get('rank') ?? 0} | ${by.get('latency') ?? 0} | ${missed} | ${pct(det, 0.5)} / ${pct(det, 0.95)} / ${pct(det, 1)} | ${band.map((x) => pct(x, 0.5) ?? '-').join(' / ')} |`);
}
console.log('');
console.log(`overall: false-rollback rate ${((allFalse / allHealthy) * 100).toFixed(2)} % (${allFalse} of ${allHealthy}); bad canaries promoted ${((allMissed / allBad) * 100).toFixed(2)} % (${allMissed} of ${allBad})`);
console.log(`slow canaries promoted ${((allSlowMissed / Math.max(1, allSlow)) * 100).toFixed(2)} % (${allSlowMissed} of ${allSlow})`);
if (reasons.size) console.log(`false rollbacks by check: ${[...reasons].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
console.log(`elapsed: ${((performance.now() - started) / 1000).toFixed(1)} s`);
