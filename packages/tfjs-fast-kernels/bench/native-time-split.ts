// Where the native block step's time goes: every addon call (sgemm by shape, the fused
// kernels, the attention core) wrapped in a timer (wall and process CPU time), the rest of
// the step (wasm kernels, JS, tape) by difference. The idiomatic block, native default.
//   node --conditions=source --import tsx bench/native-time-split.ts [steps]
// With SPARSIFY_NATIVE_THREADS=1 the CPU column is the one thread's own work.
import { enableFastKernels } from '../src/enable.js';
import { loadNativeBlas } from '../src/native-blas.js';
import { seededValues, tf } from '../test/backends.js';
import { type BlockShape, makeBlockWeights } from '../test/transformer-block.js';
import { idiomaticBlockGradients } from './idiomatic-block.js';

const shape: BlockShape = { batch: 16, tokens: 196, width: 256, heads: 4 };
const load = loadNativeBlas();
if (!load.loaded) throw new Error('no addon');

import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);
const orig = load.blas as unknown as Record<string, (...a: unknown[]) => unknown>;
const blas: Record<string, (...a: unknown[]) => unknown> = {};
for (const n of Object.getOwnPropertyNames(orig)) blas[n] = orig[n]!;
req.cache[req.resolve(load.path)]!.exports = blas;
const shapes = new Map<string, { ms: number; cpu: number; calls: number; flop: number }>();
const timeBy = new Map<string, { ms: number; calls: number }>();
for (const name of Object.getOwnPropertyNames(orig)) {
  const f = orig[name]!;
  if (typeof f !== 'function' || name === 'threads' || name === 'kernelVariant') continue;
  blas[name] = (...args: unknown[]) => {
    const s = performance.now();
    const c0 = process.cpuUsage();
    const r = f(...args);
    const cc = process.cpuUsage(c0);
    const key =
      name === 'sgemmBatch'
        ? `sgemm tA${args[1] ? 1 : 0} tB${args[2] ? 1 : 0} m${args[3]} n${args[4]} k${args[5]} x${(args[6] as Uint32Array).length} bias${(args[9] as number) >= 0 ? 1 : 0}`
        : name;
    const ee = shapes.get(key) ?? {
      ms: 0,
      cpu: 0,
      calls: 0,
      flop:
        name === 'sgemmBatch'
          ? 2 *
            (args[3] as number) *
            (args[4] as number) *
            (args[5] as number) *
            (args[6] as Uint32Array).length
          : 0,
    };
    ee.ms += performance.now() - s;
    ee.cpu += (cc.user + cc.system) / 1000;
    ee.calls++;
    shapes.set(key, ee);
    const e = timeBy.get(name) ?? { ms: 0, calls: 0 };
    e.ms += performance.now() - s;
    e.calls++;
    timeBy.set(name, e);
    return r;
  };
}
await tf.setBackend('wasm');
await tf.ready();
const weights = makeBlockWeights(tf, shape, 7);
const x = tf.tensor3d(seededValues(16 * 196 * 256, 3), [16, 196, 256]);
await enableFastKernels({ native: 'require' });
const steps = Number(process.argv[2] ?? 5);
for (let i = 0; i < 2; i++) {
  const { value, grads } = idiomaticBlockGradients(tf, shape, weights, x);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}
timeBy.clear();
shapes.clear();
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < steps; i++) {
  const { value, grads } = idiomaticBlockGradients(tf, shape, weights, x);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
}
const wall = (performance.now() - t0) / steps;
const c = process.cpuUsage(c0);
console.log(
  `wall ${wall.toFixed(1)} ms/step, cpu ${((c.user + c.system) / 1000 / steps).toFixed(1)}`,
);
let nat = 0;
for (const [k, v] of timeBy) {
  nat += v.ms;
  console.log(`${k}: ${(v.ms / steps).toFixed(1)} ms, ${v.calls / steps} calls`);
}
console.log(`native total ${(nat / steps).toFixed(1)}, rest ${(wall - nat / steps).toFixed(1)}`);
for (const [k, v] of [...shapes].sort((a, b) => b[1].cpu - a[1].cpu))
  console.log(
    `${k}: wall ${(v.ms / steps).toFixed(2)} cpu ${(v.cpu / steps).toFixed(2)} ms/step, ${v.flop ? ((v.flop * v.calls) / 1e6 / v.ms).toFixed(1) + ' GFLOP/s wall ' + ((v.flop * v.calls) / 1e6 / v.cpu).toFixed(1) + ' per cpu-s' : ''}`,
  );
