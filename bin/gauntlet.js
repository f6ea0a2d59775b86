#!/usr/bin/env node
// Entry for `gauntlet` and `kubectl gauntlet` (kubectl finds kubectl-gauntlet on PATH).
// Runs the ahead-of-time build (`npm run build`), with V8's on-disk compile cache so a cold
// start does not re-parse the CLI's modules every time.
//
// This file is plain JavaScript any Node can parse: it checks the Node version before importing
// the build, whose syntax and APIs (TypeScript scenarios are loaded by type stripping) need
// Node >= 22.18.
import { readFileSync } from 'node:fs';
import module from 'node:module';
import process from 'node:process';

const NEED = [22, 18];
const have = process.versions.node.split('.').map(Number);
if (have[0] < NEED[0] || (have[0] === NEED[0] && have[1] < NEED[1])) {
  process.stderr.write(
    `error: gauntlet needs Node >= ${NEED.join('.')}; this is Node ${process.versions.node} (${process.execPath}).\n` +
      'hint: in a checkout, `npm start` or `npx gauntlet ...` run it with the project\'s own Node 24\n' +
      '      (node_modules/.bin/node, installed by `npm install`); otherwise install Node 22.18+ or 24.\n',
  );
  process.exit(2);
}

module.enableCompileCache?.();
vendored();
await import('../dist/cli/main.js');

/**
 * zod and yaml, bundled by the build into one file each (scripts/vendor.ts), instead of the ~170
 * files node_modules holds: loading them one by one costs ~40 ms of every start. Only for imports
 * from the build itself, and only when the bundles are of the versions node_modules holds now.
 */
function vendored() {
  if (!module.registerHooks) return;
  const dir = new URL('../dist/vendor/', import.meta.url);
  let versions;
  try {
    versions = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')).versions;
    for (const [name, version] of Object.entries(versions)) {
      const pkg = JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8'));
      if (pkg.version !== version) return;
    }
  } catch {
    return; // no bundles (a build without them), or no such package: node_modules as usual
  }
  const build = new URL('../dist/', import.meta.url).href;
  module.registerHooks({
    resolve(specifier, context, next) {
      if (Object.hasOwn(versions, specifier) && context.parentURL?.startsWith(build)) {
        return { url: new URL(`${specifier}.js`, dir).href, format: 'module', shortCircuit: true };
      }
      return next(specifier, context);
    },
  });
}
