// The published workspace packages and their tarballs, as a user installing from npm gets them
// (shared by check-packaging.mjs and check-examples.mjs).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/** Every package under packages/ that is not private: `{ dir, json }`. */
export function publicPackages() {
  const packagesDir = path.join(root, 'packages');
  return fs
    .readdirSync(packagesDir)
    .map((dir) => ({
      dir: path.join(packagesDir, dir),
      json: JSON.parse(fs.readFileSync(path.join(packagesDir, dir, 'package.json'), 'utf8')),
    }))
    .filter((p) => !p.json.private);
}

/** `npm pack`s each package (built `dist` as it is) into `dest`; returns the tarball paths by package name. */
export function packPackages(packages, dest) {
  const tarballs = new Map();
  for (const p of packages) {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dest], {
      cwd: p.dir,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    tarballs.set(p.json.name, path.join(dest, out));
  }
  return tarballs;
}
