/**
 * Fixed-size bitsets over sample indices, one bit per sample in Uint32 words (bit i lives in
 * word i >>> 5): 1,000,000 samples take 125 kB per epoch.
 */

export function bitsetWords(size: number): number {
  return Math.ceil(size / 32);
}

export function createBitset(size: number): Uint32Array {
  return new Uint32Array(bitsetWords(size));
}

export function setBit(bits: Uint32Array, index: number): void {
  bits[index >>> 5]! |= 1 << (index & 31);
}

export function hasBit(bits: Uint32Array, index: number): boolean {
  return ((bits[index >>> 5]! >>> (index & 31)) & 1) === 1;
}

/** Sets bits 0..size-1 (and leaves the padding bits of the last word clear). */
export function fillBitset(bits: Uint32Array, size: number): void {
  bits.fill(0xffffffff);
  const tail = size & 31;
  if (tail !== 0) bits[bits.length - 1] = (1 << tail) - 1;
}

export function countBits(bits: Uint32Array): number {
  let count = 0;
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    word -= (word >>> 1) & 0x55555555;
    word = (word & 0x33333333) + ((word >>> 2) & 0x33333333);
    count += (Math.imul((word + (word >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) as number;
  }
  return count;
}

/** The set indices in ascending order. */
export function bitsetToIndices(bits: Uint32Array): Int32Array {
  const indices = new Int32Array(countBits(bits));
  let next = 0;
  for (let w = 0; w < bits.length; w++) {
    let word = bits[w]!;
    while (word !== 0) {
      const lowest = word & -word;
      indices[next++] = (w << 5) + 31 - Math.clz32(lowest);
      word ^= lowest;
    }
  }
  return indices;
}

/** A bitset of `size` samples with the given indices set; rejects indices out of range. */
export function bitsetFromIndices(
  size: number,
  indices: ArrayLike<number>,
  what = 'indices',
): Uint32Array {
  const bits = createBitset(size);
  for (let j = 0; j < indices.length; j++) {
    const index = indices[j]!;
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`${what}[${j}] = ${index} is not a sample index in [0, ${size})`);
    }
    setBit(bits, index);
  }
  return bits;
}
