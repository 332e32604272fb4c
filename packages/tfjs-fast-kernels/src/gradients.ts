import {
  backend_util,
  cast,
  type GradConfig,
  mul,
  reshape,
  sum,
  type Tensor,
} from '@tensorflow/tfjs-core';

/**
 * Stock gradients (@tensorflow/tfjs 4.22) made leaner, value for value the same. They are
 * registered for every backend: a gradient is an op-level recipe.
 *
 * Multiply: the stock gradient casts the other input to float32 before multiplying, a
 * copy and a kernel launch when it already is float32, on every product in the backward
 * pass. (Mean's and Sum's stock gradients build a ones tensor in JavaScript to broadcast
 * dy; broadcasting with broadcastTo instead gives the same floats, but wasm's Tile kernel
 * made the bench's dense step much slower in layout kernels, so they stay stock.)
 */

function asFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

export const multiplyGradConfig: GradConfig = {
  kernelName: 'Multiply',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved as [Tensor, Tensor];
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const gradientOf = (input: Tensor, other: Tensor) => () => {
      const product = mul(dy as Tensor, asFloat(other));
      const axes = backend_util.getReductionAxes(input.shape, outShape);
      return axes.length > 0 ? reshape(sum(product, axes), input.shape) : product;
    };
    return { a: gradientOf(a, b), b: gradientOf(b, a) };
  },
};

export const gradientConfigs: GradConfig[] = [multiplyGradConfig];
