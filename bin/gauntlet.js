#!/usr/bin/env node
// Entry for `gauntlet` and `kubectl gauntlet` (kubectl finds kubectl-gauntlet on PATH).
// Runs the ahead-of-time build (`npm run build`), with V8's on-disk compile cache so a cold
// start does not re-parse the CLI's modules every time.
import module from 'node:module';

module.enableCompileCache?.();
await import('../dist/cli/main.js');
