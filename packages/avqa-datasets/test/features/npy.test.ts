import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNpy, type NpyFloatType, parseNpy } from '../../src/features/npy.js';
import { readNpy, writeNpy } from '../../src/features/npy-file.js';

/**
 * A .npy file byte by byte: magic, version, header length (LE), the dict padded with spaces
 * to `headerLength` - 1 and a newline, then the data bytes. With the lengths used below this
 * is exactly what numpy 2.4 `np.lib.format.write_array` writes (checked once by hand).
 */
function npyBytes(
  version: 1 | 2 | 3,
  dict: string,
  headerLength: number,
  data: number[],
): Uint8Array {
  if (dict.length >= headerLength) throw new Error('test bug: header does not fit');
  const lengthBytes =
    version === 1
      ? [headerLength & 0xff, headerLength >> 8]
      : [headerLength & 0xff, (headerLength >> 8) & 0xff, 0, 0];
  const header = Array.from(dict.padEnd(headerLength - 1, ' '), (character) =>
    character.charCodeAt(0),
  );
  return Uint8Array.from([
    0x93,
    ...Array.from('NUMPY', (c) => c.charCodeAt(0)),
    version,
    0,
    ...lengthBytes,
    ...header,
    0x0a,
    ...data,
  ]);
}

// 1..6 as float32: 0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x40a00000, 0x40c00000.
const ONE_TO_SIX_LE = [
  0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40, 0, 0, 0xa0, 0x40, 0, 0, 0xc0,
  0x40,
];

describe('parseNpy', () => {
  it('reads a v1.0 little-endian float32 C-order file', () => {
    const bytes = npyBytes(
      1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      118,
      ONE_TO_SIX_LE,
    );
    expect(bytes).toHaveLength(152);
    const array = parseNpy(bytes);
    expect(array).toMatchObject({
      shape: [2, 3],
      dtype: 'float32',
      littleEndian: true,
      fortranOrder: false,
      version: 1,
    });
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a v2.0 big-endian Fortran-order file into C order', () => {
    // Column-major storage of [[1, 2, 3], [4, 5, 6]] is 1 4 2 5 3 6.
    const bigEndian = [
      0x3f, 0x80, 0, 0, 0x40, 0x80, 0, 0, 0x40, 0, 0, 0, 0x40, 0xa0, 0, 0, 0x40, 0x40, 0, 0, 0x40,
      0xc0, 0, 0,
    ];
    const bytes = npyBytes(
      2,
      "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }",
      116,
      bigEndian,
    );
    const array = parseNpy(bytes);
    expect(array).toMatchObject({
      shape: [2, 3],
      littleEndian: false,
      fortranOrder: true,
      version: 2,
    });
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a v3.0 float16 file: normal, subnormal and infinite halves', () => {
    const halves = [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c];
    const bytes = npyBytes(
      3,
      "{'descr': '<f2', 'fortran_order': False, 'shape': (6,), }",
      116,
      halves,
    );
    const array = parseNpy(bytes);
    expect(array).toMatchObject({ shape: [6], dtype: 'float16', version: 3 });
    expect(Array.from(array.data)).toEqual([
      1,
      -2,
      0.5,
      65504,
      Math.fround(2 ** -24),
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('reads float64 in both byte orders and a 0-d array', () => {
    // 1.5 = 0x3ff8000000000000, -0.25 = 0xbfd0000000000000.
    const little = [0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0xd0, 0xbf];
    const asLittle = parseNpy(
      npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 118, little),
    );
    const big = [0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0];
    const asBig = parseNpy(
      npyBytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 118, big),
    );
    expect(Array.from(asLittle.data)).toEqual([1.5, -0.25]);
    expect(Array.from(asBig.data)).toEqual([1.5, -0.25]);
    const scalar = parseNpy(
      npyBytes(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
        118,
        [0, 0, 0x80, 0x3f],
      ),
    );
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data)).toEqual([1]);
  });

  it('reads float32 data at an unaligned offset of a larger buffer', () => {
    const bytes = npyBytes(
      1,
      "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }",
      118,
      ONE_TO_SIX_LE,
    );
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseNpy(shifted.subarray(1)).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each([
    ['not .npy', Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), /f.npy: not a .npy file/],
    [
      'version 4',
      npyBytes(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
        118,
        [0, 0, 0, 0],
      ).map((byte, i) => (i === 6 ? 4 : byte)),
      /unsupported .npy version 4.0/,
    ],
    [
      'int32',
      npyBytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", 118, [0, 0, 0, 0]),
      /unsupported dtype '<i4'/,
    ],
    [
      'structured',
      npyBytes(
        1,
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
        118,
        [0, 0, 0, 0],
      ),
      /no simple 'descr'/,
    ],
    [
      'truncated data',
      npyBytes(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        118,
        ONE_TO_SIX_LE.slice(0, 20),
      ),
      /truncated data: shape \[2, 3\] float32 needs 24 bytes, file has 20/,
    ],
    [
      'truncated header',
      npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 118, []).subarray(
        0,
        60,
      ),
      /truncated header/,
    ],
    [
      'trailing bytes',
      npyBytes(
        1,
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
        118,
        [0, 0, 0, 0, 9],
      ),
      /1 bytes after the data/,
    ],
  ])('explains a bad file: %s', (_name, bytes, message) => {
    expect(() => parseNpy(bytes, 'f.npy')).toThrow(message);
  });
});

describe('encodeNpy', () => {
  it('writes the bytes numpy writes (up to numpy header padding) for C-order float32', () => {
    const bytes = encodeNpy({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] });
    expect((bytes.length - 24) % 64).toBe(0);
    expect(Array.from(bytes.subarray(bytes.length - 24))).toEqual(ONE_TO_SIX_LE);
    expect(new TextDecoder().decode(bytes.subarray(10, bytes.length - 24)).trimEnd()).toBe(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
    );
  });

  it('round-trips every dtype, byte order, memory order and version', () => {
    const shape = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
    const options = fc.record({
      dtype: fc.constantFrom<NpyFloatType>('float16', 'float32', 'float64'),
      littleEndian: fc.boolean(),
      fortranOrder: fc.boolean(),
      version: fc.constantFrom<1 | 2 | 3>(1, 2, 3),
    });
    fc.assert(
      fc.property(
        shape,
        options,
        fc.infiniteStream(fc.integer({ min: -2048, max: 2048 })),
        (dims, encodeOptions, values) => {
          const size = dims.reduce((product, dimension) => product * dimension, 1);
          // Integers up to 2048 and their quarters are exact in float16, float32 and float64.
          const data = Float32Array.from(
            { length: size },
            () => (values.next().value as number) / 4,
          );
          const parsed = parseNpy(encodeNpy({ data, shape: dims }, encodeOptions));
          expect(parsed.shape).toEqual(dims);
          expect(parsed.data).toEqual(data);
          expect(parsed).toMatchObject({ ...encodeOptions, version: encodeOptions.version });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy({ data: new Float32Array(5), shape: [2, 3] })).toThrow(
      'encodeNpy: shape [2, 3] holds 6 values, data has 5',
    );
  });
});

describe('readNpy / writeNpy', () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(
      directories.map((directory) => rm(directory, { recursive: true, force: true })),
    );
  });

  it('writes atomically (no temporary file left) and reads back', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'npy-'));
    directories.push(directory);
    const path = join(directory, 'nested', 'x.npy');
    await writeNpy(path, { data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [3, 2] });
    expect(await readdir(join(directory, 'nested'))).toEqual(['x.npy']);
    const array = await readNpy(path);
    expect(array.shape).toEqual([3, 2]);
    expect(Array.from(array.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from((await readFile(path)).subarray(-24))).toEqual(ONE_TO_SIX_LE);
    await expect(readNpy(join(directory, 'missing.npy'))).rejects.toThrow(/missing.npy/);
  });
});
