import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { setupBackend } from '../src/backends.js';
import { wasmThreadsSetting } from '../src/commands/runtime.js';
import { ConfigError } from '../src/config/config-error.js';

describe('SPARSIFY_WASM_THREADS', () => {
  it('defaults to 1 and accepts 1..8', () => {
    expect(wasmThreadsSetting({})).toBe(1);
    expect(wasmThreadsSetting({ SPARSIFY_WASM_THREADS: ' ' })).toBe(1);
    expect(wasmThreadsSetting({ SPARSIFY_WASM_THREADS: '2' })).toBe(2);
    expect(wasmThreadsSetting({ SPARSIFY_WASM_THREADS: '8' })).toBe(8);
  });

  it('refuses anything else with an error naming the variable', () => {
    for (const bad of ['0', '9', 'two', '1.5', '-1']) {
      expect(() => wasmThreadsSetting({ SPARSIFY_WASM_THREADS: bad })).toThrow(ConfigError);
      expect(() => wasmThreadsSetting({ SPARSIFY_WASM_THREADS: bad })).toThrow(
        `SPARSIFY_WASM_THREADS: expected an integer from 1 to 8, got "${bad}"`,
      );
    }
  });
});

describe('setupBackend with wasm threads', () => {
  it('runs the threaded module with the threads asked for, and keeps it on a second call', async () => {
    const active = await setupBackend('wasm', undefined, { wasmThreads: 2 });
    expect(active.name).toBe('wasm');
    expect(active.wasmThreads).toMatchObject({ module: 'threaded-simd', threads: 2 });
    const product = tf.tidy(() => tf.matMul(tf.ones([40, 30]), tf.ones([30, 20])).dataSync());
    expect(Array.from(new Set(product))).toEqual([30]);
    // The backend exists now: a second setup neither swaps the module nor fails.
    const again = await setupBackend('wasm', undefined, { wasmThreads: 1 });
    expect(again.wasmThreads).toBeUndefined();
    expect(tf.getBackend()).toBe('wasm');
  });
});
