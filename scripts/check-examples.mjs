#!/usr/bin/env node
// The examples/ host apps, checked as a newcomer would run them (issue 12):
// 1. count each example's code lines (the budget: under 60 lines of Trainlytics-specific code);
// 2. `npm pack` the packages, copy the example into a temporary directory outside the repo, point its
//    @trainlytics/* dependencies at the tarballs and `npm install` it (everything else from the registry);
// 3. typecheck it (`tsc --noEmit`, strict; Next: after `next build`, which generates its route types);
// 4. create a PostgreSQL database, `trainlytics migrate up` with the example's own CLI, insert the user;
// 5. start the three shell sandboxes (`trainlytics-sandbox-*` from the example's node_modules) and the
//    example's server over real sockets, then drive it with plain fetch: connect → the sandbox's consent
//    page (form posted as a browser would) → callback → first sync; Strava's subscription challenge; one
//    activity added and its webhook delivered per provider; the stored activities are checked in the
//    database and in the example's own listing.
// Usage: node scripts/check-examples.mjs [hono] [nextjs-app-router] [--keep]
//   --keep leaves the installed copy (and prints its path): `npm start` there runs the example.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { packPackages, publicPackages, root } from './lib/packages.mjs';

// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this script, not by a turbo task
const PG_ADMIN = process.env.TRAINLYTICS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const ACTIVITIES = 4; // seeded per sandbox account
const LINE_BUDGET = 60;

/** How each example is built and started; `sources` are the files counted against the line budget. */
const EXAMPLES = {
  hono: {
    sources: ['src/server.ts'],
    build: [],
    typecheck: ['tsc', '--noEmit'],
    start: (port) => ['tsx', 'src/server.ts', { PORT: String(port) }],
    listing: async (appUrl) => (await getJson(`${appUrl}/`)).activities.map((a) => a.providerActivityId),
  },
  'nextjs-app-router': {
    sources: [
      'lib/trainlytics.ts',
      'app/page.tsx',
      'app/connect/[provider]/route.ts',
      'app/callback/[provider]/route.ts',
      'app/webhooks/[provider]/route.ts',
    ],
    build: ['next', 'build'],
    typecheck: ['tsc', '--noEmit'],
    start: (port) => ['next', 'start', '-p', String(port), '-H', '127.0.0.1', {}],
    listing: async (appUrl) => {
      const response = await fetch(`${appUrl}/`);
      if (!response.ok) throw new Error(`GET / answered ${response.status}`);
      return await response.text();
    },
  },
};

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const names = args.filter((a) => !a.startsWith('--'));
const selected = names.length > 0 ? names : Object.keys(EXAMPLES);
for (const name of selected) {
  if (!EXAMPLES[name]) {
    console.error(`check-examples: unknown example "${name}" (known: ${Object.keys(EXAMPLES).join(', ')})`);
    process.exit(2);
  }
}

const children = new Set();
const cleanups = [];
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const step = async (label, fn) => {
  const started = Date.now();
  const result = await fn();
  console.log(`ok   ${label} (${seconds(started)})`);
  return result;
};

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trainlytics-examples-'));
const tarballs = await step('npm pack the packages', () =>
  packPackages(publicPackages(), fs.mkdirSync(path.join(work, 'tarballs'), { recursive: true })),
);

let failed = false;
for (const name of selected) {
  try {
    await checkExample(name, EXAMPLES[name]);
  } catch (error) {
    failed = true;
    console.error(`FAIL ${name}: ${error.stack ?? error}`);
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}
if (keep || failed) console.log(`installed examples kept in ${work}`);
else fs.rmSync(work, { recursive: true, force: true });
console.log(failed ? 'example checks failed' : 'example checks passed');
process.exit(failed ? 1 : 0);

async function checkExample(name, example) {
  const source = path.join(root, 'examples', name);
  const lines = example.sources.map((file) => [file, codeLines(path.join(source, file))]);
  const total = lines.reduce((sum, [, n]) => sum + n, 0);
  const detail = lines.map(([file, n]) => `${file} ${n}`).join(', ');
  if (total >= LINE_BUDGET)
    throw new Error(`${total} code lines (${detail}): the budget is under ${LINE_BUDGET}`);
  console.log(`ok   ${name}: ${total} code lines, blank lines and comments not counted (${detail})`);

  const dir = path.join(work, name);
  fs.cpSync(source, dir, {
    recursive: true,
    filter: (src) => !/(^|\/)(node_modules|\.next)(\/|$)/.test(path.relative(source, src)),
  });
  pointAtTarballs(dir);
  await step(`${name}: npm install (tarballs + registry)`, () =>
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir }),
  );
  const bin = (cmd) => path.join(dir, 'node_modules/.bin', cmd);
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
  if (example.build.length > 0) {
    await step(`${name}: ${example.build.join(' ')}`, () =>
      run(bin(example.build[0]), example.build.slice(1), { cwd: dir, env }),
    );
  }
  await step(`${name}: ${example.typecheck.join(' ')} (strict)`, () =>
    run(bin(example.typecheck[0]), example.typecheck.slice(1), { cwd: dir }),
  );
  await step(`${name}: connect, sync and webhooks against the three sandboxes`, () =>
    runAgainstSandboxes(name, example, dir, bin),
  );
}

/** Non-blank lines that are not only a comment. */
function codeLines(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length;
}

/** The example's @trainlytics/* dependencies come from the tarballs; the packages they need, through overrides. */
function pointAtTarballs(dir) {
  const file = path.join(dir, 'package.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  const direct = new Set();
  for (const field of ['dependencies', 'devDependencies']) {
    for (const dep of Object.keys(json[field] ?? {})) {
      if (!dep.startsWith('@trainlytics/')) continue;
      if (!tarballs.has(dep)) throw new Error(`${dep} is not a package of this repository`);
      json[field][dep] = `file:${tarballs.get(dep)}`;
      direct.add(dep);
    }
  }
  json.overrides = Object.fromEntries(
    [...tarballs].filter(([dep]) => !direct.has(dep)).map(([dep, tgz]) => [dep, `file:${tgz}`]),
  );
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

async function runAgainstSandboxes(name, example, dir, bin) {
  const database = `trainlytics_examples_${name.replace(/\W/g, '_')}_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${database}`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  });
  const databaseUrl = new URL(PG_ADMIN);
  databaseUrl.pathname = `/${database}`;
  run(bin('trainlytics'), ['migrate', 'up'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl.href },
  });
  const db = new pg.Client({ connectionString: databaseUrl.href });
  await db.connect();
  cleanups.push(() => db.end());
  const userId = (await db.query(`insert into users (email) values ('newcomer@example.com') returning id`))
    .rows[0].id;

  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const sandboxes = {};
  for (const provider of ['strava', 'garmin', 'polar']) {
    sandboxes[provider] = await startSandbox(bin(`trainlytics-sandbox-${provider}`), [
      '--port',
      '0',
      '--accounts',
      '1',
      '--activities',
      String(ACTIVITIES),
      '--webhook-url',
      `${appUrl}/webhooks/${provider}`,
    ]);
  }
  const [cmd, ...rest] = example.start(port);
  const startEnv = rest.pop();
  const app = spawnChild(bin(cmd), rest, {
    cwd: dir,
    env: {
      ...process.env,
      ...Object.assign({}, ...Object.values(sandboxes).map((s) => s.env)),
      ...startEnv,
      DATABASE_URL: databaseUrl.href,
      DEMO_USER_ID: String(userId),
      TRAINLYTICS_ENCRYPTION_KEY: 'ab'.repeat(32),
      NEXT_TELEMETRY_DISABLED: '1',
    },
  });
  await until(`${name} answers GET /`, async () => (await fetch(appUrl).catch(() => null))?.ok === true, app);

  const count = async (provider) =>
    Number(
      (
        await db.query('select count(*) from activities where user_id = $1 and provider = $2', [
          userId,
          provider,
        ])
      ).rows[0].count,
    );
  for (const provider of Object.keys(sandboxes)) {
    await connect(appUrl, provider);
    const connection = await db.query(
      'select is_active, reauth_required, last_error from provider_connections where user_id = $1 and provider = $2',
      [userId, provider],
    );
    const row = connection.rows[0];
    if (connection.rowCount !== 1 || !row.is_active || row.reauth_required) {
      throw new Error(`${provider}: the connection is ${JSON.stringify(connection.rows)}`);
    }
  }
  // Strava and Polar are synced in the callback; Garmin's backfill arrives by webhook from the sandbox.
  for (const provider of Object.keys(sandboxes)) {
    await until(
      `${provider}: ${ACTIVITIES} activities stored`,
      async () => (await count(provider)) === ACTIVITIES,
      app,
    );
  }

  const challenge = await fetch(
    `${appUrl}/webhooks/strava?hub.mode=subscribe&hub.challenge=c-123&hub.verify_token=${sandboxes.strava.env.STRAVA_WEBHOOK_VERIFY_TOKEN}`,
  );
  const challengeBody = await challenge.text();
  if (challenge.status !== 200 || JSON.parse(challengeBody)['hub.challenge'] !== 'c-123') {
    throw new Error(`Strava's subscription challenge answered ${challenge.status} ${challengeBody}`);
  }
  const wrongToken = await fetch(
    `${appUrl}/webhooks/strava?hub.mode=subscribe&hub.challenge=c&hub.verify_token=x`,
  );
  if (wrongToken.status < 400 || wrongToken.status >= 500) {
    throw new Error(`a challenge with a wrong verify token answered ${wrongToken.status}`);
  }

  const added = [];
  for (const [provider, sandbox] of Object.entries(sandboxes)) {
    const { ids } = await postJson(`${sandbox.url}/_sandbox/activities`, {
      account: sandbox.account,
      count: 1,
    });
    const delivery = await postJson(`${sandbox.url}/_sandbox/webhooks`, {
      account: sandbox.account,
      type: 'activity.created',
      activity: ids[0],
    });
    if (!delivery.delivered || delivery.status !== 200) {
      throw new Error(`${provider}: the webhook was answered ${JSON.stringify(delivery)}`);
    }
    await until(
      `${provider}: the webhook's activity stored`,
      async () => (await count(provider)) === ACTIVITIES + 1,
      app,
    );
    const row = await db.query(
      'select name from activities where user_id = $1 and provider = $2 and provider_activity_id = $3',
      [userId, provider, ids[0]],
    );
    if (row.rowCount !== 1) throw new Error(`${provider}: activity ${ids[0]} is not the one stored`);
    added.push({ provider, id: ids[0], name: row.rows[0].name });
  }

  const listing = await example.listing(appUrl);
  for (const activity of added) {
    const shown = Array.isArray(listing)
      ? listing.includes(activity.id)
      : decodeEntities(listing).includes(`${activity.provider} `) &&
        decodeEntities(listing).includes(activity.name);
    if (!shown) throw new Error(`the listing does not show ${activity.provider} activity ${activity.id}`);
  }
}

/** GET /connect/:provider → the consent page → approve → the callback → the example redirects home. */
async function connect(appUrl, provider) {
  const start = await fetch(`${appUrl}/connect/${provider}`, { redirect: 'manual' });
  const consentUrl = start.headers.get('location');
  if (start.status !== 302 || !consentUrl) {
    throw new Error(`GET /connect/${provider} answered ${start.status}: ${await start.text()}`);
  }
  const page = await fetch(consentUrl);
  const html = await page.text();
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`${provider}: no consent form at ${consentUrl}`);
  const fields = new URLSearchParams();
  for (const [tag] of form[2].matchAll(/<input[^>]*>/gi)) {
    const attr = (n) => new RegExp(`\\s${n}="([^"]*)"`, 'i').exec(tag)?.[1];
    const flag = (n) => new RegExp(`\\s${n}(\\s|>|=)`, 'i').test(tag);
    if (!attr('name') || flag('disabled')) continue;
    if (['checkbox', 'radio'].includes(attr('type') ?? '') && !flag('checked')) continue;
    fields.append(attr('name'), decodeEntities(attr('value') ?? 'on'));
  }
  for (const [, selectName, options] of form[2].matchAll(
    /<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/gi,
  )) {
    fields.append(selectName, decodeEntities(/<option[^>]*value="([^"]*)"/i.exec(options)[1]));
  }
  fields.append('decision', 'approve');
  const approved = await fetch(new URL(form[1], consentUrl), {
    method: 'POST',
    body: fields,
    redirect: 'manual',
  });
  const callbackUrl = approved.headers.get('location');
  if (![302, 303].includes(approved.status) || !callbackUrl) {
    throw new Error(`${provider}: the consent form answered ${approved.status}: ${await approved.text()}`);
  }
  const callback = await fetch(callbackUrl, { redirect: 'manual' });
  const home = callback.headers.get('location');
  if (![302, 303, 307].includes(callback.status) || new URL(home ?? 'x:', appUrl).pathname !== '/') {
    throw new Error(`${provider}: the callback answered ${callback.status}: ${await callback.text()}`);
  }
}

/** Starts a shell sandbox; resolves with its URL, seeded account and the variables it prints. */
function startSandbox(command, args) {
  const child = spawnChild(command, args, { cwd: root, env: process.env });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('/_sandbox/webhooks')) return;
      const env = Object.fromEntries([...out.matchAll(/^\s*export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
      resolve({
        url: /listening on (http:\/\/\S+)/.exec(out)[1],
        account: /Seeded accounts: (\S+)/.exec(out)[1],
        env,
      });
    });
    child.on('exit', (code) =>
      reject(new Error(`${path.basename(command)} exited ${code}: ${out}${child.err}`)),
    );
  });
}

function spawnChild(command, args, options) {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.err = '';
  child.out = '';
  child.stdout.on('data', (chunk) => {
    child.out = (child.out + chunk).slice(-20_000);
  });
  child.stderr.on('data', (chunk) => {
    child.err = (child.err + chunk).slice(-20_000);
  });
  child.on('exit', () => children.delete(child));
  cleanups.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  return child;
}

/** Polls a condition of another process (the app, a sandbox's delivery) until it holds, up to 60 s. */
async function until(what, check, app) {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (app.exitCode !== null)
      throw new Error(`the app exited (${app.exitCode}) waiting for ${what}:\n${app.out}${app.err}`);
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; the app printed:\n${app.out}${app.err}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  return await response.json();
}

async function postJson(url, body) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  return await response.json();
}

function decodeEntities(text) {
  return text
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function run(command, args, options) {
  try {
    return execFileSync(command, args, { stdio: 'pipe', encoding: 'utf8', ...options });
  } catch (error) {
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
  }
}
