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
  const target = new Float32Array(source.length);
  if (shape.length < 2 || source.length === 0) {
    target.set(source);
    return target;
  }
  // Walk the Fortran order (axis 0 fastest, contiguous) and keep the matching C offset:
  // an inner loop over axis 0, whose C stride is the product of the other axes, and an
  // odometer over the outer axes.
  const cStrides = shape.map((_dimension, axis) => shapeSize(shape.slice(axis + 1)));
  const rows = shape[0] as number;
  const rowStride = cStrides[0] as number;
  const counter = new Array<number>(shape.length).fill(0);
  let cBase = 0;
  for (let fortranOffset = 0; fortranOffset < source.length; fortranOffset += rows) {
    if (direction === 'fortran-to-c') {
      for (let row = 0; row < rows; row += 1)
        target[cBase + row * rowStride] = source[fortranOffset + row] as number;
    } else {
      for (let row = 0; row < rows; row += 1)
        target[fortranOffset + row] = source[cBase + row * rowStride] as number;
    }
    for (let axis = 1; axis < shape.length; axis += 1) {
      const next = (counter[axis] as number) + 1;
      if (next < (shape[axis] as number)) {
        counter[axis] = next;
        cBase += cStrides[axis] as number;
        break;
      }
      counter[axis] = 0;
      cBase -= (next - 1) * (cStrides[axis] as number);
    }
  }
  return target;
}
