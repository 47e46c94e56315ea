#!/usr/bin/env node
// Packaging checks on the built output, as a user installing from npm would see it:
// 1. publint and @arethetypeswrong/cli on every package;
// 2. `npm pack` every package, install the tarballs into a temporary project outside the repo, then
//    import every entry point from ESM and from CJS (running) and typecheck both (tsc, nodenext).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packPackages, publicPackages, root } from './lib/packages.mjs';

const packages = publicPackages();

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: 'pipe', encoding: 'utf8', ...opts });
let failures = 0;
const fail = (msg, output) => {
  failures++;
  console.error(`FAIL ${msg}\n${output ?? ''}`);
};

for (const p of packages) {
  try {
    const out = run(path.join(root, 'node_modules/.bin/publint'), ['--strict', p.dir]);
    console.log(`ok   publint ${p.json.name}${/warn|suggest/i.test(out) ? `\n${out}` : ''}`);
  } catch (e) {
    fail(`publint ${p.json.name}`, `${e.stdout}${e.stderr}`);
  }
  try {
    run(
      path.join(root, 'node_modules/.bin/attw'),
      ['--pack', p.dir, '--profile', 'node16', '--format', 'ascii'],
      { cwd: p.dir },
    );
    console.log(`ok   attw ${p.json.name}`);
  } catch (e) {
    fail(`attw ${p.json.name}`, `${e.stdout}${e.stderr}`);
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trainlytics-consumer-'));
const tarballs = [...packPackages(packages, work).values()];
fs.writeFileSync(
  path.join(work, 'package.json'),
  JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
);
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const v = (name) => rootPkg.devDependencies[name];
run(
  'npm',
  [
    'install',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...tarballs,
    `typescript@${v('typescript')}`,
    `@types/node@${v('@types/node')}`,
    `pg@${v('pg')}`,
    `@types/pg@${v('@types/pg')}`,
    `@electric-sql/pglite@${v('@electric-sql/pglite')}`,
  ],
  { cwd: work },
);

const entries = [];
for (const p of packages) {
  for (const sub of Object.keys(p.json.exports)) {
    if (sub === './package.json' || sub.includes('*')) continue;
    if (sub === './testing') continue; // imports vitest, an optional peer; typechecked below
    entries.push(sub === '.' ? p.json.name : `${p.json.name}/${sub.slice(2)}`);
  }
}
const ident = (s) => s.replace(/[^a-zA-Z0-9]/g, '_');
fs.writeFileSync(
  path.join(work, 'esm.mjs'),
  entries
    .map(
      (e) =>
        `import * as ${ident(e)} from '${e}';\nif (Object.keys(${ident(e)}).length === 0) throw new Error('${e}: no exports');`,
    )
    .join('\n') + "\nconsole.log('esm ok');\n",
);
fs.writeFileSync(
  path.join(work, 'cjs.cjs'),
  entries
    .map(
      (e) =>
        `const ${ident(e)} = require('${e}');\nif (Object.keys(${ident(e)}).length === 0) throw new Error('${e}: no exports');`,
    )
    .join('\n') + "\nconsole.log('cjs ok');\n",
);
fs.writeFileSync(
  path.join(work, 'types.mts'),
  `import { createTrainlytics, type ProviderV1, type Store } from '@trainlytics/core';\nimport { postgresStore } from '@trainlytics/core/postgres';\nimport { strava } from '@trainlytics/provider-strava';\nimport { garmin } from '@trainlytics/provider-garmin';\nimport { polar } from '@trainlytics/provider-polar';\nimport { migrate } from '@trainlytics/migrations';\nconst providers: ProviderV1[] = [strava({ clientId: 'a', clientSecret: 'b' }), garmin({ clientId: 'a', clientSecret: 'b' }), polar({ clientId: 'a', clientSecret: 'b' })];\nconst store: Store = postgresStore({ connectionString: 'postgres://localhost/x' });\nexport const t = createTrainlytics({ store, providers });\nexport const m: typeof migrate = migrate;\n`,
);
fs.writeFileSync(
  path.join(work, 'types.cts'),
  `import core = require('@trainlytics/core');\nimport strava = require('@trainlytics/provider-strava');\nexport const p: core.ProviderV1 = strava.strava({ clientId: 'a', clientSecret: 'b' });\n`,
);
fs.writeFileSync(
  path.join(work, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['types.mts', 'types.cts'],
    },
    null,
    2,
  ),
);
for (const [label, cmd, args] of [
  ['consumer ESM import', 'node', ['esm.mjs']],
  ['consumer CJS require', 'node', ['cjs.cjs']],
  [
    'consumer typecheck (nodenext, ESM + CJS)',
    path.join(work, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.json'],
  ],
]) {
  try {
    run(cmd, args, { cwd: work });
    console.log(`ok   ${label}`);
  } catch (e) {
    fail(label, `${e.stdout}${e.stderr}`);
  }
}
if (failures === 0) fs.rmSync(work, { recursive: true, force: true });
else console.error(`consumer project kept at ${work}`);
console.log(failures === 0 ? 'packaging checks passed' : `${failures} packaging check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
