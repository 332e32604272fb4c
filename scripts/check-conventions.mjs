#!/usr/bin/env node
/**
 * The repository's conventions (issue 26), checked on every workspace project so they hold
 * without anyone remembering them. Run by `pnpm lint`; exits 1 and names each file and rule.
 *
 *   1. file and folder names are kebab-case (`data-loader.ts`, not `dataLoader.ts`);
 *   2. relative imports end in `.js` (or name a .json/.mjs/.cjs file);
 *   3. tests live in `<project>/test/`, not beside the sources;
 *   4. `src/index.ts` lists its exports by name (no `export *`);
 *   5. the private @sparsify/internal-random is only ever a devDependency (tsup bundles it,
 *      so no published package depends on it).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// TEMPORARY (issue 26): these two packages are converted to the conventions on other
// branches of the same session. The lead deletes this allowlist when merging them.
const TEMPORARY_ALLOWLIST = ['packages/avqa-datasets', 'packages/tfjs-fast-kernels'];

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.pack', '.vitest', '.turbo', 'build']);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;
const ALLOWED_EXTENSION = /\.(js|json|mjs|cjs)$/;

const problems = [];
const report = (file, rule, detail) => problems.push(`${relative(root, file)}: ${rule}: ${detail}`);

function projects() {
  const found = [];
  for (const group of ['packages', 'apps', 'examples']) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const dir = join(root, group, name);
      if (statSync(dir).isDirectory()) found.push(dir);
    }
  }
  return found;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED_FOLDERS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield { path, folder: true, name: entry.name };
      yield* walk(path);
    } else {
      yield { path, folder: false, name: entry.name };
    }
  }
}

/** `data-loader.test.ts` -> `data-loader`: the part before the first dot must be kebab-case. */
function stem(name) {
  return name.split('.')[0];
}

function checkProject(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    if (manifest[field]?.['@sparsify/internal-random'] !== undefined) {
      report(
        join(dir, 'package.json'),
        'internal package',
        `@sparsify/internal-random must be a devDependency, not in ${field}`,
      );
    }
  }
  if (TEMPORARY_ALLOWLIST.includes(relative(root, dir))) return;
  for (const entry of walk(dir)) {
    if (entry.folder) {
      if (!KEBAB.test(entry.name)) report(entry.path, 'kebab-case', 'folder name');
      continue;
    }
    if (!SOURCE_FILE.test(entry.name)) continue;
    if (!KEBAB.test(stem(entry.name))) report(entry.path, 'kebab-case', 'file name');
    const inProject = relative(dir, entry.path);
    if (/\.test\.[cm]?[jt]sx?$/.test(entry.name) && !inProject.startsWith(`test/`)) {
      report(entry.path, 'tests in test/', 'move the test to the project test/ folder');
    }
    const text = readFileSync(entry.path, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1];
      if (ALLOWED_EXTENSION.test(specifier)) continue;
      // A root config (vitest.config.ts) may re-export the shared TypeScript config by path.
      if (!inProject.includes('/') && specifier.endsWith('.ts')) continue;
      report(entry.path, '.js imports', `'${specifier}' must end in .js`);
    }
    if (inProject === join('src', 'index.ts') && /^\s*export\s+\*/m.test(text)) {
      report(entry.path, 'curated exports', 'list the exports by name instead of `export *`');
    }
  }
}

for (const dir of projects()) checkProject(dir);
if (problems.length > 0) {
  console.error(`check-conventions: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('check-conventions: kebab-case names, .js imports, tests in test/, named exports: ok');
