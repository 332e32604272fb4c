/**
 * The repository's seeded random generators, one implementation each, so no package keeps
 * its own copy. Private: each consumer's tsup build bundles it (it is a devDependency, and
 * tsup bundles what is not a dependency or peer), so no published package depends on it.
 *
 * Two generators, because runs and generated data must not change:
 * - `mulberry32` (the encoder's weight init, sparse masking, the synthetic data);
 * - `SplitMix32`: a Weyl sequence (state += golden gamma) with an output finaliser, murmur3's
 *   `fmix32` (the trainer's batch order) or `lowbias32` (InfoBatch's sampler). The two
 *   finalisers give different streams; each caller keeps the one its saved runs were made with.
 */
export { fmix32, GOLDEN_GAMMA, lowbias32 } from './finalisers.js';
export { mulberry32, type UniformSource } from './mulberry32.js';
export { SplitMix32 } from './split-mix32.js';
