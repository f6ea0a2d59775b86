/** Gauntlet's own version, read once from package.json. */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function toolVersion(): string {
  if (cached) return cached;
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      cached = (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
      return cached;
    } catch {
      // try the next layout (source vs dist)
    }
  }
  return (cached = '0.0.0');
}
