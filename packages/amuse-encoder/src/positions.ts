/**
 * Sin-cos position tables, the starting values of the learned time and space embeddings.
 * Unlike std-0.02 noise they give neighbouring positions similar codes from the first step,
 * and their scale is chosen beside the (normalised) patch embeddings they are added to.
 */

/** Angular frequencies for `pairs` sin/cos pairs over `length` positions: 2 rad down to ~2/length. */
function frequencies(pairs: number, length: number): Float64Array {
  const lowest = Math.max(2, length);
  return Float64Array.from({ length: pairs }, (_, i) =>
    pairs === 1 ? 1 : 2 * lowest ** (-i / (pairs - 1)),
  );
}

/** [length, width]: position p's row is (sin p w_0, cos p w_0, sin p w_1, ...) * scale. */
export function sinCosTable(length: number, width: number, scale: number): Float32Array {
  const out = new Float32Array(length * width);
  const pairs = Math.floor(width / 2);
  const w = frequencies(Math.max(1, pairs), length);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < pairs; i++) {
      out[p * width + 2 * i] = Math.sin(p * (w[i] as number)) * scale;
      out[p * width + 2 * i + 1] = Math.cos(p * (w[i] as number)) * scale;
    }
  }
  return out;
}

/**
 * [rows * cols, width] for a row-major grid: the first half of the channels codes the row,
 * the second half the column (MAE's 2-D sin-cos embedding).
 */
export function sinCosGrid(rows: number, cols: number, width: number, scale: number): Float32Array {
  const half = Math.floor(width / 2);
  const rowTable = sinCosTable(rows, half, scale);
  const colTable = sinCosTable(cols, width - half, scale);
  const out = new Float32Array(rows * cols * width);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const at = (r * cols + c) * width;
      out.set(rowTable.subarray(r * half, (r + 1) * half), at);
      out.set(colTable.subarray(c * (width - half), (c + 1) * (width - half)), at + half);
    }
  }
  return out;
}
