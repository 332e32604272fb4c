import { engine, type Tensor } from '@tensorflow/tfjs-core';

/**
 * Tensors saved for the backward pass as shared references, without an Identity kernel.
 *
 * Inside a gradient computation tfjs keeps every tensor a gradient will read (a kernel's
 * inputsToSave/outputsToSave, a customGrad's save()) through `Engine.clone`: an Identity
 * kernel launch plus a tape node linking the copy to the original. In a training step of the
 * demo's model that is 522 of 2,354 kernel launches and 522 tape nodes that backprop filters
 * out again. The link matters only for higher-order gradients: a tensor saved at gradient
 * depth d is read by the backward pass that runs at depth d - 1, which records to a tape
 * only when d - 1 >= 1. So at depth 1 (every first-order gradient) the clone here is a new
 * tensor on the same buffer, exactly what Identity gives on cpu, webgl and (with this
 * package) wasm, with no kernel and no tape node; deeper, and for tensors whose data lives on
 * another backend, it is the stock clone. Values are the same bit for bit.
 */

interface EngineInternals {
  clone(x: Tensor): Tensor;
  backend: { incRef(dataId: object): void };
  state: {
    gradientDepth: number;
    tensorInfo: { get(dataId: object): { backend: unknown } | undefined };
  };
  makeTensorFromTensorInfo(
    info: { dataId: object; shape: number[]; dtype: Tensor['dtype'] },
    backend?: unknown,
  ): Tensor;
}

const SHAREABLE = new Set(['float32', 'int32', 'bool']);

function internals(): EngineInternals {
  return engine() as unknown as EngineInternals;
}

/** Whether `shareTapeSaves` is in effect. */
export function tapeSavesShared(): boolean {
  return Object.hasOwn(internals(), 'clone');
}

/** Makes the engine save tensors for first-order gradients as shared references. */
export function shareTapeSaves(): void {
  const e = internals();
  if (tapeSavesShared()) return;
  const stockClone = e.clone;
  e.clone = function sharedClone(this: EngineInternals, x: Tensor): Tensor {
    const backend = this.backend;
    if (
      this.state.gradientDepth > 1 ||
      !SHAREABLE.has(x.dtype) ||
      this.state.tensorInfo.get(x.dataId)?.backend !== backend
    )
      return stockClone.call(this, x);
    backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo(
      { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype },
      backend,
    );
  };
}

/** Puts the engine's own clone back. */
export function restoreTapeSaves(): void {
  const e = internals() as unknown as Record<string, unknown>;
  if (Object.hasOwn(e, 'clone')) delete e.clone;
}
