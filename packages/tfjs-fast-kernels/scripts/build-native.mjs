#!/usr/bin/env node
// Builds the optional BLAS addon (native/*.c: the products, the fused kernels, their threads) against the system CBLAS (OpenBLAS
// preferred). Explicit on purpose: installs never compile or download anything, and the
// package works without the addon (the wasm path is used). Needs a C compiler and e.g.
// libopenblas-dev.
//
//   sparsify-fast-kernels build-native [--out DIR] [--if-available]
//       builds into DIR, by default the user cache (outside node_modules, so a reinstall
//       keeps it): $SPARSIFY_NATIVE_DIR, else $XDG_CACHE_HOME or ~/.cache, under
//       sparsify-ts/tfjs-fast-kernels/<abi>-<platform>-<arch>. The loader looks there.
//   sparsify-fast-kernels where
//       prints that default directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Same directory as nativeCacheDir in src/native-blas.ts (test/native-cache.test.ts checks it).
const nativeAddonAbi = 'v3';
function nativeCacheDir(env) {
  if (env.SPARSIFY_NATIVE_DIR) return resolve(env.SPARSIFY_NATIVE_DIR);
  const cacheHome = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(
    cacheHome,
    'sparsify-ts',
    'tfjs-fast-kernels',
    `${nativeAddonAbi}-${process.platform}-${process.arch}`,
  );
}

const usage = 'usage: sparsify-fast-kernels build-native [--out DIR] [--if-available] | where';
const args = process.argv.slice(2);
// No command means build-native: the monorepo's `pnpm build:native` calls this file directly.
const command = args[0] != null && !args[0].startsWith('-') ? args.shift() : 'build-native';
if (command === 'where') {
  console.log(nativeCacheDir(process.env));
  process.exit(0);
}
if (command !== 'build-native') {
  console.error(`sparsify-fast-kernels: unknown command '${command}'\n${usage}`);
  process.exit(2);
}
let outDir = nativeCacheDir(process.env);
// --if-available: a machine without a C compiler or a BLAS is normal; say so and succeed.
let failureExitCode = 1;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--if-available') failureExitCode = 0;
  else if (args[i] === '--out' && args[i + 1] != null) outDir = resolve(args[++i]);
  else {
    console.error(`sparsify-fast-kernels: unknown option '${args[i]}'\n${usage}`);
    process.exit(2);
  }
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The addon's sources (headers beside them); blas-matmul.c holds the module's init.
const sources = ['blas-matmul.c', 'fused-kernels.c', 'attention-core.c', 'thread-pool.c'].map(
  (file) => join(packageRoot, 'native', file),
);
const output = join(outDir, 'blas_matmul.node');
// Compiled beside the output and renamed, so a loader never sees a half-written addon.
const partial = `${output}.${process.pid}.tmp`;
const nodeHeaders = resolve(dirname(process.execPath), '..', 'include', 'node');
const compiler = process.env.CC ?? 'cc';

if (!existsSync(join(nodeHeaders, 'node_api.h'))) {
  console.error(`build-native: node_api.h not found in ${nodeHeaders}; install Node's headers.`);
  process.exit(failureExitCode);
}
mkdirSync(outDir, { recursive: true });

// Each candidate: extra defines and the libraries that provide cblas_sgemm.
const candidates = [
  { name: 'OpenBLAS', flags: ['-DHAVE_OPENBLAS'], libs: ['-lopenblas'] },
  { name: 'CBLAS', flags: [], libs: ['-lcblas'] },
  { name: 'BLAS', flags: [], libs: ['-lblas'] },
];
const failures = [];
for (const candidate of candidates) {
  const compileArgs = [
    '-O2',
    '-shared',
    '-fPIC',
    '-pthread',
    '-Wall',
    '-Wno-psabi',
    '-DNODE_GYP_MODULE_NAME=blas_matmul',
    `-I${nodeHeaders}`,
    '-I/usr/include/openblas',
    ...candidate.flags,
    ...sources,
    ...candidate.libs,
    '-lm',
    '-o',
    partial,
  ];
  try {
    execFileSync(compiler, compileArgs, { stdio: 'pipe' });
    renameSync(partial, output);
    console.log(`build-native: built ${output} with ${candidate.name}`);
    process.exit(0);
  } catch (error) {
    rmSync(partial, { force: true });
    failures.push(`${candidate.name}: ${String(error.stderr ?? error.message).split('\n')[0]}`);
  }
}
console.error(`build-native: no CBLAS found (tried ${failures.join('; ')}).`);
console.error('Install one (e.g. apt-get install libopenblas-dev); the package works without it.');
process.exit(failureExitCode);
