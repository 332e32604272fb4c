import type { AmuseOptions } from '../src/index.js';
import { SMALL_INPUTS } from './fixtures.js';

/**
 * A model small enough for the pure-JS cpu backend: 3 blocks (block 0 question adapter,
 * blocks 1-2 audio<->video), 12 tokens per stream.
 */
export const TEST_MODEL: AmuseOptions = {
  preset: 'tiny',
  width: 32,
  heads: 2,
  depth: 3,
  questionAdapterBlocks: 1,
  reduceAfterBlock: 0,
  inputs: SMALL_INPUTS,
  seed: 5,
};
