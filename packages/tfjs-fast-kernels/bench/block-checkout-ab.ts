// The block bench's XNNPACK-only path (wasm + tfjs-fast-kernels, no native addon) of two
// checkouts, old vs new: each round runs one process per checkout (alternating which goes
// first), each timing `steps` training steps of its blocks by the process's CPU time (wasm
// runs on one thread, so CPU time is the step's own work on a shared machine) and wall time.
// The old checkout runs the block as stock tfjs ops (all it had before issue 23); the new
// one the same stock-op block, the block through the fused ops (test/transformer-block.ts)
// and the idiomatic block (bench/idiomatic-block.ts). Prints medians per block and the
// median per-round ratio to the old checkout, and each block's first loss.
// With a thread list (e.g. `1,2`) the new checkout runs once per count, its wasm backend on
// tfjs-backend-wasm's threaded module (useWasmThreads) for counts above 1; the old one runs
// on 1 thread. With threads, wall time is the measure (CPU time adds the threads' time up),
// so the ratio column is wall / old wall; the CPU column stays for the work's total, and the
// main thread's own CPU time (Linux) shows what the threads take off it, which load hardly moves.
//   node --conditions=source --import tsx bench/block-checkout-ab.ts <old root> <new root> [rounds] [steps] [threads]
// The old root needs its own `pnpm install` (git worktree add /work/old-<you> 0adb5bb).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const shape = { batch: 16, tokens: 196, width: 256, heads: 4 };

interface ChildResult {
  blocks: string[];
  cpuMs: number[][];
  /** The main thread's own CPU time (Linux /proc; empty elsewhere): what threads take off it. */
  mainCpuMs: number[][];
  wallMs: number[][];
  losses: number[];
}

/** The main thread's CPU ms from /proc/self/task/<pid>/stat (utime + stime), or NaN. */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), counted after the ")": indices 11 and 12; in clock ticks (100 Hz).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function child(root: string, steps: number, threads: number): Promise<ChildResult> {
  process.env.SPARSIFY_NATIVE_DIR = '/nonexistent-sparsify-native';
  const pkg = `${root}/packages/tfjs-fast-kernels`;
  const isNew = existsSync(`${pkg}/test/transformer-block.ts`);
  const { tf, seededValues } = await import(`${pkg}/test/backends.ts`);
  const block = await import(`${pkg}/test/${isNew ? 'transformer-block' : 'transformer_block'}.ts`);
  const { enableFastKernels, useWasmThreads, wasmThreadsStatus } = await import(
    `${pkg}/src/index.ts`
  );
  if (threads > 1) useWasmThreads(threads);
  await tf.setBackend('wasm');
  if (threads > 1 && wasmThreadsStatus().threads !== threads)
    throw new Error(`expected ${threads} wasm threads: ${JSON.stringify(wasmThreadsStatus())}`);
  await tf.ready();
  const report = await enableFastKernels({ native: 'off' });
  if (report.matmulEngine !== 'xnnpack')
    throw new Error(`expected XNNPACK, got ${report.matmulEngine}`);
  const weights = block.makeBlockWeights(tf, shape, 7);
  const x = tf.tensor3d(seededValues(shape.batch * shape.tokens * shape.width, 3), [
    shape.batch,
    shape.tokens,
    shape.width,
  ]);
  const variants: Array<{ name: string; run: () => { value: unknown; grads: object } }> = [
    { name: 'stock tfjs ops', run: () => block.blockGradients(tf, shape, weights, x) },
  ];
  if (isNew) {
    const { idiomaticBlockGradients } = await import(`${pkg}/bench/idiomatic-block.ts`);
    variants.push(
      { name: 'fused ops', run: () => block.blockGradients(tf, shape, weights, x, true) },
      { name: 'idiomatic', run: () => idiomaticBlockGradients(tf, shape, weights, x) },
    );
  }
  const once = (i: number) => {
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    const start = performance.now();
    const { value, grads } = variants[i]!.run() as {
      value: { dataSync(): Float32Array };
      grads: object;
    };
    const loss = value.dataSync()[0] as number;
    tf.dispose([value, ...Object.values(grads)]);
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - start;
    const main = mainThreadCpuMs() - main0;
    return { cpu: (cpu.user + cpu.system) / 1000, main, wall, loss };
  };
  const losses = variants.map((_, i) => once(i).loss);
  const cpuMs: number[][] = variants.map(() => []);
  const mainCpuMs: number[][] = variants.map(() => []);
  const wallMs: number[][] = variants.map(() => []);
  for (let s = 0; s < steps; s++)
    for (const i of variants.keys()) {
      const t = once(i);
      cpuMs[i]!.push(t.cpu);
      mainCpuMs[i]!.push(t.main);
      wallMs[i]!.push(t.wall);
    }
  return { blocks: variants.map((v) => v.name), cpuMs, mainCpuMs, wallMs, losses };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

if (process.argv[2] === '--child') {
  const result = await child(
    resolve(process.argv[3]!),
    Number(process.argv[4]),
    Number(process.argv[5] ?? 1),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else if (process.argv[6] !== undefined) {
  threadsComparison();
} else {
  const oldRoot = resolve(process.argv[2] ?? '');
  const newRoot = resolve(process.argv[3] ?? '');
  const rounds = Number(process.argv[4] ?? 3);
  const steps = Number(process.argv[5] ?? 3);
  const self = fileURLToPath(import.meta.url);
  const run = (root: string): ChildResult =>
    JSON.parse(
      execFileSync(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', self, '--child', root, String(steps)],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
      )
        .trim()
        .split('\n')
        .pop()!,
    ) as ChildResult;
  const loadBefore = loadavg()[0] as number;
  const perRound: Array<{ old: ChildResult; new: ChildResult }> = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    const got: Partial<Record<string, ChildResult>> = {};
    for (const which of order) got[which] = run(which === 'old' ? oldRoot : newRoot);
    perRound.push({ old: got.old!, new: got.new! });
  }
  const loadAfter = loadavg()[0] as number;
  const first = perRound[0]!;
  console.log(
    `block B${shape.batch} N${shape.tokens} D${shape.width} H${shape.heads}, XNNPACK only; old ${oldRoot}, new ${newRoot}; ${rounds} rounds x ${steps} steps; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
  );
  console.log(
    '| checkout, block | CPU ms (median) | wall ms | CPU / old (median of rounds) | old / CPU | loss |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  const oldCpu = (round: { old: ChildResult }) => median(round.old.cpuMs[0]!);
  const rows: Array<[string, (round: (typeof perRound)[number]) => ChildResult, number]> = [
    ['old, stock tfjs ops', (round) => round.old, 0],
    ...first.new.blocks.map(
      (name, i) =>
        [`new, ${name}`, (round: (typeof perRound)[number]) => round.new, i] as [
          string,
          (round: (typeof perRound)[number]) => ChildResult,
          number,
        ],
    ),
  ];
  for (const [label, pick, i] of rows) {
    const cpu = median(perRound.flatMap((round) => pick(round).cpuMs[i]!));
    const wall = median(perRound.flatMap((round) => pick(round).wallMs[i]!));
    const ratio = median(perRound.map((round) => median(pick(round).cpuMs[i]!) / oldCpu(round)));
    console.log(
      `| ${label} | ${cpu.toFixed(0)} | ${wall.toFixed(0)} | ${ratio.toFixed(3)} | ${(1 / ratio).toFixed(2)}x | ${pick(first).losses[i]!.toPrecision(8)} |`,
    );
  }
}

/** Old (1 thread) against the new checkout at each thread count, by wall time. */
function threadsComparison(): void {
  const oldRoot = resolve(process.argv[2] ?? '');
  const newRoot = resolve(process.argv[3] ?? '');
  const rounds = Number(process.argv[4] ?? 3);
  const steps = Number(process.argv[5] ?? 3);
  const counts = (process.argv[6] ?? '1').split(',').map(Number);
  const self = fileURLToPath(import.meta.url);
  const configs = [
    { label: 'old', root: oldRoot, threads: 1 },
    ...counts.map((threads) => ({
      label: `new, ${threads} thread${threads > 1 ? 's' : ''}`,
      root: newRoot,
      threads,
    })),
  ];
  const run = (root: string, threads: number): ChildResult =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          '--conditions=source',
          '--import',
          'tsx',
          self,
          '--child',
          root,
          String(steps),
          String(threads),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
      )
        .trim()
        .split('\n')
        .pop()!,
    ) as ChildResult;
  const loadBefore = loadavg()[0] as number;
  const perRound: ChildResult[][] = [];
  for (let r = 0; r < rounds; r++) {
    const got: ChildResult[] = new Array(configs.length);
    // Rotate which configuration goes first, so load drifts fall on each alike.
    for (let k = 0; k < configs.length; k++) {
      const c = (k + r) % configs.length;
      got[c] = run(configs[c]!.root, configs[c]!.threads);
    }
    perRound.push(got);
  }
  const loadAfter = loadavg()[0] as number;
  console.log(
    `block B${shape.batch} N${shape.tokens} D${shape.width} H${shape.heads}, XNNPACK only; old ${oldRoot}, new ${newRoot}; ${rounds} rounds x ${steps} steps; load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`,
  );
  console.log(
    '| checkout, threads, block | wall ms (median) | CPU ms, all threads | main-thread CPU ms | wall / old wall (median of rounds) | old / wall | main-thread CPU / old main-thread CPU | loss |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  const oldWall = (round: ChildResult[]) => median(round[0]!.wallMs[0]!);
  configs.forEach((config, c) => {
    perRound[0]![c]!.blocks.forEach((name, i) => {
      const wall = median(perRound.flatMap((round) => round[c]!.wallMs[i]!));
      const cpu = median(perRound.flatMap((round) => round[c]!.cpuMs[i]!));
      const main = median(perRound.flatMap((round) => round[c]!.mainCpuMs[i]!));
      const ratio = median(perRound.map((round) => median(round[c]!.wallMs[i]!) / oldWall(round)));
      const mainRatio = median(
        perRound.map((round) => median(round[c]!.mainCpuMs[i]!) / median(round[0]!.mainCpuMs[0]!)),
      );
      console.log(
        `| ${config.label}, ${name} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${main.toFixed(0)} | ${ratio.toFixed(3)} | ${(1 / ratio).toFixed(2)}x | ${mainRatio.toFixed(3)} | ${perRound[0]![c]!.losses[i]!.toPrecision(8)} |`,
      );
    });
  });
}
