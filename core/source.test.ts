/**
 * What users really feed Gauntlet: YAML streams with empty documents (kubectl skips them) and
 * hostile YAML (alias bombs) that must be rejected as located bad input, never an internal error.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from './errors.ts';
import { parseYamlDocs } from './source.ts';

const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;

/** `a0` is 10 scalars; each next level is 10 aliases of the previous one: 10^levels leaves. */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('YAML streams', () => {
  it('skips empty documents as kubectl does: a trailing ---, a document of comments, an empty one', () => {
    const text = `---\n${ns('a')}---\n# only a comment\n---\n---\n${ns('b')}---\n`;
    const docs = parseYamlDocs(text, 'ns.yaml');
    expect(docs.map((d) => (d.toJS() as { metadata: { name: string } }).metadata.name)).toEqual(['a', 'b']);
    // Positions still point into the original stream.
    expect(docs[1]!.locate(['metadata', 'name'])).toEqual({ line: 11, column: 18 });
  });

  it('rejects an alias bomb as located bad input, without expanding it', () => {
    const e = inputError(() => parseYamlDocs(aliasBomb(9), 'bomb.yaml')[0]!.toJS());
    expect(e.exitCode).toBe(2);
    expect(e.issues[0]).toMatchObject({ file: 'bomb.yaml', line: expect.any(Number), column: expect.any(Number) });
    expect(e.message).toMatch(/^bomb\.yaml:6:12: .*alias/);
  });

  it('reports a syntax error once, where it starts, not the cascade of follow-on errors the parser emits after it', () => {
    // An unquoted `${x}` in a flow map: the yaml parser emits ~20 errors for this one line.
    const text = `a: 1\nrules:\n  - {name: x, to: [{cidr: \${ip}/32}], port: 80}\n  - {name: y}\n---\nb: {c: [1, 2}\n`;
    const e = inputError(() => parseYamlDocs(text, 'bad.yaml'));
    expect(e.exitCode).toBe(2);
    // One issue per broken document: its first error, located, with a count of what followed.
    expect(e.issues).toHaveLength(2);
    expect(e.issues[0]).toMatchObject({ file: 'bad.yaml', line: 3 });
    expect(e.issues[0]!.message).toMatch(/^YAML syntax: .+ \(\d+ more syntax errors in this document follow from it\)$/);
    expect(e.issues[1]).toMatchObject({ file: 'bad.yaml', line: 6 });
    expect(e.message.split('\n')).toHaveLength(2);
  });

  it('still accepts ordinary anchors and aliases', () => {
    const docs = parseYamlDocs(`base: &b {a: 1}\nx: *b\ny: *b\n`, 'ok.yaml');
    expect(docs[0]!.toJS()).toEqual({ base: { a: 1 }, x: { a: 1 }, y: { a: 1 } });
  });
});
