/**
 * A fast reader for the plain block YAML that `kubectl get -o yaml` and hand-written manifests use:
 * block mappings and sequences, plain and one-line quoted scalars, `{}` / `[]`, literal block
 * scalars (`|`, `|-`), comments and `---` separators. It gives the same values as the `yaml`
 * package's core schema, or `undefined` as soon as it meets anything else (anchors, aliases, tags,
 * flow collections, folded or multi-line scalars, duplicate keys, syntax errors...), and the caller
 * then takes the full parser, which also names every syntax error's position. Positions are not
 * built here: callers locate lazily by parsing one document with the full parser.
 */

export interface PlainDoc {
  value: unknown;
  /** 0-based line of the document's first line (after its `---`) in the whole text. */
  startLine: number;
  /** The document's text (its lines, without the separator). */
  text: string;
}

/** 1-based line (within the document's text) and column. */
export interface LineCol {
  line: number;
  column: number;
}

/** Where a mapping's keys and scalar values, or a sequence's items, start. */
type Where = { kind: 'map'; start: LineCol; keys: Map<string, { key: LineCol; value?: LineCol; nullish?: boolean }> } | { kind: 'seq'; start: LineCol; items: LineCol[] };

class Bail extends Error {}
const bail = (): never => {
  throw new Bail();
};

interface Line {
  ind: number;
  /** Content after the indentation (not comment-stripped). */
  s: string;
}

/** Documents of `text`, or undefined when it is not plain block YAML. Empty documents are kept (value null). */
export function parsePlainYaml(text: string): PlainDoc[] | undefined {
  if (text.includes('\r') || text.includes('\t') || text.charCodeAt(0) === 0xfeff) return undefined;
  const raw = text.split('\n');
  const docs: PlainDoc[] = [];
  let start = 0;
  try {
    for (let i = 0; i <= raw.length; i++) {
      const l = raw[i];
      const sep = l === undefined || l === '---' || l.startsWith('--- ') || l.startsWith('---\t');
      if (l !== undefined && (l.startsWith('...') || l.startsWith('%'))) return undefined;
      if (!sep) continue;
      if (l !== undefined && l !== '---' && !/^---\s*(#.*)?$/.test(l)) return undefined;
      if (i > start || i < raw.length) {
        const lines = raw.slice(start, i);
        // A leading `---` gives an empty first document the full parser does not have: skip it.
        if (!(i === 0 && start === 0)) docs.push({ value: parseDoc(lines, i < raw.length), startLine: start, text: lines.join('\n') });
      }
      start = i + 1;
    }
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
  return docs;
}

function parseDoc(rawLines: string[], endsWithNewline: boolean, where?: WeakMap<object, Where>, root?: { at?: LineCol }): unknown {
  const lines: Line[] = rawLines.map((r) => {
    let ind = 0;
    while (r.charCodeAt(ind) === 32) ind++;
    return { ind, s: r.slice(ind) };
  });
  const p = new P(lines, endsWithNewline, where);
  p.skip();
  if (p.i >= lines.length) return null;
  if (root) root.at = p.here(0);
  const v = p.node(-1);
  p.skip();
  if (p.i < lines.length) bail();
  return v;
}

const isBlank = (l: Line) => l.s === '' || l.s.startsWith('#');

class P {
  i = 0;
  readonly lines: Line[];
  readonly endsWithNewline: boolean;
  /** Set when positions are wanted (locating), unset when only values are. */
  readonly where?: WeakMap<object, Where>;
  constructor(lines: Line[], endsWithNewline: boolean, where?: WeakMap<object, Where>) {
    this.lines = lines;
    this.endsWithNewline = endsWithNewline;
    this.where = where;
  }

  /** The position `offset` characters into the current line's content. */
  here(offset: number): LineCol {
    return { line: this.i + 1, column: this.lines[this.i]!.ind + offset + 1 };
  }

  skip(): void {
    while (this.i < this.lines.length && isBlank(this.lines[this.i]!)) this.i++;
  }

  /** The node starting at the current (non-blank) line, which is more indented than `parent`. */
  node(parent: number): unknown {
    const l = this.lines[this.i]!;
    if (l.ind <= parent && !(l.s.startsWith('- ') || l.s === '-')) bail();
    if (l.s.startsWith('- ') || l.s === '-') return this.seq(l.ind);
    if (keyOf(l.s)) return this.map(l.ind);
    // A scalar document or item on its own line(s): one line only.
    const v = inlineValue(l.s);
    this.i++;
    return v;
  }

  map(ind: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const w = this.where && { kind: 'map' as const, start: this.here(0), keys: new Map<string, { key: LineCol; value?: LineCol; nullish?: boolean }>() };
    if (w) this.where!.set(out, w);
    for (;;) {
      this.skip();
      const l = this.lines[this.i];
      if (!l || l.ind < ind) return out;
      if (l.ind > ind) bail();
      const k = keyOf(l.s) ?? bail();
      if (Object.hasOwn(out, k.key) || k.key === '<<' || k.key === '__proto__') bail();
      const rest = k.rest;
      const at = w && { key: this.here(0), value: this.here(k.restAt) as LineCol | undefined, nullish: false };
      if (w && at) w.keys.set(k.key, at);
      this.i++;
      if (rest === '' || rest.startsWith('#')) {
        if (at) at.value = undefined;
        this.skip();
        const n = this.lines[this.i];
        // The value is on the next lines: more indented, or a sequence at the key's own indent.
        if (n && (n.ind > ind || (n.ind === ind && (n.s.startsWith('- ') || n.s === '-')))) out[k.key] = n.ind === ind ? this.seq(ind) : this.node(ind);
        else {
          out[k.key] = null;
          if (at) at.nullish = true;
        }
      } else if (rest === '|' || rest === '|-') {
        if (at) at.nullish = true; // where the full parser puts a block scalar: left to it
        out[k.key] = this.literal(ind, rest === '|-');
      } else out[k.key] = inlineValue(rest);
    }
  }

  seq(ind: number): unknown[] {
    const out: unknown[] = [];
    const w = this.where && { kind: 'seq' as const, start: this.here(0), items: [] as LineCol[] };
    if (w) this.where!.set(out, w);
    for (;;) {
      this.skip();
      const l = this.lines[this.i];
      if (!l || l.ind < ind) return out;
      if (l.ind > ind || !(l.s.startsWith('- ') || l.s === '-')) {
        if (l.ind === ind) return out; // a sibling key of the mapping this sequence is a value of
        bail();
      }
      let rest = l.s.slice(1);
      let pad = 1;
      while (rest.startsWith(' ')) (rest = rest.slice(1)), pad++;
      if (w) w.items.push(this.here(pad));
      if (rest === '' || rest.startsWith('#')) {
        this.i++;
        this.skip();
        const n = this.lines[this.i];
        if (w) w.items[w.items.length - 1] = n && n.ind > ind ? { line: this.i + 1, column: n.ind + 1 } : { line: 0, column: 0 };
        out.push(n && n.ind > ind ? this.node(ind) : null);
      } else if (rest.startsWith('- ') || rest === '-' || rest.startsWith('|') || rest.startsWith('>')) {
        bail();
      } else if (keyOf(rest)) {
        // `- key: value`: a mapping whose keys sit at the column after the dash.
        this.lines[this.i] = { ind: ind + pad, s: rest };
        out.push(this.map(ind + pad));
      } else {
        out.push(inlineValue(rest));
        this.i++;
      }
    }
  }

  /** A literal block scalar after `key: |` on the previous line; clip (one final newline) or strip. */
  literal(parent: number, strip: boolean): string {
    const body: string[] = [];
    let ind = -1;
    for (; this.i < this.lines.length; this.i++) {
      const l = this.lines[this.i]!;
      if (l.s === '') {
        if (l.ind > 0) bail(); // spaces on an empty line: content or not depends on the indentation
        body.push('');
        continue;
      }
      if (ind < 0) {
        if (l.ind <= parent) break;
        ind = l.ind;
      }
      if (l.ind < ind) break;
      body.push(' '.repeat(l.ind - ind) + l.s);
    }
    // Trailing blank lines belong to the document, not the scalar (clip and strip both drop them).
    let end = body.length;
    while (end > 0 && body[end - 1] === '') end--;
    this.i -= body.length - end;
    // Clip's final newline is the source's: at the very end of a text without one, leave it to the full parser.
    if (this.i >= this.lines.length && !this.endsWithNewline) bail();
    const content = body.slice(0, end);
    if (!content.length) return '';
    return content.join('\n') + (strip ? '' : '\n');
  }
}

/** `key: rest` or `key:` at the start of s: the key (plain or quoted) and what follows the colon, trimmed. */
function keyOf(s: string): { key: string; rest: string; restAt: number } | undefined {
  let key: string;
  let after: number;
  const c = s[0];
  if (c === '"' || c === "'") {
    const q = quoted(s, 0);
    if (!q || s[q.end] !== ':') return undefined;
    key = q.value;
    after = q.end + 1;
  } else {
    if (!c || '-?:,[]{}#&*!|>\'"%@`'.includes(c)) return undefined;
    let j = s.indexOf(':');
    while (j >= 0 && !(j + 1 === s.length || s[j + 1] === ' ')) j = s.indexOf(':', j + 1);
    if (j < 0) return undefined;
    key = s.slice(0, j).trimEnd();
    if (key.includes(' #') || scalarType(key) !== 'string') bail();
    after = j + 1;
  }
  if (after < s.length && s[after] !== ' ') return undefined;
  let restAt = after;
  while (s[restAt] === ' ') restAt++;
  return { key, rest: s.slice(after).trim(), restAt };
}

/** A value written on the same line: a plain or quoted scalar, `{}` or `[]`. */
function inlineValue(s: string): unknown {
  const c = s[0];
  if (c === '"' || c === "'") {
    const q = quoted(s, 0) ?? bail();
    const rest = s.slice(q.end).trim();
    if (rest && !rest.startsWith('#')) bail();
    return q.value;
  }
  let v = s;
  const hash = v.indexOf(' #');
  if (hash >= 0) v = v.slice(0, hash);
  v = v.trimEnd();
  if (v === '{}') return {};
  if (v === '[]') return [];
  if (!v || '[]{}#&*!|>%@`,'.includes(v[0]!)) bail();
  if ((v[0] === '-' || v[0] === '?' || v[0] === ':') && (v.length === 1 || v[1] === ' ')) bail();
  // `a: b` inside a value is a nested compact mapping (an error for the full parser); `x:` at the end is too.
  if (v.includes(': ') || v.endsWith(':')) bail();
  return resolve(v);
}

/** A one-line quoted scalar starting at s[i]: its value and the index after the closing quote. */
function quoted(s: string, i: number): { value: string; end: number } | undefined {
  const q = s[i];
  let out = '';
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (q === "'") {
      if (c === "'") {
        if (s[j + 1] === "'") {
          out += "'";
          j++;
          continue;
        }
        return { value: out, end: j + 1 };
      }
      out += c;
    } else {
      if (c === '"') return { value: out, end: j + 1 };
      if (c === '\\') {
        const e = s[++j];
        const simple: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };
        if (e === undefined || !(e in simple)) bail();
        out += simple[e as string];
      } else out += c;
    }
  }
  return bail(); // not closed on this line: a multi-line scalar
}

function scalarType(v: string): 'string' | 'other' {
  return typeof resolve(v) === 'string' ? 'string' : 'other';
}

/** Core-schema resolution of a plain scalar, as the `yaml` package does it (version 1.2). */
function resolve(v: string): unknown {
  if (v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (v === 'true' || v === 'True' || v === 'TRUE') return true;
  if (v === 'false' || v === 'False' || v === 'FALSE') return false;
  const c = v.charCodeAt(0);
  // Only text starting with a digit, sign or dot can be a number.
  if (!((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46)) return v;
  if (/^0o[0-7]+$/.test(v)) return parseInt(v.slice(2), 8);
  if (/^[-+]?[0-9]+$/.test(v)) return parseInt(v, 10);
  if (/^0x[0-9a-fA-F]+$/.test(v)) return parseInt(v.slice(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(v)) return v.slice(-3).toLowerCase() === 'nan' ? NaN : v[0] === '-' ? -Infinity : Infinity;
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(v)) return parseFloat(v);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(v)) return parseFloat(v);
  return v;
}

/**
 * Where `path` is in one plain document's text, as core/source.ts `SourceDoc.locate` answers (the
 * key for a mapping entry, the value when it is a scalar, the item in a sequence; the nearest
 * ancestor when the path goes missing), or undefined when only the full parser can say. Undefined
 * as a whole when the text is not plain YAML.
 */
export function plainLocator(text: string): ((path: readonly (string | number)[]) => LineCol | undefined) | undefined {
  const where = new WeakMap<object, Where>();
  const root: { at?: LineCol } = {};
  let doc: unknown;
  try {
    doc = parseDoc(text.split('\n'), true, where, root);
  } catch (e) {
    if (e instanceof Bail) return undefined;
    throw e;
  }
  const start = root.at;
  if (!start) return undefined;
  return (path) => {
    let node = doc;
    let best = start;
    for (const seg of path) {
      const w = node !== null && typeof node === 'object' ? where.get(node) : undefined;
      if (!w) break;
      if (w.kind === 'map') {
        const pair = typeof seg === 'string' ? w.keys.get(seg) : undefined;
        if (!pair) break;
        if (pair.nullish) return undefined;
        best = pair.key;
        node = (node as Record<string, unknown>)[seg as string];
        if (node === null || typeof node !== 'object') best = pair.value ?? best;
      } else {
        const item = typeof seg === 'number' ? w.items[seg] : undefined;
        if (!item) break;
        if (!item.line) return undefined;
        best = item;
        node = (node as unknown[])[seg as number];
      }
    }
    return best;
  };
}
