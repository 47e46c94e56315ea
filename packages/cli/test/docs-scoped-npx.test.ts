import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// `npx trainlytics …` where @trainlytics/cli is not installed downloads the unrelated, unscoped `trainlytics`
// package from the registry and runs it with DATABASE_URL in its environment. The docs name the CLI by its
// scoped package (`npx @trainlytics/cli …`) or a dev dependency; this keeps the bare form from coming back.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.git', '.turbo', '.trainlytics', 'coverage']);

/** A package runner (npx, npm exec, pnpm/yarn dlx, bunx), its flags, then the bare name `trainlytics`. */
export const BARE_RUNNER =
  /\b(?:npx|bunx|npm\s+exec|pnpm\s+dlx|pnpm\s+exec|yarn\s+dlx)\s+(?:-\S*\s+)*trainlytics(?![\w@/-])/;

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

describe('the docs never run the unscoped `trainlytics` package', () => {
  it('recognises the bare runner forms and lets the scoped and sandbox ones through', () => {
    for (const bad of [
      'npx trainlytics migrate up',
      'run `npx trainlytics`',
      'npx -y trainlytics serve',
      'npm exec -- trainlytics demo',
      'pnpm dlx trainlytics',
      'bunx trainlytics --help',
    ]) {
      expect(bad).toMatch(BARE_RUNNER);
    }
    for (const good of [
      'npx @trainlytics/cli migrate up',
      'npx trainlytics-sandbox-strava --port 4010',
      '`trainlytics migrate up` in a package.json script',
      'npx given the bare name `trainlytics`',
    ]) {
      expect(good).not.toMatch(BARE_RUNNER);
    }
  });

  it('in every markdown file of the repository (READMEs, SECURITY.md, docs/, changesets)', () => {
    const files = markdownFiles(root);
    const names = files.map((file) => relative(root, file));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'SECURITY.md', 'packages/cli/README.md']));
    const offending = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) =>
          BARE_RUNNER.test(line) ? [`${relative(root, file)}:${index + 1}: ${line.trim()}`] : [],
        ),
    );
    expect(offending).toEqual([]);
  });
});
