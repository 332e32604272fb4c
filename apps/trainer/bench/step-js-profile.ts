/**
 * Where a training step's time OUTSIDE kernels goes (issue 23): V8's sampling profiler over
 * `steps` steps of one case (tiny model, batch 8, the demo's batches), with
 * 1. inclusive time of the engine's entry points (runKernel, scopedRun/tidy, the tape's
 *    backward walk, tensor creation and disposal, the op wrappers), of the kernels
 *    themselves (any frame under a kernel's `kernelFunc`), of the optimizer and of the
 *    sparsifiers' hooks, each counted once per sample however deep it recurs;
 * 2. bottom-up self time by function of the samples outside any kernel;
 * 3. counts a step: kernel launches, tape nodes recorded, scopes, tensors made and disposed.
 * The profiler's milliseconds are wall time between samples: read shares, not totals, when
 * the machine is loaded.
 *   node --conditions=source --import tsx bench/step-js-profile.ts [case] [steps] [top]
 * case: dense | masked | merge (default dense). INTERVAL=<us> sets the sampling interval
 * (default 100). SPARSIFY_WASM_FMA=1 / SPARSIFY_NATIVE_DIR pick the path as the trainer does.
 * WARMUP_STEPS=<n> (default 3): untimed steps before the profile, so V8's re-optimisation of
 * tfjs' hot functions is out of it. The profiled steps' CPU is also split into the main
 * thread's (Linux /proc/self/task/<pid>/schedstat) and the other threads'.
 */
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { demoBatches, demoTrainer } from './demo-batches.js';

const BATCH = 8;
const CASES = {
  dense: { preset: 'dense', epoch: 0 },
  masked: { preset: 'sparsify', epoch: 0 },
  merge: { preset: 'sparsify', epoch: 3 },
} as const;

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Buckets of inclusive time, by a test on one frame of the stack (first match wins). */
const BUCKETS: { name: string; test: (f: Frame) => boolean }[] = [
  {
    name: 'optimizer (applyGradients)',
    test: (f) => f.functionName === 'applyGradients' && f.url.includes('flat-adam'),
  },
  {
    name: 'tape backward walk (backpropagateGradients)',
    test: (f) => f.functionName === 'backpropagateGradients',
  },
  { name: 'sparse-masking hook', test: (f) => f.url.includes('packages/sparse-masking/') },
  { name: 'iqr-token-merge hook', test: (f) => f.url.includes('packages/iqr-token-merge/') },
];

function fileOf(f: Frame): string {
  return `${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`;
}

/** Which part of the step a sample's stack belongs to (leaf first; the innermost match wins). */
const PHASES: { name: string; test: (f: Frame) => boolean }[] = [
  {
    name: 'tape filter (getFilteredNodesXToY)',
    test: (f) => f.functionName === 'getFilteredNodesXToY',
  },
  { name: 'backward (tape walk)', test: (f) => f.functionName === 'backpropagateGradients' },
  { name: 'optimizer', test: (f) => f.functionName === 'applyGradients' },
  { name: 'forward (model)', test: (f) => f.functionName === 'forward' && /src\//.test(f.url) },
];

function phaseOf(stack: Frame[]): string {
  if (stack[0]!.functionName === '(garbage collector)') return 'garbage collection';
  for (const f of stack) for (const p of PHASES) if (p.test(f)) return p.name;
  return 'rest of the step';
}

/** tfjs-core's own code (pnpm's store paths of other packages also contain "tfjs-core"). */
function isCore(f: Frame): boolean {
  return f.url.includes('/@tensorflow/tfjs-core/');
}

function isWasm(f: Frame): boolean {
  return f.url.startsWith('wasm://') || /^(wasm-function|\$)/.test(f.functionName);
}

/** The engine's closure around a kernel (registered kernels and customGrad forwards alike). */
function isKernelEntry(f: Frame): boolean {
  return isCore(f) && f.functionName === 'kernelFunc';
}

/**
 * A sample is inside a kernel when, below one of the engine's kernelFunc closures, the next
 * frame is not tfjs-core's (the closure's own bookkeeping, making output tensors and saving
 * them for the tape, and a customGrad forward's tidy are engine work), or its leaf is wasm.
 */
function inKernel(stack: Frame[]): boolean {
  if (isWasm(stack[0]!)) return true;
  for (let j = 1; j < stack.length; j++)
    if (isKernelEntry(stack[j]!) && !isCore(stack[j - 1]!)) return true;
  return false;
}

/**
 * One step with the engine's entry points wrapped: every kernel launch, customGrad node and
 * host upload attributed to the first frame of the repository's own code in its stack (tfjs'
 * frames skipped), and marked "backward" when it runs under the tape's backward walk.
 */
function callSites(
  engine: Record<string, (...args: unknown[]) => unknown>,
  step: () => unknown,
): Map<string, { kernels: number; custom: number; uploads: number }> {
  const sites = new Map<string, { kernels: number; custom: number; uploads: number }>();
  const siteOf = (): string => {
    const lines = (new Error().stack ?? '').split('\n').slice(3);
    const backward = lines.some((l) => l.includes('backpropagateGradients'));
    const ours = lines.find((l) => /packages\/|apps\/trainer\//.test(l) && !l.includes('bench/'));
    const where = ours
      ? ours
          .trim()
          .replace(/^at /, '')
          .replace(/\(?\/.*\/(packages|apps)\//, '$1/')
          .replace(/:\d+\)?$/, '')
      : '(tfjs only)';
    return `${backward ? 'backward ' : ''}${where}`;
  };
  const count = (field: 'kernels' | 'custom' | 'uploads', name = '') => {
    const key = `${siteOf()}${process.env.SITES === 'names' && name ? ` ${name}` : ''}`;
    const entry = sites.get(key) ?? { kernels: 0, custom: 0, uploads: 0 };
    entry[field]++;
    sites.set(key, entry);
  };
  const original = {
    runKernel: engine.runKernel!,
    runKernelFunc: engine.runKernelFunc!,
    makeTensor: engine.makeTensor!,
  };
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  engine.runKernelFunc = function (this: unknown, ...args: unknown[]) {
    const params = args[0] as { kernelName?: string };
    count(params.kernelName === undefined ? 'custom' : 'kernels', params.kernelName);
    return original.runKernelFunc.apply(this, args);
  };
  engine.makeTensor = function (this: unknown, ...args: unknown[]) {
    count('uploads', `[${args[1] as number[]}]`);
    return original.makeTensor.apply(this, args);
  };
  try {
    step();
  } finally {
    Object.assign(engine, original);
    Error.stackTraceLimit = limit;
  }
  return sites;
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'dense') as keyof typeof CASES;
  const steps = Number(process.argv[3] ?? 20);
  const top = Number(process.argv[4] ?? 30);
  const c = CASES[name];
  if (!c) throw new Error(`step-js-profile: unknown case "${name}" (dense | masked | merge)`);
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, 16, BATCH);
  const setup = demoTrainer(c.preset, c.epoch, data);
  const warmup = Number(process.env.WARMUP_STEPS ?? 3);
  for (let i = 0; i < warmup; i++) setup.step();

  // Counts of one step, from the engine's own methods (same instance the ops use).
  const engine = tf.engine() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const counts = new Map<string, number>();
  const wrapped: [string, (...args: unknown[]) => unknown][] = [];
  for (const method of [
    'runKernelFunc',
    'addTapeNode',
    'startScope',
    'makeTensorFromTensorInfo',
    'trackTensor',
    'disposeTensor',
    'keep',
  ]) {
    const inner = engine[method];
    if (typeof inner !== 'function') continue;
    wrapped.push([method, inner]);
    engine[method] = function (this: unknown, ...args: unknown[]) {
      counts.set(method, (counts.get(method) ?? 0) + 1);
      return inner.apply(this, args);
    };
  }
  setup.step();
  for (const [method, inner] of wrapped) engine[method] = inner;
  const sites = process.env.SITES ? callSites(engine, setup.step) : null;

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', {
    interval: Number(process.env.INTERVAL ?? 100),
  });
  const mainThreadUs = () => {
    try {
      return (
        Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) /
        1000
      );
    } catch {
      return Number.NaN;
    }
  };
  const cpuStart = process.cpuUsage();
  const mainStart = mainThreadUs();
  const wallStart = performance.now();
  await session.post('Profiler.start');
  for (let i = 0; i < steps; i++) setup.step();
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  const wall = performance.now() - wallStart;
  const mainUs = mainThreadUs() - mainStart;
  const cpu = process.cpuUsage(cpuStart);
  setup.dispose();
  session.disconnect();

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const stackOf = (id: number): Frame[] => {
    const frames: Frame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at))
      frames.push(byId.get(at)!.callFrame);
    return frames; // leaf first
  };

  const inclusive = new Map<string, number>();
  const selfOutside = new Map<string, number>();
  const inclusiveOutside = new Map<string, number>();
  const selfKernelJs = new Map<string, number>();
  const phases = new Map<string, { inKernels: number; outside: number }>();
  const restInclusive = new Map<string, number>();
  const phaseSelf = new Map<string, number>();
  let total = 0;
  let inKernels = 0;
  let idle = 0;
  const add = (map: Map<string, number>, key: string, ms: number) =>
    map.set(key, (map.get(key) ?? 0) + ms);
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const stack = stackOf(id);
    const leaf = stack[0]!;
    if (leaf.functionName === '(idle)' || leaf.functionName === '(program)') {
      idle += ms;
      return;
    }
    total += ms;
    const kernel = inKernel(stack);
    if (kernel) inKernels += ms;
    const phase = phaseOf(stack);
    const entry = phases.get(phase) ?? { inKernels: 0, outside: 0 };
    if (kernel) entry.inKernels += ms;
    else entry.outside += ms;
    phases.set(phase, entry);
    if (!kernel) {
      const key = `${phase}: ${leaf.functionName || '(anonymous)'} ${fileOf(leaf)}`;
      add(phaseSelf, key, ms);
    }
    if (!kernel && phase === 'rest of the step') {
      // Inclusive, by the frames under trainStep (what the step does around forward/backward).
      const seenRest = new Set<string>();
      for (const f of stack) {
        const key = `${f.functionName || '(anonymous)'} ${fileOf(f)}`;
        if (!seenRest.has(key)) {
          seenRest.add(key);
          add(restInclusive, key, ms);
        }
      }
    }
    const seen = new Set<string>();
    const seenOutside = new Set<string>();
    for (const f of stack) {
      // Named tfjs-core functions, our buckets and every named function of our packages,
      // once per sample; outside kernels also by the function's file.
      const keys: string[] = [];
      if (isCore(f) && f.functionName) keys.push(`core ${f.functionName}`);
      else if (/packages\/|apps\/trainer\/src/.test(f.url))
        keys.push(`${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-1)[0]}`);
      for (const b of BUCKETS) if (b.test(f)) keys.push(b.name);
      for (const key of keys) {
        if (!seen.has(key)) {
          seen.add(key);
          add(inclusive, key, ms);
        }
        if (!kernel && !seenOutside.has(key)) {
          seenOutside.add(key);
          add(inclusiveOutside, key, ms);
        }
      }
    }
    if (kernel && !isWasm(leaf)) {
      const key =
        leaf.functionName === '(garbage collector)'
          ? '(garbage collector)'
          : `${leaf.functionName || '(anonymous)'} ${fileOf(leaf)}`;
      add(selfKernelJs, key, ms);
    }
    if (!kernel) {
      let key = `${leaf.functionName || '(anonymous)'} ${fileOf(leaf)}`;
      if (leaf.functionName === '(garbage collector)') key = '(garbage collector)';
      else if (leaf.url === '' || leaf.url.startsWith('node:')) {
        // A builtin is named by the first JS frame that called it.
        const caller = stack.find((f) => f.url !== '' && !f.url.startsWith('node:'));
        if (caller) key += ` < ${caller.functionName || '(anonymous)'} ${fileOf(caller)}`;
      }
      add(selfOutside, key, ms);
    }
  });

  const per = (ms: number) => (ms / steps).toFixed(2);
  console.log(
    `# ${name} step, backend ${backend.name}${process.env.SPARSIFY_WASM_FMA ? ' (FMA build requested)' : ''}, batch ${BATCH}, ${steps} profiled steps`,
  );
  console.log(
    `${warmup} warm-up steps; process CPU ${per((cpu.user + cpu.system) / 1000)} ms a step (main thread ${per(mainUs / 1000)}, other threads ${per((cpu.user + cpu.system - mainUs) / 1000)}), wall ${per(wall)} (profiler on); sampled ${per(total)} ms a step busy (+${per(idle)} idle/program); in kernels ${per(inKernels)} (${((100 * inKernels) / total).toFixed(1)}%), outside ${per(total - inKernels)} (${((100 * (total - inKernels)) / total).toFixed(1)}%)\n`,
  );
  console.log(
    '| phase | in kernels, ms a step | outside kernels, ms a step | share of the outside |',
  );
  console.log('|---|---:|---:|---:|');
  for (const [phase, t] of [...phases].sort((a, b) => b[1].outside - a[1].outside))
    console.log(
      `| ${phase} | ${per(t.inKernels)} | ${per(t.outside)} | ${((100 * t.outside) / (total - inKernels)).toFixed(1)}% |`,
    );
  console.log('\n| self time outside kernels, by phase and function | ms a step |');
  console.log('|---|---:|');
  for (const [key, ms] of [...phaseSelf].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} |`);
  console.log('\n| "rest of the step", inclusive by function | ms a step |');
  console.log('|---|---:|');
  for (const [key, ms] of [...restInclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} |`);
  console.log('');
  console.log('| counted in one step | calls |');
  console.log('|---|---:|');
  for (const [method, n] of counts) console.log(`| engine.${method} | ${n} |`);
  if (sites) {
    console.log(
      '\n| call site (first frame of our code; "backward" = under the tape walk) | kernels | customGrad nodes | uploads (makeTensor) |',
    );
    console.log('|---|---:|---:|---:|');
    for (const [key, n] of [...sites].sort((a, b) => b[1].kernels - a[1].kernels).slice(0, top))
      console.log(`| ${key} | ${n.kernels} | ${n.custom} | ${n.uploads} |`);
  }
  console.log('\n| inclusive (once per sample) | ms a step | share of busy |');
  console.log('|---|---:|---:|');
  for (const [key, ms] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} | ${((100 * ms) / total).toFixed(1)}% |`);
  console.log('\n| inclusive, samples outside kernels only | ms a step | share of busy |');
  console.log('|---|---:|---:|');
  for (const [key, ms] of [...inclusiveOutside].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} | ${((100 * ms) / total).toFixed(1)}% |`);
  const kernelJs = [...selfKernelJs.values()].reduce((a, b) => a + b, 0);
  console.log(
    `\n| self time inside kernels but outside wasm code (kernels' JS: ${per(kernelJs)} ms a step) | ms a step | share of busy |`,
  );
  console.log('|---|---:|---:|');
  for (const [key, ms] of [...selfKernelJs].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} | ${((100 * ms) / total).toFixed(1)}% |`);
  console.log('\n| self time outside kernels, by function | ms a step | share of busy |');
  console.log('|---|---:|---:|');
  for (const [key, ms] of [...selfOutside].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key} | ${per(ms)} | ${((100 * ms) / total).toFixed(1)}% |`);
}

await main();
