import { formatSubsetAnnotations } from './annotations.js';

let temporaryCounter = 0;

/**
 * Writes `text` to `path` atomically: a temporary file beside it, then a rename, so a reader
 * never sees half a file. Node only; `node:fs` is imported lazily so browsers can load the
 * rest of the package.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const { rename, rm, writeFile } = await import('node:fs/promises');
  const temporary = `${path}.${process.pid}.${Date.now()}.${temporaryCounter++}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Writes the chosen records as a MUSIC-AVQA-format annotation file (input order kept). */
export async function writeSubsetAnnotationFile<T>(
  path: string,
  records: readonly T[],
  indices: ArrayLike<number>,
): Promise<void> {
  await writeFileAtomic(path, formatSubsetAnnotations(records, indices));
}
