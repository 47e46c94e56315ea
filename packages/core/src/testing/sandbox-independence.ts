import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { importReferences } from './import-specifiers';

/**
 * A module a sandbox may import besides its own files, node builtins and third-party packages: a
 * specifier (exact string or pattern), or `{ specifier, typeOnly: true }` to accept only `import type` of
 * it (its types, none of its code).
 */
export type SandboxImportAllowance = string | RegExp | { specifier: string | RegExp; typeOnly: true };

const SOURCE = /\.(?:[cm]?[jt]sx?)$/;

/**
 * Fails (throws, listing every offending import with its file and line) when a file under `dir` imports
 * something a sandbox must not: a sandbox imitates a provider from its documentation, so that a plugin's
 * mistake (a wrong signature algorithm, a forgotten sport type) cannot pass because the sandbox shares it.
 *
 * Accepted: relative imports that stay inside `dir`, node builtins (`node:fs`, `fs`), the specifiers in
 * `allowed` (exact strings, or patterns), and third-party packages. Refused: a relative import leaving
 * `dir`, an absolute path, a package import (`#…`), the package `dir` belongs to (its main entry or any
 * subpath), any other package of the same npm scope (for `@trainlytics/provider-strava`, `@trainlytics/core`
 * too unless allowed), and `import(expr)` / `require(expr)` without a literal. Type-only imports count:
 * a sandbox must not borrow its provider's shapes either. Files scanned: `.ts`, `.tsx`, `.mts`, `.cts`,
 * `.js`, `.mjs`, `.cjs` (with `.d.ts`) below `dir`, `node_modules` excepted.
 *
 * @example
 * assertSandboxIndependent(fileURLToPath(new URL('../src/sandbox', import.meta.url)), [
 *   '@trainlytics/core/testing',
 *   { specifier: '@trainlytics/core', typeOnly: true },
 * ]);
 */
export function assertSandboxIndependent(dir: string, allowed: readonly SandboxImportAllowance[] = []): void {
  const root = resolve(dir);
  const owner = owningPackage(root);
  const files = sourceFiles(root);
  if (files.length === 0) throw new Error(`assertSandboxIndependent: no source files under ${root}`);
  const problems: string[] = [];
  for (const file of files) {
    for (const { specifier, line, typeOnly } of importReferences(readFileSync(file, 'utf8'))) {
      const reason = refusal(specifier, typeOnly, file, root, owner, allowed);
      if (reason) problems.push(`  ${relative(root, file)}:${line} ${reason}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `The sandbox in ${root} imports from outside itself (a sandbox must not share the plugin's code):\n${problems.join('\n')}`,
    );
  }
}

function refusal(
  specifier: string | null,
  typeOnly: boolean,
  file: string,
  root: string,
  owner: string | null,
  allowed: readonly SandboxImportAllowance[],
): string | null {
  if (specifier === null)
    return 'imports a computed specifier (import(expr) or require(expr)), which cannot be checked';
  const matches = (a: string | RegExp) => (typeof a === 'string' ? a === specifier : a.test(specifier));
  const allowance = (a: SandboxImportAllowance) =>
    typeof a === 'string' || a instanceof RegExp ? matches(a) : typeOnly && matches(a.specifier);
  if (allowed.some(allowance)) return null;
  if (specifier.startsWith('.')) {
    const target = relative(root, resolve(dirname(file), specifier));
    return target.startsWith('..') || isAbsolute(target)
      ? `imports '${specifier}', outside the sandbox folder`
      : null;
  }
  if (isAbsolute(specifier)) return `imports the absolute path '${specifier}'`;
  if (specifier.startsWith('#')) return `imports '${specifier}', a package import of the plugin's package`;
  if (specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!)) return null;
  const name = packageName(specifier);
  if (owner !== null && name === owner) return `imports '${specifier}', the package the sandbox belongs to`;
  const scope = owner?.startsWith('@') ? owner.split('/')[0] : null;
  if (scope && name.startsWith(`${scope}/`)) {
    return `imports '${specifier}', a package of the plugin's own scope (allow it explicitly if it is generic)`;
  }
  return null;
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The `name` of the nearest package.json at or above `dir`, or null. */
function owningPackage(dir: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    try {
      const name = (JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { name?: unknown }).name;
      return typeof name === 'string' ? name : null;
    } catch {
      if (dirname(at) === at) return null;
    }
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}
