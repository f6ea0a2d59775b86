import type { PolicyCheckResult } from '../check.ts';

export const POLICY_CHECK_SCHEMA = 'https://gauntlet.dev/schema/policy-check.v1.json';

/** The result as published in policies/schema/policy-check.schema.json. */
export function renderJson(r: PolicyCheckResult): string {
  return JSON.stringify({ $schema: POLICY_CHECK_SCHEMA, ...r }, null, 2) + '\n';
}

/**
 * The same text as `renderJson`, in pieces: one per workload verdict (and one per other field), so
 * a large report is written as it is rendered instead of as one string (100,000 workloads make a
 * report longer than the longest string V8 allows). Each piece is `JSON.stringify` of a value with
 * its lines indented to its depth, which is what stringifying the whole document gives (strings
 * never hold a raw newline in JSON).
 */
export function* renderJsonChunks(r: PolicyCheckResult): Generator<string> {
  const doc: Record<string, unknown> = { $schema: POLICY_CHECK_SCHEMA, ...r };
  let first = true;
  yield '{';
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    if (Array.isArray(value) && value.length) {
      yield `${first ? '' : ','}\n  ${JSON.stringify(key)}: [`;
      for (let i = 0; i < value.length; i++) {
        yield `${i ? ',' : ''}\n    ${indent(JSON.stringify(value[i], null, 2) ?? 'null', '    ')}`;
      }
      yield '\n  ]';
      first = false;
      continue;
    }
    const text = JSON.stringify(value, null, 2);
    if (text === undefined) continue; // undefined, functions: left out, as JSON.stringify does
    yield `${first ? '' : ','}\n  ${JSON.stringify(key)}: ${indent(text, '  ')}`;
    first = false;
  }
  yield first ? '}\n' : '\n}\n';
}

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
