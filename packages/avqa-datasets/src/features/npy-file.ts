import { type FileHandle, open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../files/atomic-write.js';
import {
  checkNpyLength,
  decodeNpyValues,
  type EncodeNpyOptions,
  encodeNpy,
  type NpyArray,
  parseNpy,
  parseNpyHeader,
} from './npy.js';
import type { ShapedArray } from './shaped-array.js';
import { keptTimeSteps, subsampleTimeSteps, type TemporalSampling } from './temporal-sampling.js';

/** Reads a .npy file into float32 C-order data; errors name the file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
}

/** A [T, ...] .npy file reduced to some of its time steps; `storedShape` is the file's shape. */
export interface NpyTimeSteps extends NpyArray {
  storedShape: number[];
}

/** Header bytes read up front; real headers are 128 bytes, larger ones take the slow path. */
const HEADER_PROBE_BYTES = 4096;

/**
 * Reads time steps offset, offset + stride, ... (`x[offset::stride]`) of a [T, ...] .npy
 * file. For a C-order file only those rows are read from disk (a sixth of a ResNet-18
 * feature file with the default stride); Fortran-order files are read whole.
 */
export async function readNpyTimeSteps(
  path: string,
  sampling: TemporalSampling = {},
): Promise<NpyTimeSteps> {
  const handle = await open(path, 'r');
  try {
    const fileLength = (await handle.stat()).size;
    const probe = await readAt(handle, 0, Math.min(fileLength, HEADER_PROBE_BYTES));
    const header =
      fileLength > HEADER_PROBE_BYTES ? tryParseHeader(probe, path) : parseNpyHeader(probe, path);
    if (header?.shape.length === 0) throw new Error(`${path}: a 0-d array has no time steps`);
    if (header === null || header.fortranOrder) {
      const whole = parseNpy(await readAt(handle, 0, fileLength), path);
      if (whole.shape.length === 0) throw new Error(`${path}: a 0-d array has no time steps`);
      return { ...whole, ...subsampleTimeSteps(whole, sampling), storedShape: whole.shape };
    }
    checkNpyLength(header, fileLength, path);
    const [timeSteps, ...stepShape] = header.shape as [number, ...number[]];
    const kept = keptTimeSteps(timeSteps, sampling);
    const stepBytes = timeSteps === 0 ? 0 : header.dataByteLength / timeSteps;
    const bytes = new Uint8Array(kept.length * stepBytes);
    for (const [row, step] of kept.entries()) {
      await readInto(
        handle,
        bytes.subarray(row * stepBytes, (row + 1) * stepBytes),
        header.dataOffset + step * stepBytes,
      );
    }
    const { dtype, littleEndian, fortranOrder, version } = header;
    return {
      data: decodeNpyValues(bytes, header),
      shape: [kept.length, ...stepShape],
      storedShape: header.shape,
      dtype,
      littleEndian,
      fortranOrder,
      version,
    };
  } finally {
    await handle.close();
  }
}

function tryParseHeader(probe: Uint8Array, path: string) {
  try {
    return parseNpyHeader(probe, path);
  } catch {
    return null; // a header longer than the probe, or a bad file: parseNpy on the whole file explains
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await readInto(handle, bytes, position);
  return bytes;
}

async function readInto(handle: FileHandle, target: Uint8Array, position: number): Promise<void> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(
      target,
      filled,
      target.length - filled,
      position + filled,
    );
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + filled}`);
    filled += bytesRead;
  }
}

/**
 * Writes a .npy file atomically: to a temporary file beside it, then a rename, so a
 * reader (or a crashed writer) never sees half a file in a cache.
 */
export async function writeNpy(
  path: string,
  array: ShapedArray,
  options: EncodeNpyOptions = {},
): Promise<void> {
  await writeFileAtomic(path, encodeNpy(array, options));
}
