#!/usr/bin/env node
// Entry for `gauntlet` and `kubectl gauntlet` (kubectl finds kubectl-gauntlet on PATH).
// Runs the ahead-of-time build (`npm run build`), with V8's on-disk compile cache so a cold
// start does not re-parse the CLI's modules every time.
//
// This file is plain JavaScript any Node can parse: it checks the Node version before importing
// the build, whose syntax and APIs (TypeScript scenarios are loaded by type stripping) need
// Node >= 22.18.
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
await import('../dist/cli/main.js');
