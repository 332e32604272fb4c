/**
 * Where a training step's CPU time goes by origin, from V8's sampling profiler (no per-kernel
 * sync, unlike tf.profile): wasm code (the kernels), tfjs-core's JavaScript (engine, tape,
 * op wrappers), tfjs-backend-wasm's JavaScript (kernel setup, buffers), each of our packages'
 * JavaScript (the sparsifiers' host work is under theirs), the trainer, and garbage
 * collection. Steps each case (dense, masked, merge only; tiny model, batch 8, the demo's
 * batches) `rounds` times with the profiler on, and prints self time per origin and the
 * heaviest functions outside wasm, per step.
 *   node --conditions=source --import tsx bench/step-cpu-profile.ts [rounds] [top]
 */
import { Session } from 'node:inspector/promises';
import * as tf from '@tensorflow/tfjs';
import { prepareBackend } from '../src/commands/runtime.js';
import { Logger } from '../src/log/logger.js';
import { demoBatches, demoTrainer } from './demo-batches.js';

const BATCH = 8;
const BATCHES = 16;

const CASES = [
  { name: 'dense', preset: 'dense', epoch: 0 },
  { name: 'masked (mask + merge)', preset: 'sparsify', epoch: 0 },
  { name: 'merge only', preset: 'sparsify', epoch: 3 },
] as const;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function originOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url.startsWith('wasm://') || /^(wasm-function|\$)/.test(functionName)) return 'wasm code';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)' || functionName === '(idle)' || functionName === '(root)')
    return `V8 ${functionName}`;
  if (url.includes('tfjs-core')) return 'tfjs-core JS';
  if (url.includes('tfjs-backend-wasm')) return 'tfjs-backend-wasm JS';
  if (url.includes('tfjs-backend-cpu')) return 'tfjs-backend-cpu JS';
  const pkg = /packages\/([^/]+)\//.exec(url);
  if (pkg) return `${pkg[1]} JS`;
  if (url.includes('apps/trainer')) return 'trainer JS';
  if (url === '' || url.startsWith('node:')) return 'node / builtins';
  return 'other JS';
}

/** Kernels launched in one step by name (KERNELS=1): count and ms (tf.profile syncs each). */
async function kernelsOf(step: () => unknown) {
  const info = await tf.profile(() => {
    step();
  });
  const byName = new Map<string, { count: number; ms: number }>();
  for (const k of info.kernels) {
    if (k.name === 'unnamed scope' || k.name.endsWith('__op')) continue;
    const entry = byName.get(k.name) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += Number(k.kernelTimeMs);
    byName.set(k.name, entry);
  }
  return byName;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const top = Number(process.argv[3] ?? 15);
  const logger = new Logger({ quiet: true, format: 'text' });
  const backend = await prepareBackend('auto', true, logger);
  const data = await demoBatches(logger, BATCHES, BATCH);
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  console.log(
    `backend ${backend.name}, tiny model, batch ${BATCH}, ${rounds} profiled steps a case`,
  );
  for (const c of CASES) {
    const setup = demoTrainer(c.preset, c.epoch, data);
    for (let i = 0; i < 2; i++) setup.step();
    const cpuStart = process.cpuUsage();
    await session.post('Profiler.start');
    for (let i = 0; i < rounds; i++) setup.step();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    const cpu = process.cpuUsage(cpuStart);
    const kernelTable = process.env.KERNELS ? await kernelsOf(setup.step) : null;
    setup.dispose();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const selfMs = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    const parentOf = new Map<number, ProfileNode>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
    const byOrigin = new Map<string, number>();
    const byFunction = new Map<string, number>();
    let total = 0;
    for (const [id, ms] of selfMs) {
      const frame = byId.get(id)!.callFrame;
      const origin = originOf(frame);
      total += ms;
      byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + ms);
      if (origin === 'wasm code' && process.env.WASM_FUNCTIONS) {
        const key = `wasm ${frame.functionName}`;
        byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      } else if (origin !== 'wasm code' && !origin.startsWith('V8')) {
        const file = frame.url.split('/').slice(-1)[0];
        let key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
        // A builtin is named by what called it.
        if (origin === 'node / builtins') {
          let parent = parentOf.get(id);
          while (parent && originOf(parent.callFrame) === 'node / builtins')
            parent = parentOf.get(parent.id);
          const p = parent?.callFrame;
          key += ` < ${p?.functionName || '(anonymous)'} ${p?.url.split('/').slice(-1)[0]}:${(p?.lineNumber ?? 0) + 1}`;
        }
        byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      }
    }
    console.log(
      `\n## ${c.name}: ${(total / rounds).toFixed(1)} ms sampled a step, process CPU ${((cpu.user + cpu.system) / 1000 / rounds).toFixed(1)} ms a step (profiler on)\n`,
    );
    console.log('| origin | ms a step | share |');
    console.log('|---|---:|---:|');
    for (const [origin, ms] of [...byOrigin].sort((a, b) => b[1] - a[1])) {
      console.log(
        `| ${origin} | ${(ms / rounds).toFixed(2)} | ${((100 * ms) / total).toFixed(1)}% |`,
      );
    }
    console.log('\n| function (self time, outside wasm) | ms a step |');
    console.log('|---|---:|');
    for (const [name, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`| ${name} | ${(ms / rounds).toFixed(2)} |`);
    }
    if (kernelTable) {
      console.log('\n| kernel (one tf.profile step) | count | ms |');
      console.log('|---|---:|---:|');
      for (const [name, k] of [...kernelTable].sort((a, b) => b[1].ms - a[1].ms))
        console.log(`| ${name} | ${k.count} | ${k.ms.toFixed(2)} |`);
    }
  }
  session.disconnect();
}

await main();
