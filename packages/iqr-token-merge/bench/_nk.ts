import { nearestKeys } from '../src/nearest-key.js';
import { selectKeyTokens } from '../src/key-tokens.js';
const N = 1024, D = 256, K = 256;
const keys = new Float32Array(N * D).map(() => Math.random() - 0.5);
const keyTokens = Int32Array.from({ length: K }, (_, i) => i * 4);
const others = Int32Array.from({ length: N - K }, (_, i) => i * 4 / 3 | 0);
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  nearestKeys(keys, 0, D, keyTokens, others, false);
  const t1 = performance.now();
  const scores = new Float32Array(N).map(() => Math.random());
  selectKeyTokens(scores, Array.from({ length: N }, (_, i) => i), { iqrMultiplier: 0 });
  const t2 = performance.now();
  console.log('nearest', (t1 - t0).toFixed(1), 'ms', ((N - K) * K * D / (t1 - t0) / 1e6).toFixed(2), 'GMAC/s; select', (t2 - t1).toFixed(1));
}
