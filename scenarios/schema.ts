/**
 * The one schema every scenario goes through, whatever it was written in. Errors come back as
 * InputIssues naming file:line:column and the field path.
 */
import { z } from 'zod';
import { InputError, type InputIssue } from '../core/errors.ts';
import { LATENCY_METRICS, type GateSpec } from '../core/gates.ts';
import type { PathSegment } from '../core/source.ts';
import { duration, labels, threshold, url } from '../core/fields.ts';
import { SECTIONS, type Scenario, type Section, type Step } from '../core/scenario.ts';
import { PLANNED_KINDS, stepKind, stepKinds } from '../core/steps.ts';
import { nearest } from '../core/suggest.ts';
import { checkGates } from './gate-checks.ts';
import { applySets, badVarNames, substituteValue, type VarIssue, type Vars } from '../core/vars.ts';

/** Locates a field path in the file the user wrote. */
export interface Locator {
  file: string;
  /** `atKey`: point at the field's key rather than its value (unknown fields). */
  issue(path: readonly PathSegment[], message: string, atKey?: boolean): InputIssue;
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

const targetSchema = z.strictObject({
  context: z.string().min(1).optional(),
  namespace: z.string().regex(NAME_RE, 'expected a Kubernetes namespace name').optional(),
  workload: z
    .union([
      z.string().regex(/^[A-Za-z]+\/[a-z0-9][a-z0-9.-]*$/, 'expected kind/name, e.g. deployment/chat-api'),
      z.strictObject({ kind: z.string().min(1), name: z.string().min(1) }),
    ])
    .optional(),
  url: url.optional(),
});

const gateSchema = z.strictObject({
  name: z.string().min(1).optional(),
  metric: z.string().min(1, 'expected a metric name such as error_rate or latency_p99'),
  step: z.string().optional(),
  phase: z.enum(['before', 'during', 'after', 'all']).optional(),
  where: labels.optional(),
  max: threshold.optional(),
  min: threshold.optional(),
  abortOnFail: z.boolean().optional(),
});

/** An availability: "99.9%" or 0.999, strictly between 0 and 100 % (100 % leaves no budget). */
const availability = z
  .union([z.number(), z.string()], { error: 'expected an availability like "99.9%" or 0.999' })
  .transform((v, ctx) => {
    let x: number;
    if (typeof v === 'number') {
      if (v > 1 && v < 100) {
        ctx.addIssue({ code: 'custom', message: `${v} is not a ratio: write "${v}%" or ${+(v / 100).toFixed(8)}` });
        return z.NEVER;
      }
      x = v;
    } else if (/^\d+(\.\d+)?%$/.test(v.trim())) x = Number((Number(v.trim().slice(0, -1)) / 100).toPrecision(12)); // 99.9 / 100 is 0.9990000000000001
    else {
      ctx.addIssue({ code: 'custom', message: `expected an availability like "99.9%" or 0.999, got "${v}"` });
      return z.NEVER;
    }
    if (!(x > 0 && x < 1)) {
      ctx.addIssue({ code: 'custom', message: x >= 1 ? 'an availability of 100 % or more leaves no error budget to burn: use a target below 100 %, e.g. "99.9%"' : 'expected an availability above 0 %' });
      return z.NEVER;
    }
    return x;
  });

const DAY_MS = 86_400_000;

const sloSchema = z.strictObject({
  availability,
  window: duration.default(30 * DAY_MS).refine((ms) => ms > 0, 'expected a window longer than 0, e.g. 30d'),
  rps: z.number({ error: 'expected the production traffic the SLO is about, in requests/s, e.g. 120' }).positive('expected a rate above 0 req/s'),
  step: z.string().min(1).optional(),
});

const topSchema = z.strictObject({
  name: z.string().regex(NAME_RE, 'expected a lowercase name like chat-canary'),
  description: z.string().optional(),
  target: targetSchema.default({}),
  duration,
  seed: z.number().int().nonnegative().optional(),
  /** Variables with their defaults: `${name}` anywhere in the scenario, `--set name=value` overrides. */
  vars: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  load: z.unknown().optional(),
  release: z.unknown().optional(),
  faults: z.unknown().optional(),
  checks: z.unknown().optional(),
  gates: z.array(gateSchema).default([]),
  slo: sloSchema.optional(),
});

const COMMON_STEP_KEYS = ['kind', 'name', 'at', 'every', 'duration'] as const;
const commonStep = z.object({
  kind: z.string({ error: 'expected a step kind' }),
  name: z.string().regex(NAME_RE, 'expected a lowercase name like kill-one-pod').optional(),
  at: duration.optional(),
  every: duration.optional(),
  duration: duration.optional(),
});

function zodIssues(loc: Locator, prefix: readonly PathSegment[], error: z.ZodError): InputIssue[] {
  return error.issues.map((i) => {
    const path = [...prefix, ...(i.path as PathSegment[])];
    let message = i.message;
    if (i.code === 'unrecognized_keys') message = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    if (i.code === 'unrecognized_keys' && i.keys.length === 1) return loc.issue([...path, i.keys[0]!], 'unknown field', true);
    if (i.code === 'invalid_type' && /received undefined/.test(message)) message = 'required';
    message = message.replace(/^Invalid (input|option): /, '').replace(/, received /, ', got ');
    return loc.issue(path, message);
  });
}

function kindList(section: Section): string {
  return stepKinds()
    .filter((k) => k.sections.includes(section))
    .map((k) => k.kind)
    .join(', ') || '(none yet)';
}

function normalizeStep(loc: Locator, section: Section, raw: unknown, path: PathSegment[], index: number, issues: InputIssue[]): Step | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push(loc.issue(path, 'expected an object with a kind'));
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  const common = commonStep.safeParse(obj);
  if (!common.success) {
    issues.push(...zodIssues(loc, path, common.error));
    return undefined;
  }
  const { kind, name, at, every, duration: dur } = common.data;
  const impl = stepKind(kind);
  if (!impl) {
    const planned = PLANNED_KINDS[kind];
    issues.push(
      loc.issue(
        [...path, 'kind'],
        planned
          ? `"${kind}" (${planned}) is not available in this version of gauntlet; available in ${section}: ${kindList(section)}`
          : `unknown kind "${kind}"; available in ${section}: ${kindList(section)}`,
      ),
    );
    return undefined;
  }
  if (!impl.sections.includes(section)) {
    issues.push(loc.issue([...path, 'kind'], `"${kind}" cannot be used in ${section} (it belongs in ${impl.sections.join(' or ')})`));
    return undefined;
  }
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!(COMMON_STEP_KEYS as readonly string[]).includes(k)) rest[k] = v;
  const params = impl.params.safeParse(rest);
  if (!params.success) {
    issues.push(...zodIssues(loc, path, params.error));
    return undefined;
  }
  if (every !== undefined && dur !== undefined && dur > every) {
    issues.push(loc.issue([...path, 'duration'], `must not exceed every (${every} ms) or occurrences would overlap`));
  }
  const pos = loc.issue(path, '');
  // The kind's own schema has just validated params: the one place the union is asserted, not inferred.
  return {
    id: name ?? `${section}-${index}-${kind}`,
    kind,
    section,
    at: at ?? 0,
    ...(dur !== undefined ? { duration: dur } : {}),
    ...(every !== undefined ? { every } : {}),
    params: params.data,
    source: { file: pos.file, line: pos.line, column: pos.column },
  } as Step;
}

function normalizeGate(raw: z.infer<typeof gateSchema>, i: number): GateSpec {
  // Thresholds written as durations are ms for latency, seconds for *Seconds figures.
  const seconds = /seconds$/i.test(raw.metric);
  const conv = (x: { n: number; duration: boolean } | undefined) => (x === undefined ? undefined : x.duration && seconds ? x.n / 1000 : x.n);
  return {
    name: raw.name ?? `${raw.metric}${raw.phase && raw.phase !== 'all' ? `-${raw.phase}` : ''}${i ? `-${i}` : ''}`,
    metric: raw.metric,
    ...(raw.step ? { step: raw.step } : {}),
    ...(raw.phase ? { phase: raw.phase } : {}),
    ...(raw.where ? { where: raw.where } : {}),
    ...(raw.max !== undefined ? { max: conv(raw.max) } : {}),
    ...(raw.min !== undefined ? { min: conv(raw.min) } : {}),
    ...(raw.abortOnFail ? { abortOnFail: true } : {}),
  };
}

/** A stable seed from the scenario's content (FNV-1a over its canonical JSON), 0..2^31-1. */
export function derivedSeed(value: unknown): number {
  const text = JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  ) ?? '';
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

/** Validate and normalize a scenario's plain value. Throws InputError listing every issue. */
export function normalizeScenario(raw: unknown, loc: Locator, opts: { seed?: number; set?: readonly string[] } = {}): Scenario {
  const issues: InputIssue[] = [];
  const { value, vars } = resolveVars(raw, loc, opts.set ?? []);
  const top = topSchema.safeParse(value);
  if (!top.success) throw new InputError(zodIssues(loc, [], top.error));
  const s = top.data;
  const steps: Step[] = [];
  const stepPath = new Map<Step, PathSegment[]>();
  for (const section of SECTIONS) {
    const raw = s[section];
    if (raw === undefined) continue;
    const list = Array.isArray(raw) ? raw : [raw];
    list.forEach((item, i) => {
      const path: PathSegment[] = Array.isArray(raw) ? [section, i] : [section];
      const step = normalizeStep(loc, section, item, path, i, issues);
      if (step) {
        steps.push(step);
        stepPath.set(step, path);
      }
    });
  }
  const ids = new Map<string, number>();
  for (const st of steps) ids.set(st.id, (ids.get(st.id) ?? 0) + 1);
  for (const [id, n] of ids) if (n > 1) issues.push(loc.issue([], `step name "${id}" is used ${n} times; names must be unique`));
  for (const st of steps) {
    if (st.at >= s.duration) issues.push(loc.issue([st.section], `step ${st.id} starts at ${st.at} ms, after the scenario ends (duration ${s.duration} ms)`));
  }
  const target = typeof s.target.workload === 'string'
    ? { ...s.target, workload: { kind: s.target.workload.split('/')[0]!, name: s.target.workload.split('/')[1]! } }
    : { ...s.target, workload: s.target.workload };
  const gates = s.gates.map(normalizeGate);
  const head = { name: s.name, file: loc.file, target, duration: s.duration, seed: 0, gates, ...(Object.keys(vars).length ? { vars } : {}) };
  steps.forEach((st) => {
    for (const [rel, msg] of stepKind(st.kind)?.check?.(st, head) ?? []) issues.push(loc.issue([...stepPath.get(st)!, ...rel], msg));
  });
  gates.forEach((g, i) => {
    if (g.max === undefined && g.min === undefined) issues.push(loc.issue(['gates', i], 'a gate needs max or min'));
    if (g.step && !ids.has(g.step)) {
      const guess = nearest(g.step, ids.keys());
      issues.push(loc.issue(['gates', i, 'step'], `no step named "${g.step}"${guess ? `; did you mean ${guess}?` : ''} (steps: ${[...ids.keys()].join(', ') || 'none'})`));
    }
  });
  if (s.slo?.step !== undefined && !ids.has(s.slo.step)) {
    const guess = nearest(s.slo.step, ids.keys());
    issues.push(loc.issue(['slo', 'step'], `no step named "${s.slo.step}"${guess ? `; did you mean ${guess}?` : ''} (steps: ${[...ids.keys()].join(', ') || 'none'})`));
  } else if (s.slo?.step !== undefined) {
    const st = steps.find((x) => x.id === s.slo!.step)!;
    const made = stepKind(st.kind)?.produces?.(st as never);
    if (made && !made.traffic) issues.push(loc.issue(['slo', 'step'], `step ${st.id} (${st.kind}) makes no requests, so none of its traffic can count against the error budget`));
  }
  issues.push(...checkGates(s.gates, steps, loc, { slo: s.slo !== undefined }));
  const declared = SECTIONS.some((sec) => s[sec] !== undefined);
  if (!declared) issues.push(loc.issue([], 'a scenario needs at least one step in load, release, faults or checks'));
  if (issues.length) throw new InputError(issues);
  return {
    name: s.name,
    ...(s.description ? { description: s.description } : {}),
    file: loc.file,
    target,
    duration: s.duration,
    // --seed wins over the file's seed; without either, derive one from the scenario itself, so
    // plan and run agree and a rerun of the same file picks the same victims.
    seed: opts.seed ?? s.seed ?? derivedSeed(value),
    steps,
    gates,
    ...(s.slo ? { slo: { availability: s.slo.availability, window: s.slo.window, rps: s.slo.rps, ...(s.slo.step ? { step: s.slo.step } : {}) } } : {}),
    ...(Object.keys(vars).length ? { vars } : {}),
  };
}

const varsSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean default' }));

/**
 * `vars:` and `--set`, then `${name}` replaced everywhere else in the document (core/vars.ts).
 * Issues are located where the reference was written; `--set` issues name the flag.
 */
function resolveVars(raw: unknown, loc: Locator, sets: readonly string[]): { value: unknown; vars: Vars } {
  const doc = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!doc || (doc.vars === undefined && !sets.length)) return { value: raw, vars: {} };
  const declared = varsSchema.safeParse(doc.vars ?? {});
  if (!declared.success) throw new InputError(zodIssues(loc, ['vars'], declared.error));
  const bad = badVarNames(declared.data);
  if (bad.length) throw new InputError(bad.map((n) => loc.issue(['vars', n], 'a variable name is letters, digits and _ (not starting with a digit)', true)));
  const { vars, issues } = applySets(declared.data, sets);
  if (issues.length) throw new InputError(issues.map((message) => ({ file: loc.file, path: '', message })));
  const found: VarIssue[] = [];
  const { vars: _declared, ...rest } = doc;
  const value = { ...(substituteValue(rest, vars, found) as Record<string, unknown>), vars: declared.data };
  if (found.length) throw new InputError(found.map((i) => loc.issue(i.path, i.message)));
  return { value, vars };
}
