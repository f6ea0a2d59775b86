/**
 * Secrets never reach the journal or a report. The runner journals the scenario redacted, the
 * change ledger journals revert data and descriptions redacted, and every report is built
 * through `redact` as the last line of defence (a step's error text or a log line can still
 * carry a token), so no renderer has to remember to.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets, compared lower-case with `-`, `_` and `.` removed. */
const SECRET_KEY = /(authorization|password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|cookie|credential|bearer|sessionid)/;
/** ...unless the key only names or points at a secret (`secretName`, `tokenFile`). */
const REFERENCE_KEY = /(name|ref|file|path|keyref)$/;

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_.]/g, '');
  return SECRET_KEY.test(k) && !REFERENCE_KEY.test(k);
}

const STRING_RULES: Array<[RegExp, string]> = [
  // Authorization: Bearer abc / Basic abc / Token abc. The credential must look like one (8+
  // characters with a digit, a symbol or an inner capital), so "Basic probe" and "token bucket" stay.
  [/\b([Bb]earer|BEARER|[Bb]asic|BASIC|[Tt]oken|TOKEN|[Dd]igest|DIGEST)\s+(?=[A-Za-z0-9._~+/=-]{8,})(?=[A-Za-z0-9._~+/=-]*(?:[0-9._~+/=-]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // https://user:pass@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]*@/gi, `$1${REDACTED}@`],
  // password=..., "token": "...", api_key: ... , ?access_token=...
  [
    /(["']?)([A-Za-z0-9_.-]*(?:authorization|password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|cookie|credentials?)[A-Za-z0-9_.-]*)\1(\s*[:=]\s*)(["']?)(?!\[redacted\])[^\s"'&,;}]+\4/gi,
    `$1$2$1$3$4${REDACTED}$4`,
  ],
  // A secret-named flag and its value as separate words: `--token s3cr3t`, `-p-password x` (not `--token-file f`).
  [/(^|\s)(--?[A-Za-z0-9_-]*(?:password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?)(?<!-(?:file|path|name|ref)))(\s+)(?!-|\[redacted\])[^\s"']+/gi, `$1$2$3${REDACTED}`],
  // Well-known token shapes, wherever they appear.
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g, REDACTED],
  // JWTs (three base64url segments, the first a JSON header).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, REDACTED],
];

/** Anything any rule could match contains one of these; wall times and ids do not. */
const PRECHECK = /bearer|basic|token|digest|:\/\/\S*@|authoriz|passw|secret|api[-_]?key|access[-_]?key|private[-_]?key|cookie|credential|gh[pousr]_|github_pat|glpat|xox|AKIA|eyJ/i;

/** Keys that SECRET_KEY can match but PRECHECK does not mention. */
const KEY_PRECHECK = /passphrase|session[-_.]?id|api\.key|access\.key|private\.key/i;

/**
 * Whether `text` (a string, or a whole JSON document) could hold anything `redact` would change:
 * a cheap test that lets the journal skip the walk for the bulk of its events.
 */
export function mayHoldSecret(text: string): boolean {
  return PRECHECK.test(text) || KEY_PRECHECK.test(text);
}

export function redactString(s: string): string {
  // Cheap pre-check: most strings (step ids, numbers as text) carry nothing to redact.
  if (!PRECHECK.test(s)) return s;
  let out = s;
  for (const [re, to] of STRING_RULES) out = out.replace(re, to);
  return out;
}

/** A deep copy with secret-named keys blanked and secret-shaped substrings replaced. */
export function redact<T>(value: T): T {
  return walk(value) as T;
}

/** `--token` as one word of an argv: the next word is its value. */
const SECRET_FLAG = /^--?[A-Za-z0-9_-]*(?:password|passwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credentials?)$/i;
const REFERENCE_FLAG = /-(file|path|name|ref)$/i;

function walk(v: unknown): unknown {
  if (typeof v === 'string') return redactString(v);
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => (typeof x === 'string' && i > 0 && isSecretFlag(v[i - 1]) && !x.startsWith('-') ? REDACTED : walk(x)));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = isSecretKey(k) ? redactAll(x) : walk(x);
  // A Kubernetes Secret: every value under data/stringData is secret, whatever its key is called.
  if ((v as { kind?: unknown }).kind === 'Secret' && typeof (v as { apiVersion?: unknown }).apiVersion === 'string') {
    for (const k of ['data', 'stringData']) if (out[k] !== undefined) out[k] = redactAll(out[k]);
  }
  return out;
}

function isSecretFlag(x: unknown): boolean {
  return typeof x === 'string' && SECRET_FLAG.test(x) && !REFERENCE_FLAG.test(x);
}

/** Everything under a secret key is secret, whatever it is called. */
function redactAll(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactAll);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactAll(x)]));
  return v === null || v === undefined ? v : REDACTED;
}
