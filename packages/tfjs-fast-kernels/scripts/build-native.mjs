// Builds native/build/blas_matmul.node against the system CBLAS (OpenBLAS preferred).
// Explicit on purpose: installs never compile or download anything, and the package works
// without the addon (the wasm path is used). Needs a C compiler and e.g. libopenblas-dev.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(packageRoot, 'native', 'blas_matmul.c');
const output = join(packageRoot, 'native', 'build', 'blas_matmul.node');
const nodeHeaders = resolve(dirname(process.execPath), '..', 'include', 'node');
const compiler = process.env.CC ?? 'cc';
// --if-available: a machine without a C compiler or a BLAS is normal; say so and succeed.
const failureExitCode = process.argv.includes('--if-available') ? 0 : 1;

if (!existsSync(join(nodeHeaders, 'node_api.h'))) {
  console.error(`build:native: node_api.h not found in ${nodeHeaders}; install Node's headers.`);
  process.exit(failureExitCode);
}
mkdirSync(dirname(output), { recursive: true });

// Each candidate: extra defines and the libraries that provide cblas_sgemm.
const candidates = [
  { name: 'OpenBLAS', flags: ['-DHAVE_OPENBLAS'], libs: ['-lopenblas'] },
  { name: 'CBLAS', flags: [], libs: ['-lcblas'] },
  { name: 'BLAS', flags: [], libs: ['-lblas'] },
];
const failures = [];
for (const candidate of candidates) {
  const args = [
    '-O2',
    '-shared',
    '-fPIC',
    '-Wall',
    '-DNODE_GYP_MODULE_NAME=blas_matmul',
    `-I${nodeHeaders}`,
    '-I/usr/include/openblas',
    ...candidate.flags,
    source,
    ...candidate.libs,
    '-o',
    output,
  ];
  try {
    execFileSync(compiler, args, { stdio: 'pipe' });
    console.log(`build:native: built ${output} with ${candidate.name}`);
    process.exit(0);
  } catch (error) {
    failures.push(`${candidate.name}: ${String(error.stderr ?? error.message).split('\n')[0]}`);
  }
}
console.error(`build:native: no CBLAS found (tried ${failures.join('; ')}).`);
console.error('Install one (e.g. apt-get install libopenblas-dev); the package works without it.');
process.exit(failureExitCode);
