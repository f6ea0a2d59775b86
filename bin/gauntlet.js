#!/usr/bin/env node
// Entry for `gauntlet` and `kubectl gauntlet` (kubectl finds kubectl-gauntlet on PATH).
// Runs the ahead-of-time build; `npm run build` makes it.
import '../dist/cli/main.js';
