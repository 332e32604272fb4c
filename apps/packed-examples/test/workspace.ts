import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

export interface PublishablePackage {
  name: string;
  version: string;
  /** Absolute path of the package folder. */
  dir: string;
  /** The folder name, used to name its example files. */
  short: string;
  bin: Record<string, string>;
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every package of packages/* and apps/* that npm would publish (not private). */
export function publishablePackages(): PublishablePackage[] {
  const found: PublishablePackage[] = [];
  for (const group of ['packages', 'apps']) {
    for (const short of readdirSync(join(repoRoot, group)).sort()) {
      const dir = join(repoRoot, group, short);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const manifest = readManifest(dir);
      if (manifest.private === true) continue;
      const bin =
        typeof manifest.bin === 'string'
          ? { [manifest.name.split('/').pop() as string]: manifest.bin }
          : (manifest.bin ?? {});
      found.push({ name: manifest.name, version: manifest.version, dir, short, bin });
    }
  }
  return found;
}

/**
 * The version of a third-party dependency as the workspace pins it (the trainer's
 * dependencies, then the root's devDependencies), so the fresh app installs what the
 * packages were tested with.
 */
export function pinnedVersion(name: string): string {
  for (const dir of [join(repoRoot, 'apps', 'trainer'), repoRoot]) {
    const manifest = readManifest(dir);
    const version = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
    if (version != null) return version;
  }
  throw new Error(`packed-examples: no version of ${name} pinned in apps/trainer or the root`);
}
