// The block bench (B16 N196 D256 H4, one training step: the grads of all 12 weights) against
// PyTorch's ../shared/anchors/torch_block.py at the same thread count. Each round runs,
// alternating which goes first, one child process of ours and one of the anchor, per path:
//   wasm    XNNPACK matmuls + wasm SIMD fused ops, no addon (single-threaded), against
//           torch 1 thread
//   native  addon BLAS + the addon's fused kernels, 2 threads (the default with the addon),
//           against torch 2 threads; only when the addon is built (`pnpm build:native`)
// (the two fused variants of bench/native-ab.ts). The anchor times two PyTorch versions of
// the block: `mirror` (the same op chain as ours) and `idiomatic` (F.layer_norm, addmm,
// scaled_dot_product_attention). Prints per path ms a step (wall; CPU of the process, all
// threads), GFLOP/s, and the medians of the per-round ours/torch ratios.
// PyTorch: $SPARSIFY_TORCH_PYTHON (default python3); anchors: $SPARSIFY_ANCHORS_DIR
// (default ../shared/anchors beside the repository).
//   SPARSIFY_TORCH_PYTHON=/work/venv-torch/bin/python \
//     node --conditions=source --import tsx bench/torch-block-ab.ts [rounds] [steps] [paths]
// rounds default 6, steps a process default 5 (after 2 warm-up steps, both sides), paths
// default wasm,native.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { enableFastKernels } from '../src/enable.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { seededValues, tf } from '../test/backends.js';
import {
  type BlockShape,
  blockGradients,
  blockStepFlops,
  makeBlockWeights,
} from '../test/transformer-block.js';
import { median, runTorchAnchor, torchAnchorsOrExit } from './torch-anchor.js';

const shape: BlockShape = { batch: 16, tokens: 196, width: 256, heads: 4 };
const WARMUP = 2;
const TORCH_VARIANTS = ['mirror', 'idiomatic'] as const;

interface Ours {
  wall: number;
  cpu: number;
  loss: number;
  engine: string;
}

/** Child: `steps` timed block steps on one path; prints medians as one JSON line. */
async function child(native: boolean, steps: number): Promise<Ours> {
  await tf.setBackend('wasm');
  await tf.ready();
  const report = await enableFastKernels({ native: native ? 'require' : 'off' });
  const weights = makeBlockWeights(tf, shape, 7);
  const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
    shape.batch,
    shape.tokens,
    shape.width,
  ]);
  const walls: number[] = [];
  const cpus: number[] = [];
  let loss = Number.NaN;
  for (let s = 0; s < WARMUP + steps; s++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const { value, grads } = blockGradients(tf, shape, weights, x, true);
    loss = value.dataSync()[0] as number;
    tf.dispose([value, ...Object.values(grads)]);
    const cpu = process.cpuUsage(cpuStart);
    if (s < WARMUP) continue;
    walls.push(performance.now() - start);
    cpus.push((cpu.user + cpu.system) / 1000);
  }
  const threads = report.native.threads;
  return {
    wall: median(walls),
    cpu: median(cpus),
    loss,
    engine: `matmul ${report.matmulEngine}, fused ${report.fusedEngine}${threads ? `, ${threads} threads` : ''}`,
  };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(await child(process.argv[3] === 'native', Number(process.argv[4]))));
} else {
  await main();
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 6);
  const steps = Number(process.argv[3] ?? 5);
  const wanted = (process.argv[4] ?? 'wasm,native').split(',');
  const anchors = torchAnchorsOrExit(['torch_block.py']);
  const noAddonDir = mkdtempSync(join(tmpdir(), 'sparsify-no-native-'));
  const paths = [
    {
      name: 'wasm',
      threads: 1,
      env: { ...process.env, SPARSIFY_NATIVE_DIR: noAddonDir, OPENBLAS_NUM_THREADS: '1' },
    },
    {
      name: 'native',
      threads: 2,
      env: { ...process.env, SPARSIFY_NATIVE_THREADS: '2', OPENBLAS_NUM_THREADS: '2' },
    },
  ].filter((p) => wanted.includes(p.name));
  const skipped: string[] = [];
  const addon = loadNativeBlas();
  if (!addon.loaded && paths.some((p) => p.name === 'native')) {
    skipped.push(`native path skipped: ${addon.reason}`);
    paths.splice(
      paths.findIndex((p) => p.name === 'native'),
      1,
    );
  }
  const ours = (path: (typeof paths)[number]): Ours => {
    const out = execFileSync(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        path.name,
        String(steps),
      ],
      { encoding: 'utf8', env: path.env, maxBuffer: 1 << 24 },
    );
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`no result from the ${path.name} child:\n${out}`);
    return JSON.parse(line) as Ours;
  };
  type TorchVariant = { ms_mean: number; ms_min: number; cpu_ms: number; gflops: number };
  const torch = (path: (typeof paths)[number]) =>
    runTorchAnchor(anchors, 'torch_block.py', [
      '--threads',
      String(path.threads),
      '--warmup',
      String(WARMUP),
      '--steps',
      String(steps),
    ]).result as Record<(typeof TORCH_VARIANTS)[number], TorchVariant>;

  const loadBefore = loadavg()[0]!;
  const loads: number[] = [];
  const results = paths.map(() => [] as Array<{ ours: Ours; torch: Record<string, TorchVariant> }>);
  for (let round = 0; round < rounds; round++) {
    for (const [p, path] of paths.entries()) {
      const oursFirst = (round + p) % 2 === 0;
      const o1 = oursFirst ? ours(path) : undefined;
      const t = torch(path);
      const o = o1 ?? ours(path);
      results[p]!.push({ ours: o, torch: t });
      console.error(
        `round ${round + 1}/${rounds} ${path.name}: ours ${o.wall.toFixed(0)} ms (CPU ${o.cpu.toFixed(0)}), torch mirror ${t.mirror.ms_mean} (CPU ${t.mirror.cpu_ms}), idiomatic ${t.idiomatic.ms_mean} (CPU ${t.idiomatic.cpu_ms})`,
      );
    }
    loads.push(loadavg()[0]!);
  }

  const gflop = blockStepFlops(shape) / 1e9;
  console.log(
    `block B${shape.batch} N${shape.tokens} D${shape.width} H${shape.heads} (${gflop.toFixed(2)} GFLOP a step); torch ${anchors.torchVersion}: ${anchors.dir}/torch_block.py --warmup ${WARMUP} --steps ${steps} (its figures: mean of the steps; ours: median); ${rounds} rounds, the two sides alternating which goes first; load average (1 min) ${loadBefore.toFixed(1)} before, after each round ${loads.map((l) => l.toFixed(1)).join(', ')}`,
  );
  for (const line of skipped) console.log(line);
  console.log(
    '\n| path | side | wall ms | CPU ms (all threads) | GFLOP/s wall | GFLOP per CPU-second | ours/this wall | ours/this CPU | loss |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [p, path] of paths.entries()) {
    const rs = results[p]!;
    const wall = median(rs.map((r) => r.ours.wall));
    const cpu = median(rs.map((r) => r.ours.cpu));
    console.log(
      `| ${path.name} | ours (${rs[0]!.ours.engine}) | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${(gflop / (wall / 1000)).toFixed(1)} | ${(gflop / (cpu / 1000)).toFixed(1)} | 1 | 1 | ${rs[0]!.ours.loss.toPrecision(8)} |`,
    );
    for (const v of TORCH_VARIANTS) {
      const tw = median(rs.map((r) => r.torch[v]!.ms_mean));
      const ratioWall = median(rs.map((r) => r.ours.wall / r.torch[v]!.ms_mean));
      const ratioCpu = median(rs.map((r) => r.ours.cpu / r.torch[v]!.cpu_ms));
      const tc = median(rs.map((r) => r.torch[v]!.cpu_ms));
      console.log(
        `| ${path.name} | torch ${path.threads} thread${path.threads > 1 ? 's' : ''}, ${v} | ${tw.toFixed(0)} | ${tc.toFixed(0)} | ${(gflop / (tw / 1000)).toFixed(1)} | ${(gflop / (tc / 1000)).toFixed(1)} | ${ratioWall.toFixed(3)} | ${ratioCpu.toFixed(3)} | |`,
      );
    }
  }
}
