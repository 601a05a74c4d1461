/**
 * A fresh project that installs this package the way a user's does: `npm pack` here, then `npm install` of the
 * tarball in a temporary folder, offline from the npm cache. npm resolves new dependencies from full registry
 * documents, which an offline cache filled by `npm ci` does not hold, so the project gets a lockfile: the tarball, and
 * its dependencies at the versions (and integrity) of this project's own lockfile.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

interface Manifest extends LockEntry {
  name: string;
  version: string;
  bin?: Record<string, string>;
  license?: string;
  engines?: Record<string, string>;
}

/** The environment of a user's shell: none of what vitest sets (NODE_ENV=test changes Vite's and npm's defaults). */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env))
    if (name === 'NODE_ENV' || name.startsWith('VITEST') || name.startsWith('npm_')) delete env[name];
  return env;
}

export function run(
  command: string,
  args: string[],
  cwd: string,
  env = userEnv(),
  timeout = 120_000,
): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout });
}

/** Like run, but a non-zero exit (or a timeout) throws with everything the command printed. */
export function mustRun(command: string, args: string[], cwd: string, env = userEnv(), timeout = 120_000): string {
  const result = run(command, args, cwd, env, timeout);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed: ${result.error?.message ?? `exit ${result.status}`}\n` +
        `${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** `npm pack` of this project into dir (which runs `prepare`, the build); the tarball's path. */
export function pack(dir: string): string {
  const out = mustRun('npm', ['pack', '--pack-destination', dir, '--json'], ROOT, userEnv(), 180_000);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return path.join(dir, filename);
}

/** Every lock entry that the dependencies of `start` need, by Node's resolution through the hoisted layout. */
function closure(packages: Record<string, LockEntry>, start: Record<string, string>): Record<string, LockEntry> {
  const found: Record<string, LockEntry> = {};
  const resolve = (from: string, name: string): string | undefined => {
    for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[key]) return key;
      if (!dir) return undefined;
    }
  };
  const visit = (from: string, deps: Record<string, string>, optional: boolean) => {
    for (const name of Object.keys(deps)) {
      const key = resolve(from, name);
      if (!key) {
        if (optional) continue;
        throw new Error(`the lockfile has no ${name} (needed by ${from || 'the package'})`);
      }
      if (found[key]) continue;
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = packages[key];
      found[key] = entry;
      visit(key, entry.dependencies ?? {}, false);
      visit(key, entry.optionalDependencies ?? {}, true);
      const required = Object.keys(entry.peerDependencies ?? {}).filter(
        (p) => !entry.peerDependenciesMeta?.[p]?.optional,
      );
      visit(key, Object.fromEntries(required.map((p) => [p, '*'])), false);
    }
  };
  visit('', start, false);
  return found;
}

/**
 * A project in dir whose dependencies are the tarball and `peers` (optional peers, such as `webgpu`, at this project's
 * locked versions), installed with `npm install --offline`; again with more peers, it adds them. Returns the installed
 * package's folder.
 */
export function installConsumer(dir: string, tarball: string, peers: string[] = []): string {
  const manifest = JSON.parse(mustRun('tar', ['-xzOf', tarball, 'package/package.json'], dir)) as Manifest;
  const local = `file:${path.basename(tarball)}`;
  fs.copyFileSync(tarball, path.join(dir, path.basename(tarball)));
  const integrity = `sha512-${createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const chosen = Object.fromEntries(peers.map((name) => [name, own.packages[`node_modules/${name}`].version!]));
  const project = {
    name: 'consumer',
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies: { [manifest.name]: local, ...chosen },
  };
  const { name: _name, ...installed } = pick(manifest, [
    'name',
    'version',
    'license',
    'dependencies',
    'peerDependencies',
    'peerDependenciesMeta',
    'bin',
    'engines',
  ]);
  const lock = {
    name: project.name,
    version: project.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: project.name, version: project.version, dependencies: project.dependencies },
      [`node_modules/${manifest.name}`]: { ...installed, resolved: local, integrity },
      ...closure(own.packages, { ...manifest.dependencies, ...chosen }),
    },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  mustRun('npm', ['install', '--offline', '--no-audit', '--no-fund'], dir, userEnv(), 180_000);
  return path.join(dir, 'node_modules', manifest.name);
}

function pick<T extends object>(object: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => keys.includes(key))) as Partial<T>;
}
