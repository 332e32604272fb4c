import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describeFsError } from './fs-errors.js';
import { processIsAlive } from './process-alive.js';

/** What a lock file holds: who writes to the run folder. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

/** Another process is writing to the run folder. */
export class RunFolderLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `${dir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}); ` +
        `wait for it to finish or stop it (kill -INT ${holder.pid}), or train into another --out folder`,
    );
    this.name = 'RunFolderLockedError';
  }
}

export const LOCK_FILE = 'run.lock';

/**
 * An exclusive lock on a run folder: a file created with O_EXCL holding the writer's pid.
 * Two runs into one folder would interleave config, checkpoints and metrics; the second
 * gets an error naming the first. A lock whose process is gone (SIGKILL, power loss) is
 * stale and taken over with a notice; the lock is also removed when the process exits.
 */
export class RunLock {
  private released = false;
  private readonly onExit = () => this.release();

  private constructor(readonly path: string) {
    process.on('exit', this.onExit);
  }

  /** Takes the lock of `dir` (which must exist); `notice` hears about a stale lock taken over. */
  static acquire(dir: string, notice: (text: string) => void = () => {}): RunLock {
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        const holder: LockHolder = {
          pid: process.pid,
          host: hostname(),
          since: new Date().toISOString(),
        };
        writeSync(fd, `${JSON.stringify(holder)}\n`);
        closeSync(fd);
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw describeFsError(error, 'lock', path);
        }
      }
      const holder = readHolder(path);
      if (holder && (holder.host !== hostname() || processIsAlive(holder.pid))) {
        throw new RunFolderLockedError(dir, holder);
      }
      notice(
        holder
          ? `${path}: process ${holder.pid} (since ${holder.since}) is no longer running; taking over its stale lock`
          : `${path}: unreadable lock file; taking it over`,
      );
      rmSync(path, { force: true });
    }
    const holder = readHolder(path);
    throw holder
      ? new RunFolderLockedError(dir, holder)
      : new Error(`${path}: could not take the lock`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.off('exit', this.onExit);
    rmSync(this.path, { force: true });
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : null;
  } catch {
    return null;
  }
}
