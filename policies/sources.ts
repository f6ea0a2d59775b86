/**
 * Reading manifests: files, directories or stdin, multi-document YAML, `kind: List`, and JSON.
 * JSON takes a fast path (JSON.parse) and is located lazily, one object at a time, because a YAML
 * parse of a whole cluster dump takes seconds where JSON.parse takes milliseconds.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { InputError, type InputIssue } from '../core/errors.ts';
import { formatPath, parseYamlDocs, type PathSegment } from '../core/source.ts';

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
  for (const f of files) out.push(...parseManifestText(await readFile(f, 'utf8'), f));
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
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
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
  for (const d of parseYamlDocs(text, file)) out.push(...expand(d.toJS(), d, [], file));
  return out;
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

/** Locates paths in a JSON file by parsing, on demand, only the top-level item that holds them. */
class JsonLocator implements Locator {
  readonly file: string;
  private readonly text: string;
  private spans?: [number, number][];
  private lineStarts?: number[];
  private readonly cache = new Map<number, { doc: ReturnType<typeof parseDocument>; lines: LineCounter }>();

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
  }

  locate(path: readonly PathSegment[]): { line: number; column: number } {
    this.spans ??= itemSpans(this.text);
    const idx = path[0] === 'items' && typeof path[1] === 'number' ? path[1] : typeof path[0] === 'number' ? path[0] : -1;
    const span = idx >= 0 ? this.spans[idx] : undefined;
    const [start, end] = span ?? [0, this.text.length];
    const rest = span ? path.slice(path[0] === 'items' ? 2 : 1) : path;
    let entry = this.cache.get(start);
    if (!entry) {
      const lines = new LineCounter();
      entry = { doc: parseDocument(this.text.slice(start, end), { lineCounter: lines }), lines };
      this.cache.set(start, entry);
    }
    let node: unknown = entry.doc.contents;
    let offset = 0;
    for (const seg of rest) {
      const next = (node as { get?: (k: unknown, keep: boolean) => unknown } | null)?.get?.(seg, true);
      if (next === undefined || next === null) break;
      node = next;
      offset = (node as { range?: [number] }).range?.[0] ?? offset;
    }
    const starts = (this.lineStarts ??= lineStarts(this.text));
    let lo = 0, hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((starts[mid] as number) <= start) lo = mid + 1;
      else hi = mid;
    }
    const baseLine = lo; // 1-based line of `start`
    const p = entry.lines.linePos(offset);
    return { line: baseLine + p.line - 1, column: p.line === 1 ? start - (starts[lo - 1] as number) + p.col : p.col };
  }
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** Byte spans of the elements of the root array, or of the root object's `items` array. */
function itemSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let depth = 0, itemsDepth = -1, start = -1, inStr = false, strStart = 0, lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) {
        inStr = false;
        if (depth === 1) lastKey = text.slice(strStart + 1, i);
      }
      continue;
    }
    if (c === 34) {
      inStr = true;
      strStart = i;
      if (depth === itemsDepth && start < 0) start = i;
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

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
