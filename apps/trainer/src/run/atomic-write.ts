import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFsError } from './fs-errors.js';
import { processIsAlive } from './process-alive.js';

/**
 * Writes through a temporary file in the same folder and renames it into place: a crash
 * or Ctrl-C mid-write leaves the previous file intact, never a truncated one (rename is
 * atomic within one file system). A full disk or a read-only folder is reported with the
 * file's path and the real cause.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  try {
    fs.mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw describeFsError(error, 'create the folder of', path);
  }
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, path);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw describeFsError(error, 'write', path);
  }
}

const TEMP_NAME = /\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes the temp files of writeFileAtomic that a killed process left in `dirs` (SIGKILL
 * or power loss between write and rename). A temp file of a process still running is
 * left alone: it may be mid-write. Returns the paths removed.
 */
export function removeAbandonedTempFiles(dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      const match = TEMP_NAME.exec(basename(name));
      if (!match || processIsAlive(Number(match[1]))) continue;
      fs.rmSync(join(dir, name), { force: true });
      removed.push(join(dir, name));
    }
  }
  return removed;
}
