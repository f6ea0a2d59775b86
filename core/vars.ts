/**
 * Scenario variables: `vars:` declares names with defaults, `--set name=value` overrides them,
 * and `${name}` in any string of the scenario (and of the manifests a deploy step applies) is
 * replaced by the value. A string that is exactly `${name}` takes the value's type (a number
 * stays a number); `$${` is a literal `${`. An undeclared name is bad input, never left as text.
 */
import { nearest } from './suggest.ts';
import type { PathSegment } from './source.ts';

export type VarValue = string | number | boolean;
export type Vars = Record<string, VarValue>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REF = /\$(\$?)\{([^}]*)\}/g;

export interface VarIssue {
  path: PathSegment[];
  message: string;
}

/** `name=value` pairs from the command line, typed like the declared default (number, boolean). */
export function applySets(declared: Vars, sets: readonly string[]): { vars: Vars; issues: string[] } {
  const vars: Vars = { ...declared };
  const issues: string[] = [];
  for (const s of sets) {
    const eq = s.indexOf('=');
    const name = eq < 0 ? s : s.slice(0, eq);
    if (eq < 0 || !NAME.test(name)) {
      issues.push(`--set ${s}: expected name=value`);
      continue;
    }
    if (!(name in declared)) {
      const guess = nearest(name, Object.keys(declared));
      issues.push(`--set ${name}: the scenario declares no variable "${name}"${guess ? `; did you mean ${guess}?` : ''} (vars: ${Object.keys(declared).join(', ') || 'none'})`);
      continue;
    }
    const text = s.slice(eq + 1);
    const def = declared[name];
    if (typeof def === 'number') {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n)) issues.push(`--set ${name}=${text}: expected a number (the default is ${def})`);
      else vars[name] = n;
    } else if (typeof def === 'boolean') {
      if (text !== 'true' && text !== 'false') issues.push(`--set ${name}=${text}: expected true or false`);
      else vars[name] = text === 'true';
    } else vars[name] = text;
  }
  return { vars, issues };
}

/** Replace `${name}` in one string; issues name the unknown variables. */
export function substituteText(text: string, vars: Vars, unknown: (name: string) => void): string {
  return text.replace(REF, (whole, dollar: string, name: string) => {
    if (dollar) return whole.slice(1);
    if (!(name in vars)) {
      unknown(name);
      return whole;
    }
    return String(vars[name]);
  });
}

/**
 * A file's text with the scenario's variables replaced (a deploy step's manifests, an egress-probe's
 * allowlist): an undeclared `${name}` throws, naming the file and what is declared.
 */
export function substituteFileText(text: string, file: string, vars: Vars): string {
  const unknown = new Set<string>();
  const out = substituteText(text, vars, (n) => unknown.add(n));
  if (unknown.size) throw new Error(`unknown variable${unknown.size > 1 ? 's' : ''} ${[...unknown].map((n) => `\${${n}}`).join(', ')} in ${file} (declared: ${Object.keys(vars).join(', ') || 'none'})`);
  return out;
}

function unknownMessage(name: string, vars: Vars): string {
  const guess = nearest(name, Object.keys(vars));
  return `unknown variable \${${name}}${guess ? `; did you mean ${guess}?` : ''} (declare it under vars:; declared: ${Object.keys(vars).join(', ') || 'none'})`;
}

/** Substitute every string in a plain value (a scenario document), keeping types for whole references. */
export function substituteValue(value: unknown, vars: Vars, issues: VarIssue[], path: PathSegment[] = []): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole && whole[1]! in vars) return vars[whole[1]!];
    return substituteText(value, vars, (name) => issues.push({ path, message: unknownMessage(name, vars) }));
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteValue(v, vars, issues, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substituteValue(v, vars, issues, [...path, k])]));
  }
  return value;
}

/** Variable names must be identifiers, so `${a-b}` can never be ambiguous. */
export function badVarNames(vars: Vars): string[] {
  return Object.keys(vars).filter((k) => !NAME.test(k));
}
