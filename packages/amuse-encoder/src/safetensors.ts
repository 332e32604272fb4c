/**
 * Weights as safetensors, written and read here (the format is small): an 8-byte
 * little-endian header length, a JSON header {name: {dtype, shape, data_offsets}} padded
 * with spaces to 8 bytes, then the raw little-endian data. PyTorch reads the files with
 * `safetensors.torch.load_file`. Loading checks every name and shape against the model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sha256Hex } from './sha256.js';

export type SafetensorsDtype = 'F32' | 'I32';

export interface NamedArray {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Anything with named parameters, as AmuseModel. */
export interface HasParameters {
  parameters(): ReadonlyMap<string, tf.Variable>;
}

const HEADER_LENGTH_BYTES = 8;
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The metadata key holding each tensor's SHA-256 (a JSON object, name -> hex digest of the
 * tensor's bytes in the file). decodeSafetensors verifies it when present.
 */
export const CHECKSUM_METADATA_KEY = 'sha256';

export interface EncodeOptions {
  /** Record each tensor's SHA-256 in the metadata (default true). */
  checksums?: boolean;
}

export function encodeSafetensors(
  tensors: ReadonlyMap<string, NamedArray>,
  metadata: Record<string, string> = {},
  options: EncodeOptions = {},
): Uint8Array {
  if (!littleEndian) throw new Error('encodeSafetensors: big-endian hosts are not supported');
  // No prototype: a tensor may be named '__proto__'.
  const header: Record<string, unknown> = Object.create(null);
  if (options.checksums ?? true) {
    const sums: Record<string, string> = Object.create(null);
    for (const [name, array] of tensors) {
      sums[name] = sha256Hex(
        new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength),
      );
    }
    metadata = { ...metadata, [CHECKSUM_METADATA_KEY]: JSON.stringify(sums) };
  }
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const [name, array] of tensors) {
    const expected = array.shape.reduce((a, b) => a * b, 1);
    if (array.data.length !== expected) {
      throw new Error(
        `encodeSafetensors: "${name}" holds ${array.data.length} values but shape [${array.shape.join(', ')}] needs ${expected}`,
      );
    }
    header[name] = {
      dtype: array.dtype,
      shape: array.shape,
      data_offsets: [offset, offset + array.data.byteLength],
    };
    offset += array.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((HEADER_LENGTH_BYTES + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(HEADER_LENGTH_BYTES + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, HEADER_LENGTH_BYTES);
  let position = HEADER_LENGTH_BYTES + headerBytes.length;
  for (const array of tensors.values()) {
    out.set(
      new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength),
      position,
    );
    position += array.data.byteLength;
  }
  return out;
}

/** A decoded file; `checksums` says whether its tensors were verified against stored SHA-256s. */
export interface DecodedSafetensors {
  tensors: Map<string, NamedArray>;
  metadata: Record<string, string>;
  /** 'verified': every tensor matched its stored digest; 'absent': the file has none (older writer). */
  checksums: 'verified' | 'absent';
}

/**
 * Reads a safetensors file. When its metadata holds per-tensor SHA-256 digests (see
 * encodeSafetensors) every tensor is checked, and a damaged one is named; files without
 * digests still load and say so in `checksums`.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): DecodedSafetensors {
  if (bytes.length < HEADER_LENGTH_BYTES) throw new Error(`${source}: file too short for a header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  if (dataStart > bytes.length) {
    throw new Error(`${source}: header length ${headerLength} runs past the end of the file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER_LENGTH_BYTES, dataStart)));
  } catch (error) {
    throw new Error(`${source}: header is not JSON (${(error as Error).message})`);
  }
  const tensors = new Map<string, NamedArray>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as {
      dtype: string;
      shape: number[];
      data_offsets: [number, number];
    };
    if (dtype !== 'F32' && dtype !== 'I32') {
      throw new Error(`${source}: tensor "${name}" has dtype ${dtype}; only F32 and I32 are read`);
    }
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.length) {
      throw new Error(
        `${source}: tensor "${name}" data_offsets [${begin}, ${end}] do not fit shape [${shape.join(', ')}]`,
      );
    }
    // Copy: the data section need not be 4-byte aligned in the caller's buffer.
    const raw = bytes.slice(dataStart + begin, dataStart + end).buffer;
    const data = dtype === 'F32' ? new Float32Array(raw) : new Int32Array(raw);
    tensors.set(name, { dtype, shape, data });
  }
  const stored = metadata[CHECKSUM_METADATA_KEY];
  if (stored === undefined) return { tensors, metadata, checksums: 'absent' };
  let sums: Record<string, unknown>;
  try {
    sums = JSON.parse(stored) as Record<string, unknown>;
  } catch {
    throw new Error(
      `${source}: the ${CHECKSUM_METADATA_KEY} metadata is not JSON: the file is damaged`,
    );
  }
  for (const [name, array] of tensors) {
    const expected = sums[name];
    if (typeof expected !== 'string') {
      throw new Error(
        `${source}: tensor "${name}" has no ${CHECKSUM_METADATA_KEY} digest: the file is damaged`,
      );
    }
    const actual = sha256Hex(new Uint8Array(array.data.buffer));
    if (actual !== expected) {
      throw new Error(
        `${source}: tensor "${name}" fails its SHA-256 check (stored ${expected.slice(0, 12)}..., read ${actual.slice(0, 12)}...): the file is damaged`,
      );
    }
  }
  return { tensors, metadata, checksums: 'verified' };
}

/** Every parameter's current values, by name. */
export function parametersToArrays(model: HasParameters): Map<string, NamedArray> {
  const arrays = new Map<string, NamedArray>();
  for (const [name, variable] of model.parameters()) {
    arrays.set(name, {
      dtype: 'F32',
      shape: variable.shape,
      data: variable.dataSync() as Float32Array,
    });
  }
  return arrays;
}

/**
 * Assigns arrays to the model's parameters after checking that the names match both ways
 * and every shape agrees; the error names the first offending tensor.
 */
export function assignParameters(
  model: HasParameters,
  arrays: ReadonlyMap<string, NamedArray>,
  source = 'weights',
): void {
  const parameters = model.parameters();
  const missing = [...parameters.keys()].filter((name) => !arrays.has(name));
  const unexpected = [...arrays.keys()].filter((name) => !parameters.has(name));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (unexpected.length > 0)
      parts.push(`unexpected ${unexpected.map((n) => `"${n}"`).join(', ')}`);
    throw new Error(`${source}: tensor names do not match the model: ${parts.join('; ')}`);
  }
  for (const [name, variable] of parameters) {
    const array = arrays.get(name)!;
    const same =
      array.shape.length === variable.rank && array.shape.every((s, i) => s === variable.shape[i]);
    if (!same) {
      throw new Error(
        `${source}: tensor "${name}" has shape [${array.shape.join(', ')}] but the model expects [${variable.shape.join(', ')}]`,
      );
    }
    if (array.dtype !== 'F32')
      throw new Error(`${source}: tensor "${name}" has dtype ${array.dtype}, expected F32`);
  }
  for (const [name, variable] of parameters) {
    const array = arrays.get(name)!;
    tf.tidy(() => variable.assign(tf.tensor(array.data, array.shape, 'float32')));
  }
}

/** Writes the model's parameters to `path` (to a temporary file first, then renamed). */
export async function saveSafetensors(
  model: HasParameters,
  path: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const { writeFile, rename } = await import('node:fs/promises');
  const bytes = encodeSafetensors(parametersToArrays(model), { format: 'pt', ...metadata });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** Reads `path` into the model's parameters; returns the file's metadata. */
export async function loadSafetensors(
  model: HasParameters,
  path: string,
): Promise<Record<string, string>> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  const { tensors, metadata } = decodeSafetensors(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    path,
  );
  assignParameters(model, tensors, path);
  return metadata;
}
