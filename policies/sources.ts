/**
 * Reading manifests: files, directories or stdin, multi-document YAML, `kind: List`, and JSON.
 * JSON takes a fast path (JSON.parse) and is located lazily, one object at a time, because a YAML
 * parse of a whole cluster dump takes seconds where JSON.parse takes milliseconds.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, type InputIssue } from '../core/errors.ts';
import { parsePlainYaml, plainLocator, type PlainDoc } from '../core/plain-yaml.ts';
import { formatPath, parseYamlDocs, type PathSegment, type SourceDoc } from '../core/source.ts';

export interface Locator {
  file: string;
  locate(path: readonly PathSegment[]): { line: number; column: number };
}

/** One Kubernetes object and where it sits in its file. */
export interface InputObject {
  value: Record<string, unknown>;
  locator?: Locator;
  /** Path of the object inside its document, e.g. ['items', 3]. */
  base: PathSegment[];
}

export function issueAt(obj: InputObject, path: readonly PathSegment[], message: string): InputIssue {
  const full = [...obj.base, ...path];
  if (!obj.locator) return { file: 'cluster', path: formatPath(path), message };
  return { file: obj.locator.file, ...obj.locator.locate(full), path: formatPath(path), message };
}

export async function readManifests(input: string): Promise<InputObject[]> {
  if (input === '-') return parseManifestText(await readStdin(), '<stdin>');
  let files: string[];
  try {
    files = (await stat(input)).isDirectory() ? await listManifestFiles(input) : [input];
  } catch (e) {
    throw new InputError([{ file: input, path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  const out: InputObject[] = [];
  // One by one: spreading a list of 100,000+ objects into push() overflows the stack.
  for (const f of files) for (const o of parseManifestText(await readFile(f, 'utf8'), f)) out.push(o);
  return out;
}

async function listManifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listManifestFiles(p)));
    else if (/\.(ya?ml|json)$/.test(e.name)) out.push(p);
  }
  return out;
}

export function parseManifestText(text: string, file: string): InputObject[] {
  // The first character after JSON's white space (trimStart would copy a whole cluster dump). Text
  // that starts otherwise, a byte-order mark included, is not JSON.parse's: the YAML path reads it.
  const first = text[skipWs(text, 0)];
  if (first === '{' || first === '[') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // Not strict JSON: let the YAML parser name the position.
      return fromDocs(text, file);
    }
    return expand(value, new JsonLocator(text, file), [], file);
  }
  return fromDocs(text, file);
}

function fromDocs(text: string, file: string): InputObject[] {
  const out: InputObject[] = [];
  // Plain block YAML (what kubectl writes) is read without building a YAML document, and located
  // lazily; anything else (anchors, flow, folded scalars, errors...) goes through the full parser.
  const plain = parsePlainYaml(text);
  if (plain) {
    for (const d of plain) if (d.value !== null) for (const o of expand(d.value, new PlainDocLocator(d, file), [], file)) out.push(o);
    return out;
  }
  for (const d of parseYamlDocs(text, file)) for (const o of expand(d.toJS(), d, [], file)) out.push(o);
  return out;
}

/** Locates a path in one plain YAML document by parsing that document alone with the full parser, on demand. */
class PlainDocLocator implements Locator {
  readonly file: string;
  private readonly doc: PlainDoc;
  private parsed?: SourceDoc;
  private plain?: ReturnType<typeof plainLocator> | null;

  constructor(doc: PlainDoc, file: string) {
    this.doc = doc;
    this.file = file;
  }

  locate(path: readonly PathSegment[]): { line: number; column: number } {
    // The plain reader again, with positions; the full parser only where it cannot say (block scalars, empty values).
    if (this.plain === undefined) this.plain = plainLocator(this.doc.text) ?? null;
    let at = this.plain?.(path);
    if (!at) {
      this.parsed ??= parseYamlDocs(this.doc.text, this.file)[0];
      at = this.parsed?.locate(path) ?? { line: 1, column: 1 };
    }
    return { line: at.line + this.doc.startLine, column: at.column };
  }
}

function expand(value: unknown, locator: Locator, base: PathSegment[], file: string): InputObject[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => expand(v, locator, [...base, i], file));
  if (!value || typeof value !== 'object') {
    const where = locator.locate(base);
    throw new InputError([{ file, ...where, path: formatPath(base), message: 'expected a Kubernetes object' }]);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    return obj.items.flatMap((v, i) => expand(v, locator, [...base, 'items', i], file));
  }
  return [{ value: obj, locator, base }];
}

/**
 * Locates paths in a JSON file by scanning, on demand, only the top-level item that holds them: a
 * small JSON walker (no YAML parse), because a live cluster's dump has thousands of items to locate.
 */
class JsonLocator implements Locator {
  readonly file: string;
  private readonly text: string;
  private spans?: [number, number][];
  private lineStarts?: Int32Array;

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
  }

  locate(path: readonly PathSegment[]): { line: number; column: number } {
    this.spans ??= itemSpans(this.text);
    const idx = path[0] === 'items' && typeof path[1] === 'number' ? path[1] : typeof path[0] === 'number' ? path[0] : -1;
    const span = idx >= 0 ? this.spans[idx] : undefined;
    const rest = span ? path.slice(path[0] === 'items' ? 2 : 1) : path;
    const offset = jsonOffset(this.text, span ? span[0] : skipWs(this.text, 0), rest);
    const starts = (this.lineStarts ??= lineStarts(this.text));
    let lo = 0, hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return { line: lo, column: offset - (starts[lo - 1] as number) + 1 };
  }
}

function skipWs(t: string, i: number): number {
  while (i < t.length && (t.charCodeAt(i) === 32 || t.charCodeAt(i) === 10 || t.charCodeAt(i) === 13 || t.charCodeAt(i) === 9)) i++;
  return i;
}

/** End (exclusive) of the JSON value starting at i. */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 34) {
    for (i++; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === 92) i++;
      else if (d === 34) return i + 1;
    }
    return i;
  }
  if (c === 123 || c === 91) {
    let depth = 0;
    for (; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === 34) i = skipValue(t, i) - 1;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        if (--depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < t.length && !',}] \n\r\t'.includes(t[i] as string)) i++;
  return i;
}

/**
 * Offset of the value at `path` inside the JSON value starting at `at`, or of the deepest ancestor
 * that exists (a missing key points at its object, as the YAML locator does).
 */
function jsonOffset(t: string, at: number, path: readonly PathSegment[]): number {
  let i = skipWs(t, at);
  for (const seg of path) {
    const c = t.charCodeAt(i);
    let found = -1;
    if (c === 123 && typeof seg === 'string') {
      let j = skipWs(t, i + 1);
      while (j < t.length && t.charCodeAt(j) === 34) {
        const keyEnd = skipValue(t, j);
        const key = JSON.parse(t.slice(j, keyEnd)) as string;
        const v = skipWs(t, skipWs(t, keyEnd) + 1); // past ':'
        if (key === seg) {
          found = v;
          break;
        }
        j = skipWs(t, skipValue(t, v));
        if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
      }
    } else if (c === 91 && typeof seg === 'number') {
      let j = skipWs(t, i + 1);
      for (let n = 0; j < t.length && t.charCodeAt(j) !== 93; n++) {
        if (n === seg) {
          found = j;
          break;
        }
        j = skipWs(t, skipValue(t, j));
        if (t.charCodeAt(j) === 44) j = skipWs(t, j + 1);
      }
    }
    if (found < 0) break;
    i = found;
  }
  return i;
}

/** Offsets where each line starts; counted first, so a dump of half a million lines fills one typed array instead of growing a list. */
function lineStarts(text: string): Int32Array {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  const out = new Int32Array(n);
  n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out[n++] = i + 1;
  return out;
}

/** Byte spans of the elements of the root array, or of the root object's `items` array. */
function itemSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let depth = 0, itemsDepth = -1, start = -1, lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      if (depth === itemsDepth && start < 0) start = i;
      const end = stringEnd(text, i);
      if (depth === 1) lastKey = text.slice(i + 1, end);
      i = end;
    } else if (c === 123 || c === 91) {
      if (depth === 0 && c === 91) itemsDepth = 1;
      else if (depth === itemsDepth && start < 0) start = i;
      else if (c === 91 && depth === 1 && lastKey === 'items' && itemsDepth < 0) itemsDepth = 2;
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
      if (depth === itemsDepth && start >= 0) {
        spans.push([start, i + 1]);
        start = -1;
      }
    }
  }
  return spans;
}

/** The index of the quote closing the JSON string that opens at `at` (text.length if none): found with indexOf, not char by char. */
function stringEnd(text: string, at: number): number {
  for (let j = at + 1; ; j++) {
    j = text.indexOf('"', j);
    if (j < 0) return text.length;
    let k = j - 1;
    while (text.charCodeAt(k) === 92) k--;
    if ((j - 1 - k) % 2 === 0) return j; // an even number of backslashes: the quote is not escaped
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
