import fs from 'node:fs';
import { dirname } from 'node:path';

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The folder nearest to `path` that exists, and why it cannot be written to, if it cannot.
 * Node reports `mkdir -p` under a read-only mount as ENOENT; probing the nearest existing
 * ancestor finds the real EROFS or EACCES.
 */
function unwritableAncestor(path: string): { dir: string; code: string } | null {
  let dir = path;
  while (!fs.existsSync(dir)) {
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    return { dir, code: (error as NodeJS.ErrnoException).code ?? 'EACCES' };
  }
  return null;
}

/**
 * Rewrites a file system error so that it names the real cause and the path it happened
 * on: "cannot write X: no space left on the device (ENOSPC)". Other errors pass unchanged.
 */
export function describeFsError(error: unknown, action: string, path: string): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string') return error;
  let cause = CAUSES[code];
  let at = path;
  let realCode = code;
  if (code === 'ENOENT' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    const blocked = unwritableAncestor(path);
    if (blocked) {
      realCode = blocked.code;
      cause = CAUSES[blocked.code] ?? blocked.code;
      at = blocked.dir === path ? path : `${path} (in ${blocked.dir})`;
    }
  }
  if (!cause) return error;
  const described = new Error(`cannot ${action} ${at}: ${cause} (${realCode})`, { cause: error });
  (described as NodeJS.ErrnoException).code = realCode;
  return described;
}
