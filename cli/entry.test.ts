/**
 * bin/gauntlet.js, the installed entry: it loads zod and yaml from the build's bundles
 * (scripts/vendor.ts) when they are of the versions node_modules holds, and from node_modules
 * otherwise. Run on a copy of the entry over a stand-in build and stand-in packages.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function layout(vendored: Record<string, string>, installed: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'gauntlet-entry-'));
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  mkdirSync(join(root, 'bin'));
  copyFileSync('bin/gauntlet.js', join(root, 'bin/gauntlet.js'));
  // The "CLI": says where each package came from, imported from inside the build and from outside it.
  put('dist/cli/main.js', "import { from as z } from 'zod';\nimport { from as y } from 'yaml';\nimport { outside } from '../../outside.js';\nconsole.log(JSON.stringify({ zod: z, yaml: y, outside }));\n");
  put('outside.js', "export { from as outside } from 'zod';\n");
  for (const [name, version] of Object.entries(installed)) {
    put(`node_modules/${name}/package.json`, JSON.stringify({ name, version, type: 'module', exports: './index.js' }));
    put(`node_modules/${name}/index.js`, "export const from = 'node_modules';\n");
  }
  for (const name of Object.keys(vendored)) put(`dist/vendor/${name}.js`, "export const from = 'vendor';\n");
  if (Object.keys(vendored).length) put('dist/vendor/manifest.json', JSON.stringify({ versions: vendored }));
  return root;
}

const run = (root: string) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/gauntlet.js')], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { zod: string; yaml: string; outside: string };
};

describe('bin/gauntlet.js and the vendored zod and yaml', () => {
  it('imports from the build get the bundles when their versions are installed; others get node_modules', () => {
    const root = layout({ zod: '4.0.0', yaml: '2.0.0' }, { zod: '4.0.0', yaml: '2.0.0' });
    expect(run(root)).toEqual({ zod: 'vendor', yaml: 'vendor', outside: 'node_modules' });
  });

  it('a bundle of another version than the installed one (npm ci after a build): node_modules for all', () => {
    const root = layout({ zod: '4.0.0', yaml: '2.0.0' }, { zod: '4.0.1', yaml: '2.0.0' });
    expect(run(root)).toEqual({ zod: 'node_modules', yaml: 'node_modules', outside: 'node_modules' });
  });

  it('a build without bundles (tsc alone): node_modules', () => {
    const root = layout({}, { zod: '4.0.0', yaml: '2.0.0' });
    expect(run(root)).toEqual({ zod: 'node_modules', yaml: 'node_modules', outside: 'node_modules' });
  });
});
