/**
 * Bundles the CLI's two many-file dependencies, zod (~95 modules) and yaml (~70), into one file
 * each under dist/vendor/, with a manifest of the versions bundled. bin/gauntlet.js resolves `zod`
 * and `yaml` to these files when the manifest matches what node_modules holds, else to
 * node_modules as usual. Part of the build (`npm run build`); see docs/adr/0007-vendored-zod-and-yaml.md.
 *
 *   node scripts/vendor.ts [outDir=dist/vendor]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { rolldown } from 'rolldown';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, process.argv[2] ?? 'dist/vendor');
const require = createRequire(join(root, 'package.json'));

/** The package's version as installed (its package.json, found from its resolved entry). */
function installedVersion(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (pkg.name === name) return pkg.version;
    } catch {
      // not this directory
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${name}'s package.json`);
    dir = up;
  }
}

/**
 * One module re-exporting the package as Node's own import of it would: zod is ESM (`export *`);
 * yaml is CommonJS for Node, so its named exports are listed from the loaded module, as Node's
 * CommonJS interop lists them.
 */
const entries: Record<string, string> = {
  zod: "export * from 'zod';\nexport { default } from 'zod';\n",
  yaml: `import yaml from 'yaml';\nexport default yaml;\nexport const { ${Object.keys(require('yaml') as object).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k)).join(', ')} } = yaml;\n`,
};

mkdirSync(out, { recursive: true });
const versions: Record<string, string> = {};
for (const [name, source] of Object.entries(entries)) {
  const id = `\0gauntlet-vendor:${name}`;
  const bundle = await rolldown({
    input: id,
    platform: 'node',
    logLevel: 'warn',
    plugins: [{ name: 'entry', resolveId: (s) => (s === id ? id : null), load: (i) => (i === id ? source : null) }],
  });
  await bundle.write({ file: join(out, `${name}.js`), format: 'esm', codeSplitting: false, comments: { legal: true } });
  await bundle.close();
  versions[name] = installedVersion(name);
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ versions }, null, 2)}\n`);
console.log(`vendored ${Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(', ')} into ${out}`);
