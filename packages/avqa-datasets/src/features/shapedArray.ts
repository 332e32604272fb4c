/** A dense float32 array in C (row-major) order with its shape; what every loader here returns. */
export interface ShapedArray {
  data: Float32Array;
  shape: number[];
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((size, dimension) => size * dimension, 1);
}

/**
 * Reorders column-major (Fortran) data into row-major (C) order for the same shape, or
 * the reverse with `direction` 'c-to-fortran'.
 */
export function reorderFortran(
  source: Float32Array,
  shape: readonly number[],
  direction: 'fortran-to-c' | 'c-to-fortran' = 'fortran-to-c',
): Float32Array {
  const rank = shape.length;
  const target = new Float32Array(source.length);
  if (rank < 2) {
    target.set(source);
    return target;
  }
  // Walk the C-order multi-index like an odometer, keeping the matching Fortran offset.
  const fortranStrides: number[] = [];
  let stride = 1;
  for (const dimension of shape) {
    fortranStrides.push(stride);
    stride *= dimension;
  }
  const counter = new Array<number>(rank).fill(0);
  let fortranOffset = 0;
  for (let cOffset = 0; cOffset < source.length; cOffset += 1) {
    if (direction === 'fortran-to-c') target[cOffset] = source[fortranOffset] as number;
    else target[fortranOffset] = source[cOffset] as number;
    for (let axis = rank - 1; axis >= 0; axis -= 1) {
      const next = (counter[axis] as number) + 1;
      if (next < (shape[axis] as number)) {
        counter[axis] = next;
        fortranOffset += fortranStrides[axis] as number;
        break;
      }
      counter[axis] = 0;
      fortranOffset -= (next - 1) * (fortranStrides[axis] as number);
    }
  }
  return target;
}
