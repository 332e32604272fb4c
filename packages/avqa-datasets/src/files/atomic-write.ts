import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** What to put in the file: its bytes, or a step that writes the given temporary path. */
export type AtomicContent = string | Uint8Array | ((temporary: string) => Promise<unknown>);

/**
 * Writes `path` through a temporary file beside it and a rename, so a reader (another
 * process, a resumed run) never sees half a file, and a crash leaves the old file or none.
 * The temporary name is unique per call, so concurrent writers of one path do not share it;
 * it is removed when the write fails.
 */
export async function writeFileAtomic(path: string, content: AtomicContent): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    if (typeof content === 'function') await content(temporary);
    else await writeFile(temporary, content);
    await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}
