import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { computeMergePlan, importanceFromAttention, mergeTokens } from '../src/index.js';
import { structuredAttention } from './attention-data.js';
import { blockKeys, initBlock } from './transformer-block.js';
await tf.setBackend('wasm');
const weights = initBlock(256, 4, 7);
for (const side of [14, 32]) {
  const data = structuredAttention(2, side, 256, 4, 300 + side);
  const keys = blockKeys(weights, data.tokens);
  for (const iqrMultiplier of [1.5, 0]) {
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const s = importanceFromAttention(data.attention, data.queryPadMask);
      const scores = s.dataSync(); s.dispose();
      const t1 = performance.now();
      const k = keys.dataSync();
      const t2 = performance.now();
      const plan = computeMergePlan({ batchSize: 2, tokenCount: side * side, keyDim: 256, scores, keys: k }, { iqrMultiplier });
      const t3 = performance.now();
      const out = mergeTokens(plan, data.tokens); out.tokens.dataSync();
      const t4 = performance.now();
      tf.dispose([out.tokens, out.sizes, out.padMask]);
      console.log(side * side, iqrMultiplier, plan.outputTokens, 'importance', (t1 - t0).toFixed(1), 'keysync', (t2 - t1).toFixed(1), 'plan', (t3 - t2).toFixed(1), 'apply', (t4 - t3).toFixed(1));
    }
  }
}
