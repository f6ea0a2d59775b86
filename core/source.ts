/**
 * YAML/JSON documents with positions, so every input error names file:line:column and field path.
 */
import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, visit, type Document, type Node } from 'yaml';
import { InputError, type InputIssue } from './errors.ts';

export type PathSegment = string | number;

/** Nodes a document may reach through aliases before it is treated as an alias bomb. */
const MAX_ALIAS_COUNT = 1000;

/** Render a field path the way users write it: `faults[1].duration`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

/** One parsed YAML document that can answer "where is this field?". */
export class SourceDoc {
  readonly file: string;
  readonly doc: Document.Parsed;
  /** 0-based index of this document in a multi-document stream. */
  readonly index: number;
  private readonly lines: LineCounter;

  constructor(file: string, doc: Document.Parsed, lines: LineCounter, index = 0) {
    this.file = file;
    this.doc = doc;
    this.lines = lines;
    this.index = index;
  }

  /**
   * The plain JS value of the document. An alias bomb ("billion laughs": aliases of aliases that
   * expand exponentially) is bad input, located at its first alias, never an internal error.
   */
  toJS(): unknown {
    try {
      return this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      if (!(e instanceof ReferenceError) || !/alias/i.test(e.message)) throw e;
      let at: { line: number; column: number } = { line: 1, column: 1 };
      visit(this.doc, {
        Alias: (_key, node) => {
          at = this.pos(node) ?? at;
          return visit.BREAK;
        },
      });
      throw new InputError([{ file: this.file, ...at, path: '', message: `YAML aliases expand too much (more than ${MAX_ALIAS_COUNT} nodes through aliases; an "alias bomb"?): write the values out` }]);
    }
  }

  /** Locate `path`, falling back to the nearest ancestor that exists. */
  locate(path: readonly PathSegment[], atKey = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let best = this.pos(node as Node | null) ?? { line: 1, column: 1 };
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) break;
        // Point at the key for a missing/bad value, it is what the user reads.
        best = this.pos(pair.key as Node) ?? best;
        node = pair.value;
        if (!atKey && pair.value && !isMap(pair.value) && !isSeq(pair.value)) best = this.pos(pair.value as Node) ?? best;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (!item) break;
        best = this.pos(item as Node) ?? best;
        node = item;
      } else break;
    }
    return best;
  }

  issue(path: readonly PathSegment[], message: string, atKey = false): InputIssue {
    return { file: this.file, ...this.locate(path, atKey), path: formatPath(path), message };
  }

  private pos(node: Node | null | undefined): { line: number; column: number } | undefined {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }
}

/** Parse a YAML (or JSON) text into documents; syntax errors become an InputError with positions. */
export function parseYamlDocs(text: string, file: string): SourceDoc[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const issues: InputIssue[] = [];
  for (const d of list) {
    // The parser goes on after a syntax error and reports every token it can no longer place (an
    // unquoted `${x}` in a flow map gives ~20 errors for one line): the first one is the mistake.
    const [err, ...rest] = d.errors;
    if (!err) continue;
    const p = lines.linePos(err.pos[0]);
    const more = rest.length ? ` (${rest.length} more syntax error${rest.length === 1 ? '' : 's'} in this document follow${rest.length === 1 ? 's' : ''} from it)` : '';
    issues.push({ file, line: p.line, column: p.col, path: '', message: `YAML syntax: ${firstLine(err.message)}${more}` });
  }
  if (issues.length) throw new InputError(issues);
  // kubectl skips empty documents (a trailing `---`, a document of comments) and `null` ones.
  return list
    .map((d, i) => new SourceDoc(file, d, lines, i))
    .filter((d) => !isEmptyDocument(d.doc));
}

function isEmptyDocument(d: Document.Parsed): boolean {
  return d.contents === null || (isScalar(d.contents) && d.contents.value === null && !isAlias(d.contents));
}

export async function readYamlFile(file: string): Promise<SourceDoc[]> {
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError([{ file, path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return parseYamlDocs(text, file === '-' ? '<stdin>' : file);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
