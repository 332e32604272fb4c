import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKSUM_METADATA_KEY,
  createAmuseModel,
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  type NamedArray,
  saveSafetensors,
  sha256Hex,
} from '../src/index.js';
import { TEST_MODEL } from './config.js';
import { disposeBatch, randomBatch, useBackend } from './fixtures.js';

let directory: string;
beforeAll(async () => {
  await useBackend('cpu');
  directory = await mkdtemp(join(tmpdir(), 'amuse-safetensors-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

describe('safetensors format', () => {
  it('lays out an 8-byte LE header length, a space-padded JSON header, then raw LE data', () => {
    const tensors = new Map<string, NamedArray>([
      ['a.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
      ['b', { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 7]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'x' }, { checksums: false });
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const headerLength = Number(view.getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header).toEqual({
      __metadata__: { note: 'x' },
      'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      b: { dtype: 'I32', shape: [3], data_offsets: [16, 28] },
    });
    expect(view.getFloat32(8 + headerLength + 12, true)).toBe(4);
    expect(view.getInt32(8 + headerLength + 16, true)).toBe(-1);
    expect(bytes.length).toBe(8 + headerLength + 28);
  });

  it('decodes what it encodes, for any names, shapes and values', () => {
    const entry = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        values: fc.array(fc.float({ noNaN: true }), {
          minLength: shape.reduce((a, b) => a * b, 1),
          maxLength: shape.reduce((a, b) => a * b, 1),
        }),
      }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((s) => s !== '__metadata__'),
          entry,
        ),
        (record) => {
          const tensors = new Map<string, NamedArray>(
            Object.entries(record).map(([name, { shape, values }]) => [
              name,
              { dtype: 'F32', shape, data: new Float32Array(values) },
            ]),
          );
          const decoded = decodeSafetensors(encodeSafetensors(tensors)).tensors;
          expect([...decoded.keys()]).toEqual([...tensors.keys()]);
          for (const [name, array] of tensors) {
            expect(decoded.get(name)!.shape).toEqual(array.shape);
            expect(Array.from(decoded.get(name)!.data)).toEqual(Array.from(array.data));
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("records each tensor's SHA-256, names a tensor whose bytes changed, and still reads files without", () => {
    const tensors = new Map<string, NamedArray>([
      ['a.weight', { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }],
      ['b', { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 7]) }],
    ]);
    const bytes = encodeSafetensors(tensors, { note: 'x' });
    const decoded = decodeSafetensors(bytes, 'w.safetensors');
    expect(decoded.checksums).toBe('verified');
    expect(JSON.parse(decoded.metadata[CHECKSUM_METADATA_KEY] ?? '{}')).toEqual({
      'a.weight': createHash('sha256')
        .update(new Float32Array([1, 2, 3, 4]))
        .digest('hex'),
      b: createHash('sha256')
        .update(new Int32Array([-1, 0, 7]))
        .digest('hex'),
    });
    // One flipped bit in b's data (the last 12 bytes of the file).
    const flipped = bytes.slice();
    flipped[bytes.length - 5] = (flipped[bytes.length - 5] as number) ^ 0x01;
    expect(() => decodeSafetensors(flipped, 'w.safetensors')).toThrow(
      /^w\.safetensors: tensor "b" fails its SHA-256 check \(stored [0-9a-f]{12}\.\.\., read [0-9a-f]{12}\.\.\.\): the file is damaged$/,
    );
    const older = decodeSafetensors(encodeSafetensors(tensors, {}, { checksums: false }));
    expect(older.checksums).toBe('absent');
    expect(older.tensors.get('b')?.data).toEqual(new Int32Array([-1, 0, 7]));
  });

  it('sha256Hex agrees with node:crypto on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects truncated files clearly', () => {
    const bytes = encodeSafetensors(
      new Map([['w', { dtype: 'F32', shape: [4], data: new Float32Array(4) }]]),
    );
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).toThrow(
      /w\.safetensors: tensor "w" data_offsets \[0, 16\]/,
    );
  });
});

describe('model weights', () => {
  it('round-trip through a file: another seed loads to the same outputs', async () => {
    const source = createAmuseModel(TEST_MODEL);
    const target = createAmuseModel({ ...TEST_MODEL, seed: 99 });
    const path = join(directory, 'model.safetensors');
    await saveSafetensors(source, path, { preset: 'test' });
    const metadata = await loadSafetensors(target, path);
    expect(metadata).toMatchObject({ format: 'pt', preset: 'test' });
    expect(Object.keys(JSON.parse(metadata[CHECKSUM_METADATA_KEY] ?? '{}'))).toEqual([
      ...source.parameters().keys(),
    ]);
    const batch = randomBatch(source.config.inputs, 2);
    const [a, b] = [source, target].map((model) => {
      const { logits } = model.forward(batch, { training: false });
      const values = Array.from(logits.dataSync());
      logits.dispose();
      return values;
    });
    expect(b).toEqual(a);
    const header = JSON.parse(
      (await readFile(path))
        .subarray(8, 8 + Number((await readFile(path)).readBigUInt64LE(0)))
        .toString(),
    );
    expect(header['backbone.blocks.2.attn.qkv.weight']).toMatchObject({
      dtype: 'F32',
      shape: [32, 96],
    });
    disposeBatch(batch);
    source.dispose();
    target.dispose();
  });

  it('a shape mismatch names the tensor and both shapes', async () => {
    const wide = createAmuseModel({ ...TEST_MODEL, width: 48 });
    const path = join(directory, 'wide.safetensors');
    await saveSafetensors(wide, path);
    const narrow = createAmuseModel(TEST_MODEL);
    await expect(loadSafetensors(narrow, path)).rejects.toThrow(
      /wide\.safetensors: tensor "video\.embed\.weight" has shape \[768, 48\] but the model expects \[768, 32\]/,
    );
    wide.dispose();
    narrow.dispose();
  });

  it('missing and unexpected names are listed', async () => {
    const deep = createAmuseModel({ ...TEST_MODEL, depth: 4 });
    const path = join(directory, 'deep.safetensors');
    await saveSafetensors(deep, path);
    const shallow = createAmuseModel(TEST_MODEL);
    await expect(loadSafetensors(shallow, path)).rejects.toThrow(
      /unexpected "backbone\.blocks\.3\.norm1\.weight"/,
    );
    await expect(loadSafetensors(deep, join(directory, 'missing.safetensors'))).rejects.toThrow(
      /ENOENT/,
    );
    await writeFile(
      join(directory, 'junk.safetensors'),
      new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 123]),
    );
    await expect(loadSafetensors(deep, join(directory, 'junk.safetensors'))).rejects.toThrow(
      /header is not JSON/,
    );
    deep.dispose();
    shallow.dispose();
  });
});
