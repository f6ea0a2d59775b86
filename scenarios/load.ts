/** Load a scenario file (TypeScript, JavaScript, YAML or JSON) into the normalized type. */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, type InputIssue } from '../core/errors.ts';
import { formatPath, readYamlFile, type PathSegment } from '../core/source.ts';
import type { Scenario } from '../core/scenario.ts';
import { normalizeScenario, type Locator } from './schema.ts';
import './kinds.ts';

const CODE_EXT = new Set(['.ts', '.mts', '.js', '.mjs']);

export async function loadScenario(file: string, opts: { seed?: number } = {}): Promise<Scenario> {
  const ext = extname(file).toLowerCase();
  if (CODE_EXT.has(ext)) return loadCodeScenario(file, opts);
  if (!['.yaml', '.yml', '.json'].includes(ext)) {
    throw new InputError([{ file, path: '', message: `unsupported scenario file type "${ext}" (use .ts, .js, .yaml, .yml or .json)` }]);
  }
  const docs = await readYamlFile(file);
  if (docs.length !== 1) throw new InputError([{ file, path: '', message: `expected one scenario document, found ${docs.length}` }]);
  const doc = docs[0]!;
  return normalizeScenario(doc.toJS(), doc, opts);
}

async function loadCodeScenario(file: string, opts: { seed?: number }): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError([{ file, path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw new InputError([codeLoadIssue(file, e)]);
  }
  if (mod.default === undefined) {
    throw new InputError([{ file, line: 1, column: 1, path: '', message: 'no default export: write `export default defineScenario({...})`' }]);
  }
  return normalizeScenario(mod.default, new TextLocator(file, text), opts);
}

/** Turn a syntax or import error from Node into file:line:column. */
function codeLoadIssue(file: string, e: unknown): InputIssue {
  const err = e as Error & { code?: string };
  const text = `${err.stack ?? err.message}`;
  const m = text.match(/:(\d+)(?::(\d+))?\s*$/m) ?? text.match(/\((?:[^)]*):(\d+):(\d+)\)/);
  const line = m ? Number(m[1]) : undefined;
  const column = m?.[2] ? Number(m[2]) : undefined;
  return { file, ...(line ? { line } : {}), ...(column ? { column } : {}), path: '', message: `cannot load: ${err.message.split('\n')[0]}` };
}

/**
 * Finds a field path in TypeScript source text by walking the keys in order. Source maps of an
 * object literal are not available at run time; a textual walk finds the field the user wrote
 * in every realistic file, and falls back to the nearest enclosing key.
 */
export class TextLocator implements Locator {
  readonly file: string;
  private readonly text: string;
  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
  }

  issue(path: readonly PathSegment[], message: string): InputIssue {
    let offset = Math.max(0, this.text.search(/export\s+default/));
    let found = offset;
    for (const seg of path) {
      if (typeof seg === 'number') {
        const open = this.text.indexOf('[', offset);
        if (open < 0) break;
        offset = this.nthElement(open, seg);
        found = offset;
        continue;
      }
      const re = new RegExp(`(?:^|[\\s{,])["']?${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`, 'g');
      re.lastIndex = offset;
      const m = re.exec(this.text);
      if (!m) break;
      offset = m.index + m[0].search(/\S/) ;
      if (/[\s{,]/.test(this.text[offset] ?? '')) offset++;
      found = offset;
    }
    const before = this.text.slice(0, found);
    const line = before.split('\n').length;
    const column = found - before.lastIndexOf('\n');
    return { file: this.file, line, column, path: formatPath(path), message };
  }

  /** Offset of the n-th top-level element of the array literal opening at `open`. */
  private nthElement(open: number, n: number): number {
    let depth = 0;
    let index = 0;
    for (let i = open + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (depth === 0 && index === n && !/\s/.test(c)) return i;
      if (c === '[' || c === '{' || c === '(') depth++;
      else if (c === ']' || c === '}' || c === ')') {
        if (depth === 0) return open;
        depth--;
      } else if (c === ',' && depth === 0) index++;
    }
    return open;
  }
}
