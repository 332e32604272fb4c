/** Trains the example ViT with Sparsify and prints what each epoch ran on. */
import { trainWithSparsify } from './train.js';

const run = trainWithSparsify();
const full = run.vit.tokenCount;
console.log(`ViT: ${full} tokens per image (class token + patches)`);
console.log(
  '| epoch | samples | steps | tokens after masking | lengths after blocks | mean loss |',
);
console.log('|---|---|---|---|---|---|');
for (const r of run.reports) {
  console.log(
    `| ${r.epoch} | ${r.samplesUsed} | ${r.steps} | ${r.tokensAfterMasking} of ${full} | ${r.lengthsAfterBlocks.join(' -> ')} | ${r.meanLoss.toFixed(4)} |`,
  );
}
console.log(`held-out accuracy ${run.accuracy} (lengths ${run.evaluationLengths.join(' -> ')})`);
console.log(`key subset: ${run.keySubset.length} samples`);
