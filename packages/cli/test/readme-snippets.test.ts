import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A developer pastes a plugin README's usage snippet into a `strict` project: it must type-check. Only the
// host's own names are declared (the redirect URI, the request, a Hono-like `app`); every Trainlytics call
// is as written.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const HOST = `
declare const redirectUri: string;
declare const req: Request;
declare const app: { post(path: string, handler: (c: { req: { raw: Request } }) => Promise<Response>): void };
`;

function usageSnippet(markdown: string): string {
  // the block under "## Usage", else the README's first TypeScript block (Strava's opens the README)
  const usage = markdown.includes('## Usage') ? markdown.slice(markdown.indexOf('## Usage')) : markdown;
  const block = /```ts\n([\s\S]*?)```/.exec(usage)?.[1];
  expect(block, 'a ```ts usage block').toBeDefined();
  return block!;
}

describe.each(['provider-strava', 'provider-garmin', 'provider-polar'])('%s README usage', (pkg) => {
  it('compiles under strict (and noUncheckedIndexedAccess)', async () => {
    const markdown = await readFile(path.join(root, 'packages', pkg, 'README.md'), 'utf8');
    const dir = await mkdtemp(path.join(root, 'packages', 'cli', 'test', '.snippet-'));
    try {
      const file = path.join(dir, 'snippet.ts');
      await writeFile(file, `${usageSnippet(markdown)}\n${HOST}\nexport {};\n`);
      const program = ts.createProgram([file], {
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        customConditions: ['@trainlytics/source'],
        strict: true,
        noUncheckedIndexedAccess: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file?.fileName === file || d.file === undefined)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
