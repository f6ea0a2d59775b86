import type { PolicyCheckResult } from '../check.ts';

export const POLICY_CHECK_SCHEMA = 'https://gauntlet.dev/schema/policy-check.v1.json';

/** The result as published in policies/schema/policy-check.schema.json. */
export function renderJson(r: PolicyCheckResult): string {
  return JSON.stringify({ $schema: POLICY_CHECK_SCHEMA, ...r }, null, 2) + '\n';
}

/**
 * The same text as `renderJson`, in pieces of about 64 K characters, so a large report is written as it
 * is rendered instead of as one string (100,000 workloads make a report longer than the longest
 * string V8 allows). An array's items are stringified a batch at a time at the depth they have in
 * the document (`[[...batch]]` puts them two levels down, as the document's arrays are), and the
 * batch's brackets are cut off: the same text as stringifying the whole document, with no second
 * pass over it to indent it.
 */
export function* renderJsonChunks(r: PolicyCheckResult): Generator<string> {
  const doc: Record<string, unknown> = { $schema: POLICY_CHECK_SCHEMA, ...r };
  let first = true;
  yield '{';
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    if (Array.isArray(value) && value.length) {
      yield `${first ? '' : ','}\n  ${JSON.stringify(key)}: [`;
      // Batch size follows the items' size: about JSON_PIECE characters a piece.
      let batch = 16;
      for (let i = 0; i < value.length; ) {
        const items = value.slice(i, i + batch);
        const text = JSON.stringify([items], null, 2);
        // "[\n  [" + "\n    item" joined by "," + "\n  ]\n]"
        yield `${i ? ',' : ''}${text.slice(5, -6)}`;
        i += items.length;
        batch = Math.max(1, Math.min(4096, Math.round((items.length * JSON_PIECE) / Math.max(1, text.length))));
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

/**
 * Characters per piece of `renderJsonChunks`: 64 K, below V8's large-object size (128 KB), so a
 * piece is a young-generation string that dies young. Pieces of 1 M went to the old generation
 * one by one, and writing a 100,000-workload report (817 MB) took 24 full collections instead of
 * 13, about 3 s more (bench/results/policies.md, session 11).
 */
export const JSON_PIECE = 1 << 16;

function indent(text: string, by: string): string {
  return text.includes('\n') ? text.replaceAll('\n', `\n${by}`) : text;
}
