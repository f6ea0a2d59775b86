/** TypeScript scenarios written anywhere on disk (outside this checkout): errors point into them. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

const dir = mkdtempSync(join(tmpdir(), 'gauntlet-user-scenario-'));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const body = `export default defineScenario({
  name: 'outside',
  duration: '10s',
  checks: [{ kind: 'http-probe', url: 'http://127.0.0.1:18080/' }],
  gates: [{ metric: 'error_rate', max: 0.01 }],
});
`;

// Through the CLI on plain Node, as a user runs it (vitest's own module loader would stand in
// for Node's and hide what Node reports).
const validate = (file: string) => {
  const r = spawnSync(process.execPath, ['cli/main.ts', 'validate', file, '-o', 'json'], { encoding: 'utf8' });
  return { code: r.status, doc: JSON.parse(r.stdout) as { valid: boolean; name?: string; issues: Array<{ file: string; line?: number; column?: number; message: string }> } };
};

describe('a TypeScript scenario outside the checkout', () => {
  it("imports defineScenario from 'gauntlet/scenario' without installing gauntlet there", () => {
    const r = validate(write('ok.ts', `import { defineScenario } from 'gauntlet/scenario';\n\n${body}`));
    expect(r.doc).toMatchObject({ valid: true, name: 'outside' });
    expect(r.code).toBe(0);
  });

  it.each([
    ['a missing import: at the import', `import { defineScenario } from 'gauntlet/nope';\n${body}`, 1, 32, /cannot find module 'gauntlet'/],
    ['a runtime error: at its line in the user\'s file', `import { defineScenario } from 'gauntlet/scenario';\nconst x = missingThing.value;\n${body}`, 2, 11, /missingThing is not defined/],
  ])('%s', (_what, text, line, column, message) => {
    const f = write(`bad-${line}.ts`, text);
    const r = validate(f);
    expect(r.code).toBe(2);
    expect(r.doc.issues[0]).toMatchObject({ file: f, line, column });
    expect(r.doc.issues[0]!.message).toMatch(message);
  });
});
