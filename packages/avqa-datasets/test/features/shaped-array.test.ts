import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reorderFortran, shapeSize } from '../../src/features/shaped-array.js';

describe('reorderFortran', () => {
  it('transposes a 2x3 matrix stored column-major', () => {
    expect(Array.from(reorderFortran(Float32Array.of(1, 4, 2, 5, 3, 6), [2, 3]))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    expect(
      Array.from(reorderFortran(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], 'c-to-fortran')),
    ).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('puts element (i, j, k, ...) where each order says, and the two directions invert', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
        (shape) => {
          const size = shapeSize(shape);
          const fortran = Float32Array.from({ length: size }, (_value, index) => index);
          const c = reorderFortran(fortran, shape);
          // Element at C multi-index m holds its Fortran offset sum_k m_k * prod_{j<k} d_j.
          for (let cOffset = 0; cOffset < size; cOffset += 1) {
            let rest = cOffset;
            let fortranOffset = 0;
            const index = new Array<number>(shape.length);
            for (let axis = shape.length - 1; axis >= 0; axis -= 1) {
              index[axis] = rest % (shape[axis] as number);
              rest = Math.floor(rest / (shape[axis] as number));
            }
            let stride = 1;
            shape.forEach((dimension, axis) => {
              fortranOffset += (index[axis] as number) * stride;
              stride *= dimension;
            });
            expect(c[cOffset]).toBe(fortranOffset);
          }
          expect(reorderFortran(c, shape, 'c-to-fortran')).toEqual(fortran);
        },
      ),
    );
  });
});
