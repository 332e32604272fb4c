import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { disableFastKernels, enableFastKernels, nativeCacheDir } from '../src/index.js';
import { loadNativeBlas, nativeAddonCandidates, packageAddonPath } from '../src/native-blas.js';
import { maxAbsDiff, seededValues, tf, valuesOn } from './backends.js';
import { requireNative } from './engines.js';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildScript = join(packageRoot, 'scripts', 'build-native.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'fast-kernels-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment of a child process: this one's, minus the variables the test sets. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.SPARSIFY_NATIVE_DIR;
  delete env.XDG_CACHE_HOME;
  return { ...env, ...extra };
}

function scriptWhere(env: NodeJS.ProcessEnv): string {
  return execFileSync(process.execPath, [buildScript, 'where'], { env, encoding: 'utf8' }).trim();
}

describe('the native addon cache', () => {
  it('lies outside node_modules, and the build script and the loader agree on it', () => {
    const platform = `v3-${process.platform}-${process.arch}`;
    const cases: Array<[Record<string, string>, string]> = [
      [
        { HOME: homedir() },
        join(homedir(), '.cache', 'sparsify-ts', 'tfjs-fast-kernels', platform),
      ],
      [
        { XDG_CACHE_HOME: '/x/cache' },
        join('/x/cache', 'sparsify-ts', 'tfjs-fast-kernels', platform),
      ],
      [{ XDG_CACHE_HOME: '/x/cache', SPARSIFY_NATIVE_DIR: '/y/addon' }, '/y/addon'],
    ];
    for (const [extra, expected] of cases) {
      const env = childEnv(extra);
      expect(nativeCacheDir(env)).toBe(expected);
      expect(scriptWhere(env)).toBe(expected);
      expect(expected).not.toMatch(/node_modules/);
    }
  });

  it('is searched after the package build, or alone when SPARSIFY_NATIVE_DIR names it', () => {
    const cached = join(nativeCacheDir(childEnv({})), 'blas_matmul.node');
    expect(nativeAddonCandidates(childEnv({}))).toEqual([packageAddonPath, cached]);
    // Alone: an empty SPARSIFY_NATIVE_DIR must keep a run on the wasm path even where the
    // package's native/build holds an addon (accuracy runs rely on it).
    expect(nativeAddonCandidates(childEnv({ SPARSIFY_NATIVE_DIR: '/y/addon' }))).toEqual([
      '/y/addon/blas_matmul.node',
    ]);
  });

  it('loads nothing from an empty SPARSIFY_NATIVE_DIR, whatever native/build holds', () => {
    const empty = join(scratch, 'empty-override');
    execFileSync('mkdir', ['-p', empty]);
    const load = loadNativeBlas(undefined, childEnv({ SPARSIFY_NATIVE_DIR: empty }));
    expect(load.loaded).toBe(false);
    expect(load.reason).toContain(join(empty, 'blas_matmul.node'));
    expect(load.reason).not.toContain(packageAddonPath);
  });

  it('names every place it looked and the npx command when no addon is built', () => {
    const empty = join(scratch, 'empty');
    // The loader's own list, with the package build (which may exist here) swapped for a
    // path that does not, so the message is checked whether or not native/build exists.
    const candidates = nativeAddonCandidates(childEnv({ XDG_CACHE_HOME: empty })).map(
      (candidate) =>
        candidate === packageAddonPath ? join(scratch, 'no-package-build', 'x.node') : candidate,
    );
    const load = loadNativeBlas(candidates);
    expect(load.loaded).toBe(false);
    expect(load.reason).toContain(join(scratch, 'no-package-build', 'x.node'));
    expect(load.reason).toContain(
      join(nativeCacheDir(childEnv({ XDG_CACHE_HOME: empty })), 'blas_matmul.node'),
    );
    expect(load.reason).toContain('npx sparsify-fast-kernels build-native');
    expect(load.reason).not.toMatch(/pnpm/);
  });

  it('reports a file in the cache that is not an addon, with its path', () => {
    const dir = join(scratch, 'corrupt');
    execFileSync('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'blas_matmul.node'), 'not an ELF file');
    const load = loadNativeBlas(undefined, childEnv({ SPARSIFY_NATIVE_DIR: dir }));
    expect(load).toMatchObject({ loaded: false, path: join(dir, 'blas_matmul.node') });
    expect(load.reason).toMatch(/failed to load/);
  });
});

// The real addon source, built into a cache directory the loader is pointed at. A system
// CBLAS is often absent (as on the machine these tests were written on), so the test links it
// against a textbook sgemm in test/fixtures; the addon's own code is the shipped one.
const nodeHeaders = resolve(dirname(process.execPath), '..', 'include', 'node');
const compiler = process.env.CC ?? 'cc';
const hasCompiler = spawnSync(compiler, ['--version']).status === 0;
const hasHeaders = existsSync(join(nodeHeaders, 'node_api.h'));
const skipBuild = !hasCompiler
  ? ` — SKIPPED: no C compiler ('${compiler}')`
  : !hasHeaders
    ? ` — SKIPPED: node_api.h not in ${nodeHeaders}`
    : '';

describe(`an addon built into the cache${skipBuild}`, () => {
  const cacheDir = join(scratch, 'cache');
  const fixtures = join(packageRoot, 'test', 'fixtures', 'reference-cblas');
  const saved = process.env.SPARSIFY_NATIVE_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.SPARSIFY_NATIVE_DIR;
    else process.env.SPARSIFY_NATIVE_DIR = saved;
    disableFastKernels();
  });

  it.skipIf(skipBuild !== '')('is found there and runs the matmuls', async () => {
    execFileSync('mkdir', ['-p', cacheDir]);
    execFileSync(compiler, [
      '-O2',
      '-shared',
      '-fPIC',
      '-pthread',
      '-Wno-psabi',
      '-DNODE_GYP_MODULE_NAME=blas_matmul',
      `-I${nodeHeaders}`,
      `-I${fixtures}`,
      ...['blas-matmul.c', 'fused-kernels.c', 'attention-core.c', 'thread-pool.c'].map((file) =>
        join(packageRoot, 'native', file),
      ),
      join(fixtures, 'reference-sgemm.c'),
      '-lm',
      '-o',
      join(cacheDir, 'blas_matmul.node'),
    ]);
    process.env.SPARSIFY_NATIVE_DIR = cacheDir;
    const report = await enableFastKernels({ native: 'require' });
    expect(report.native).toMatchObject({
      loaded: true,
      path: join(cacheDir, 'blas_matmul.node'),
    });
    expect(report.matmulEngine).toBe('native-blas');

    const a = seededValues(3 * 5 * 7, 1);
    const b = seededValues(7 * 4, 2);
    const product = () =>
      tf.matMul(tf.tensor3d(a, [3, 5, 7]), tf.tensor3d(b, [1, 4, 7]), false, true);
    const expected = await valuesOn('cpu', () =>
      tf.matMul(
        tf.tensor3d(a, [3, 5, 7]),
        tf.tile(tf.tensor3d(b, [1, 4, 7]), [3, 1, 1]),
        false,
        true,
      ),
    );
    expect(maxAbsDiff(await valuesOn('wasm', product), expected)).toBeLessThan(1e-5);
  });

  it('is written by `sparsify-fast-kernels build-native`, or the script says no CBLAS and leaves nothing', () => {
    const out = join(scratch, 'script-build');
    const run = spawnSync(process.execPath, [buildScript, 'build-native'], {
      env: childEnv({ SPARSIFY_NATIVE_DIR: out }),
      encoding: 'utf8',
    });
    if (run.status !== 0 && !requireNative) {
      // No CBLAS here: the script must say so and leave nothing half-written behind.
      expect(run.stderr).toMatch(/no CBLAS found/);
      expect(existsSync(join(out, 'blas_matmul.node'))).toBe(false);
      return;
    }
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(join(out, 'blas_matmul.node'));
    expect(loadNativeBlas(undefined, childEnv({ SPARSIFY_NATIVE_DIR: out })).loaded).toBe(true);
  });
});
