import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installApp, packAll, withoutPackageManagerConfig } from './packed-app.js';
import { asCommonJs, firstTypeScriptBlock } from './readme-example.js';
import { publishablePackages, repoRoot } from './workspace.js';

// README examples that fail as written, each with why. `it.fails` keeps the list honest: an
// example that starts working fails its test until it is taken off the list.
const knownFailing: Record<string, string> = {};

// README examples that are type-checked but not run here, each with why.
const notRun: Record<string, string> = {};

// Files a README example reads that a user has and a clone does not: linked into the
// example's folder when this machine has them (../shared/data, as the data tests use).
const exampleData: Record<string, { link: string; target: string }> = {
  '@sparsify/avqa-datasets': {
    link: 'MUSIC-AVQA/data/json_update',
    target: join(repoRoot, '..', 'shared', 'data', 'music-avqa', 'v1', 'json_update'),
  },
};

const packages = publishablePackages();
const work = mkdtempSync(join(tmpdir(), 'packed-examples-'));
const appDir = join(work, 'app');
const exampleDir = (short: string) => join(appDir, 'examples', short);
const builtDir = (short: string) => join(appDir, 'dist', short);
/** tsc's diagnostics, by example folder. */
const diagnostics = new Map<string, string[]>();
const examples = new Map<string, string | null>();

beforeAll(() => {
  const tarballs = packAll(packages, join(work, 'tarballs'));
  installApp(appDir, tarballs);
  for (const pkg of packages) {
    const example = firstTypeScriptBlock(join(pkg.dir, 'README.md'));
    examples.set(pkg.name, example);
    if (example == null) continue;
    mkdirSync(exampleDir(pkg.short), { recursive: true });
    writeFileSync(join(exampleDir(pkg.short), 'esm.mts'), example);
    writeFileSync(join(exampleDir(pkg.short), 'cjs.cts'), asCommonJs(example));
    diagnostics.set(pkg.short, []);
  }
  // What a user starting a Node project would write: strict, Node's own module resolution.
  const tsconfig = {
    compilerOptions: {
      strict: true,
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: ['node'],
      skipLibCheck: true,
      rootDir: 'examples',
      outDir: 'dist',
    },
    include: ['examples'],
  };
  writeFileSync(join(appDir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
  // One tsc run for every example (it emits even with errors; each test reads its own).
  const tsc = spawnSync(
    join(appDir, 'node_modules', '.bin', 'tsc'),
    ['-p', '.', '--pretty', 'false'],
    {
      cwd: appDir,
      encoding: 'utf8',
    },
  );
  for (const line of tsc.stdout.split('\n')) {
    const short = /^examples\/([^/]+)\//.exec(line)?.[1];
    if (short != null) diagnostics.get(short)?.push(line);
    else if (line.trim() !== '' && !/^\s/.test(line)) {
      diagnostics.set('(tsc)', [...(diagnostics.get('(tsc)') ?? []), line]);
    }
  }
  for (const [pkgName, data] of Object.entries(exampleData)) {
    const pkg = packages.find((p) => p.name === pkgName);
    if (pkg == null || !existsSync(data.target)) continue;
    const link = join(builtDir(pkg.short), data.link);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(data.target, link);
  }
}, 600_000);

afterAll(() => {
  if (process.env.SPARSIFY_KEEP_PACKED_APP) console.log(`packed app kept in ${appDir}`);
  else rmSync(work, { recursive: true, force: true });
});

function runExample(short: string, file: string): void {
  const cwd = builtDir(short);
  // Each run leaves the folder as it found it, so the CommonJS run does not meet the ESM
  // run's outputs (a run folder the trainer would rightly refuse to overwrite).
  const before = new Set(readdirSync(cwd));
  const run = spawnSync(process.execPath, [file], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
    env: withoutPackageManagerConfig(process.env),
  });
  for (const entry of readdirSync(cwd)) {
    if (!before.has(entry)) rmSync(join(cwd, entry), { recursive: true, force: true });
  }
  const output = `${run.stdout}\n${run.stderr}`.trim().split('\n').slice(-15).join('\n');
  expect(run.error, output).toBeUndefined();
  expect(run.status, `node ${file} exited ${run.status}:\n${output}`).toBe(0);
}

it('packs every publishable package and installs the tarballs with npm', () => {
  expect(packages.map((p) => p.name).sort()).toEqual([
    '@sparsify/amuse-encoder',
    '@sparsify/avqa-datasets',
    '@sparsify/iqr-token-merge',
    '@sparsify/key-subset-selection',
    '@sparsify/sparse-masking',
    '@sparsify/tfjs-fast-kernels',
    '@sparsify/trainer',
  ]);
  for (const pkg of packages) {
    const installed = join(appDir, 'node_modules', ...pkg.name.split('/'));
    expect(existsSync(join(installed, 'LICENSE')), `${pkg.name} ships no LICENSE`).toBe(true);
    const testFiles = readdirSync(installed, { recursive: true, encoding: 'utf8' }).filter((file) =>
      /\.(test|testing)\.ts$/.test(file),
    );
    expect(testFiles, `${pkg.name} ships test files`).toEqual([]);
    // The workspace's "source" condition points into src/, which imports the private
    // @sparsify/internal-random: a published manifest must resolve only to dist/.
    const manifest = readFileSync(join(installed, 'package.json'), 'utf8');
    expect(manifest, `${pkg.name} publishes the "source" export condition`).not.toMatch(
      /"source"\s*:/,
    );
    const { dependencies = {}, peerDependencies = {} } = JSON.parse(manifest) as {
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    expect(
      Object.keys({ ...dependencies, ...peerDependencies }),
      `${pkg.name} needs the private internal-random at run time`,
    ).not.toContain('@sparsify/internal-random');
  }
  expect(diagnostics.get('(tsc)') ?? []).toEqual([]);
});

describe.each(packages)('$name README example', (pkg) => {
  const failing = knownFailing[pkg.name];
  const skipRun = notRun[pkg.name];
  const data = exampleData[pkg.name];
  const missingData = data != null && !existsSync(data.target) ? data.target : null;

  it('exists (a ```ts block)', () => {
    expect(examples.get(pkg.name), `${pkg.dir}/README.md has no \`\`\`ts block`).toBeTruthy();
  });

  (failing != null ? it.fails : it)(
    `type-checks under tsc --strict, as ESM and as CommonJS${failing != null ? ` (known failing: ${failing})` : ''}`,
    () => {
      expect(diagnostics.get(pkg.short)).toEqual([]);
    },
  );

  for (const [kind, file] of [
    ['ESM', 'esm.mjs'],
    ['CommonJS', 'cjs.cjs'],
  ] as const) {
    const title = `runs as ${kind}`;
    if (skipRun != null) it.skip(`${title} — SKIPPED: not run: ${skipRun}`, () => {});
    else if (missingData != null) {
      it.skip(`${title} — SKIPPED: it reads the MUSIC-AVQA annotations, not at ${missingData}`, () => {});
    } else if (failing != null)
      it.fails(`${title} (known failing: ${failing})`, () => runExample(pkg.short, file), 300_000);
    else it(title, () => runExample(pkg.short, file), 300_000);
  }
});

describe('command-line tools of the installed packages', () => {
  const bin = (name: string) => join(appDir, 'node_modules', '.bin', name);

  it('`sparsify --help` lists the commands', () => {
    const help = execFileSync(bin('sparsify'), ['--help'], { cwd: appDir, encoding: 'utf8' });
    expect(help).toMatch(/demo/);
    expect(help).toMatch(/train/);
  });

  it('`sparsify-fast-kernels where` names a cache outside node_modules', () => {
    const cacheHome = join(work, 'xdg-cache');
    const where = execFileSync(bin('sparsify-fast-kernels'), ['where'], {
      cwd: appDir,
      encoding: 'utf8',
      // The test is about the default cache, which SPARSIFY_NATIVE_DIR (when set) replaces.
      env: {
        ...withoutPackageManagerConfig(process.env),
        XDG_CACHE_HOME: cacheHome,
        SPARSIFY_NATIVE_DIR: undefined,
      },
    }).trim();
    expect(where.startsWith(join(cacheHome, 'sparsify-ts', 'tfjs-fast-kernels'))).toBe(true);
  });
});
