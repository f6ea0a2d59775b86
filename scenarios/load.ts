/** Load a scenario file (TypeScript, JavaScript, YAML or JSON) into the normalized type. */
import { readFile } from 'node:fs/promises';
import module from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InputError, type InputIssue } from '../core/errors.ts';
import { formatPath, readYamlFile, type PathSegment } from '../core/source.ts';
import type { Scenario } from '../core/scenario.ts';
import { normalizeScenario, type Locator } from './schema.ts';
import './kinds.ts';

const CODE_EXT = new Set(['.ts', '.mts', '.js', '.mjs']);

export async function loadScenario(file: string, opts: { seed?: number; set?: readonly string[] } = {}): Promise<Scenario> {
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

async function loadCodeScenario(file: string, opts: { seed?: number; set?: readonly string[] }): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError([{ file, path: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  let mod: { default?: unknown };
  resolveOwnScenarioModule();
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (e) {
    throw new InputError([codeLoadIssue(file, e, text)]);
  }
  if (mod.default === undefined) {
    throw new InputError([{ file, line: 1, column: 1, path: '', message: 'no default export: write `export default defineScenario({...})`' }]);
  }
  return normalizeScenario(mod.default, new TextLocator(file, text), opts);
}

/** Turn a syntax or import error from Node into file:line:column in the user's file (never ours). */
export function codeLoadIssue(file: string, e: unknown, text = ''): InputIssue {
  const err = e as Error & { code?: string };
  const stack = `${err.stack ?? err.message}`;
  const abs = resolve(file);
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let line: number | undefined;
  let column: number | undefined;
  // Only positions in the user's file count: Node's own frames (node:internal/...) are not theirs.
  for (const where of [pathToFileURL(abs).href, abs]) {
    const m = new RegExp(`${esc(where)}:(\\d+)(?::(\\d+))?`).exec(stack);
    if (m) {
      line = Number(m[1]);
      column = m[2] ? Number(m[2]) : undefined;
      break;
    }
  }
  let message = `cannot load: ${err.message.split('\n')[0]}`;
  const missing = /Cannot find (?:package|module) '([^']+)'/.exec(err.message);
  if (missing) {
    // Point at the import that names it.
    const spec = missing[1]!.replace(/^.*\/node_modules\//, '');
    const at = new RegExp(`['"]${esc(spec)}(?:/[^'"]*)?['"]`).exec(text)?.index;
    if (at !== undefined) {
      const before = text.slice(0, at);
      line = before.split('\n').length;
      column = at - before.lastIndexOf('\n');
    }
    message = `cannot load: cannot find module '${spec}' (imported from ${file})`;
  }
  return { file, ...(line ? { line } : {}), ...(column ? { column } : {}), path: '', message };
}

/**
 * `import { defineScenario } from 'gauntlet/scenario'` works from a scenario anywhere on disk, not
 * only inside a project that installed gauntlet: the specifier resolves to this gauntlet's own
 * define module (a resolve hook, registered once, for that one specifier).
 */
let hooked = false;
function resolveOwnScenarioModule(): void {
  if (hooked) return;
  hooked = true;
  const own = new URL(import.meta.url.endsWith('.ts') ? './define.ts' : './define.js', import.meta.url).href;
  const mod = module as unknown as { registerHooks?: (h: { resolve: (s: string, c: unknown, next: (s: string, c: unknown) => unknown) => unknown }) => void };
  mod.registerHooks?.({
    resolve: (specifier, context, next) => (specifier === 'gauntlet/scenario' ? { url: own, shortCircuit: true } : next(specifier, context)),
  });
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
