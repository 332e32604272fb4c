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
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', '.pack', '.vitest', '.turbo', 'build']);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const KEBAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]*)['"]/gm;
const ALLOWED_EXTENSION = /\.(js|json|mjs|cjs)$/;

function projects(root) {
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

function checkProject(dir, report) {
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
    // AssemblyScript (a package's assembly/ folder) resolves `./x` to x.ts and rejects `./x.js`.
    const assemblyScript = inProject.startsWith('assembly/');
    for (const match of assemblyScript ? [] : text.matchAll(IMPORT)) {
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

/** Every convention problem under `root`, as `path: rule: detail` lines. */
export function checkRepository(root) {
  const problems = [];
  const report = (file, rule, detail) =>
    problems.push(`${relative(root, file)}: ${rule}: ${detail}`);
  for (const dir of projects(root)) checkProject(dir, report);
  return problems;
}

/** Proves the check can fail: a scratch repository breaking each rule once must be reported. */
function selfTest() {
  const scratch = mkdtempSync(join(tmpdir(), 'check-conventions-'));
  const files = {
    'packages/good/package.json': '{"name":"good"}',
    'packages/good/src/index.ts': "export { a } from './a-file.js';\n",
    'packages/good/src/a-file.ts': 'export const a = 1;\n',
    'packages/good/test/a-file.test.ts': "import { a } from '../src/a-file.js';\n",
    'packages/good/vitest.config.ts': "export { default } from '../../vitest.shared.ts';\n",
    'packages/bad/package.json': '{"name":"bad","dependencies":{"@sparsify/internal-random":"*"}}',
    'packages/bad/src/index.ts': "export * from './dataLoader.js';\n",
    'packages/bad/src/dataLoader.ts': "import { b } from './other';\nexport const c = b;\n",
    'packages/bad/src/other.ts': 'export const b = 1;\n',
    'packages/bad/src/other.test.ts': '',
    'packages/bad/src/Snake_Folder/x.ts': '',
    'apps/none/package.json': '{"name":"none"}',
    'examples/none/package.json': '{"name":"none"}',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  const found = checkRepository(scratch);
  rmSync(scratch, { recursive: true, force: true });
  const expected = [
    'packages/bad/package.json: internal package',
    'packages/bad/src/Snake_Folder: kebab-case',
    'packages/bad/src/dataLoader.ts: kebab-case',
    "packages/bad/src/dataLoader.ts: .js imports: './other'",
    'packages/bad/src/index.ts: curated exports',
    'packages/bad/src/other.test.ts: tests in test/',
  ];
  const missing = expected.filter((start) => !found.some((line) => line.startsWith(start)));
  const extra = found.filter((line) => !expected.some((start) => line.startsWith(start)));
  if (missing.length > 0 || extra.length > 0) {
    console.error(`check-conventions self-test failed\nmissing: ${missing}\nunexpected: ${extra}`);
    process.exit(1);
  }
}

selfTest();
const problems = checkRepository(fileURLToPath(new URL('..', import.meta.url)));
if (problems.length > 0) {
  console.error(`check-conventions: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(
  'check-conventions: kebab-case names, .js imports, tests in test/, named exports (self-test passed): ok',
);
