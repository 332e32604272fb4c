import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EncodeNpyOptions, encodeNpy, type NpyArray, parseNpy } from './npy.js';
import type { ShapedArray } from './shapedArray.js';

/** Reads a .npy file into float32 C-order data; errors name the file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
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
  const bytes = encodeNpy(array, options);
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
