import { enableFastKernels } from './src/enable';
import { seededValues, tf } from './test/backends';

await tf.setBackend('wasm');
await enableFastKernels({ native: (process.argv[2] ?? 'off') as 'off' });
const cases: [number[], number[], boolean, boolean][] = [
  [[3136, 256], [256, 768], false, false],
  [[3136, 768], [256, 768], false, true],
  [[3136, 256], [3136, 768], true, false],
  [[3136, 1024], [1024, 256], false, false],
  [[3136, 256], [1024, 256], false, true],
  [[3136, 1024], [3136, 256], true, false],
  [[16, 4, 196, 64], [16, 4, 196, 64], false, true],
  [[16, 4, 196, 196], [16, 4, 196, 64], false, false],
  [[16, 4, 196, 196], [16, 4, 196, 64], true, false],
  [[16, 4, 196, 64], [16, 4, 196, 64], true, false],
];
for (const [as, bs, ta, tb] of cases) {
  const a = tf.tensor(
    seededValues(
      as.reduce((p, d) => p * d),
      1,
    ),
    as,
  );
  const b = tf.tensor(
    seededValues(
      bs.reduce((p, d) => p * d),
      2,
    ),
    bs,
  );
  const run = () => {
    const c = tf.matMul(a, b, ta, tb);
    c.dataSync();
    return c;
  };
  run().dispose();
  const c0 = process.cpuUsage();
  const c = run();
  const cpu = process.cpuUsage(c0);
  const m = ta ? as[as.length - 1] : as[as.length - 2];
  const k = ta ? as[as.length - 2] : as[as.length - 1];
  const n = c.shape[c.shape.length - 1];
  const batch = c.size / ((m as number) * n);
  const ms = (cpu.user + cpu.system) / 1000;
  console.log(
    as.join('x'),
    bs.join('x'),
    ta,
    tb,
    ms.toFixed(0),
    'ms cpu',
    ((2 * batch * (m as number) * (k as number) * n) / 1e6 / ms).toFixed(1),
    'GFLOP/s',
  );
  tf.dispose([a, b, c]);
}
