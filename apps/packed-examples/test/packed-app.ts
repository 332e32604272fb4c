import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type PublishablePackage, pinnedVersion } from './workspace.js';

/** What a user installs beside our packages: the tfjs they run on, and tsc to check types. */
const thirdParty = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-core',
  'typescript',
  '@types/node',
];

/**
 * `pnpm pack` of each package into `tarballDir`: the tarball npm would publish, with
 * workspace ranges rewritten to versions. Needs each package built (turbo runs ^build first).
 */
export function packAll(packages: PublishablePackage[], tarballDir: string): string[] {
  mkdirSync(tarballDir, { recursive: true });
  return packages.map((pkg) => {
    if (!existsSync(join(pkg.dir, 'dist'))) {
      throw new Error(`packed-examples: ${pkg.name} has no dist/ (run pnpm build first)`);
    }
    const before = new Set(readdirSync(tarballDir));
    execFileSync('pnpm', ['pack', '--pack-destination', tarballDir], {
      cwd: pkg.dir,
      stdio: 'pipe',
    });
    const made = readdirSync(tarballDir).filter((file) => !before.has(file));
    if (made.length !== 1)
      throw new Error(`packed-examples: pnpm pack of ${pkg.name} made ${made}`);
    return join(tarballDir, made[0] as string);
  });
}

/**
 * A new npm project in `appDir`, outside the workspace, with the tarballs and the pinned
 * third-party packages installed by npm from the registry, as a user would.
 */
export function installApp(appDir: string, tarballs: string[]): void {
  mkdirSync(appDir, { recursive: true });
  writeFileSync(
    join(appDir, 'package.json'),
    `${JSON.stringify({ name: 'readme-examples-app', version: '1.0.0', private: true }, null, 2)}\n`,
  );
  const specs = [...tarballs, ...thirdParty.map((name) => `${name}@${pinnedVersion(name)}`)];
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline', ...specs],
    // npm_config_* from the pnpm that runs the tests would reconfigure this npm.
    { cwd: appDir, stdio: 'pipe', env: withoutPackageManagerConfig(process.env) },
  );
}

export function withoutPackageManagerConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([key]) => !/^(npm|pnpm)_/i.test(key)),
  ) as NodeJS.ProcessEnv;
}
