import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as FastCheck from 'fast-check';
import { SANDBOX_CONTROL_PREFIX } from './sandbox-control';
import { afterAll, beforeAll, describe, expect, it } from './vitest-api';

/** The part of a provider sandbox the control suite drives (besides its HTTP server). */
export interface ControlledSandbox {
  readonly baseUrl: string;
  listen(): Promise<unknown>;
  close(): Promise<void>;
  seedAccount(options: { activityCount: number }): Promise<{ providerUserId: string }>;
  activityCount(providerUserId: string): Promise<number>;
}

export interface SandboxControlSuiteOptions {
  provider: string;
  /** Starts a sandbox whose default webhook URL is `webhookUrl`. */
  start(options: { webhookUrl: string }): Promise<ControlledSandbox>;
  /** Runs the package's sandbox CLI (`runSandboxCli`) without signal handlers; `log` gets every printed line. */
  runCli(argv: string[], log: (line: string) => void): Promise<{ close(): Promise<void> } | null | undefined>;
  /**
   * fast-check (`import fc from 'fast-check'`), passed in so `@trainlytics/core/testing` neither depends on it
   * nor names it in its published types.
   */
  fc: unknown;
}

interface Delivery {
  path: string;
  body: string;
}

/**
 * The sandbox-only control endpoints (`POST /_sandbox/activities`, `POST /_sandbox/webhooks`), the idempotent
 * `listen()` and the CLI's common flags and output, over real sockets: the same suite for every sandbox, so the
 * three stay consistent.
 */
export function runSandboxControlSuite(options: SandboxControlSuiteOptions): void {
  const fc = options.fc as typeof FastCheck;
  describe(`${options.provider} sandbox control endpoints`, () => {
    const deliveries: Delivery[] = [];
    let answer = { status: 202, body: 'taken by the app' };
    const receiver = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      deliveries.push({ path: req.url ?? '/', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer.status, { 'content-type': 'text/plain' });
      res.end(answer.body);
    });
    let receiverUrl = '';
    let sandbox: ControlledSandbox;
    let account = '';

    const post = async (path: string, body: unknown, method = 'POST') => {
      const res = await fetch(`${sandbox.baseUrl}${SANDBOX_CONTROL_PREFIX}/${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    beforeAll(async () => {
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
      sandbox = await options.start({ webhookUrl: `${receiverUrl}/default` });
      account = (await sandbox.seedAccount({ activityCount: 2 })).providerUserId;
    });
    afterAll(async () => {
      await sandbox?.close();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });

    it('adds exactly the activities asked for, with new distinct ids (property)', async () => {
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 12 }), async (count) => {
          const before = await sandbox.activityCount(account);
          const { status, body } = await post('activities', { account, count });
          expect(status).toBe(201);
          const ids = body.ids as string[];
          expect(ids).toHaveLength(count);
          for (const id of ids) {
            expect(typeof id).toBe('string');
            expect(seen.has(id)).toBe(false);
            seen.add(id);
          }
          expect(await sandbox.activityCount(account)).toBe(before + count);
        }),
        { numRuns: 15 },
      );
    });

    it('refuses a malformed request with a 4xx and changes nothing (property)', async () => {
      const bad = fc.oneof(
        fc.record({
          path: fc.constant('activities'),
          body: fc.record({ account: fc.constant('no-such-account') }),
        }),
        fc.record({
          path: fc.constant('activities'),
          body: fc.record({
            account: fc.constant('ACCOUNT'),
            count: fc.oneof(
              fc.integer({ max: 0 }),
              fc.integer({ min: 1001 }),
              fc.double({ noInteger: true }),
              fc.string(),
              fc.constant(null),
            ),
          }),
        }),
        fc.record({
          path: fc.constant('webhooks'),
          body: fc.record({
            account: fc.constant('ACCOUNT'),
            type: fc
              .string()
              .filter((t) => !['activity.created', 'activity.deleted', 'deauthorized'].includes(t)),
            activity: fc.constant('1'),
          }),
        }),
        fc.record({
          path: fc.constant('webhooks'),
          body: fc.record({ account: fc.constant('ACCOUNT'), type: fc.constant('activity.created') }),
        }),
        fc.record({
          path: fc.constantFrom('activities', 'webhooks'),
          body: fc.constantFrom('', 'not json', '[1]', 'null'),
        }),
        fc.record({
          path: fc.constantFrom('nope', 'activities/x'),
          body: fc.constant({ account: 'ACCOUNT' }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(bad, async ({ path, body }) => {
          const before = await sandbox.activityCount(account);
          const sent = deliveries.length;
          const input =
            typeof body === 'string'
              ? body
              : { ...body, account: body.account === 'ACCOUNT' ? account : body.account };
          const res = await post(path, input);
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(typeof res.body.error).toBe('string');
          expect(await sandbox.activityCount(account)).toBe(before);
          expect(deliveries.length).toBe(sent);
        }),
        { numRuns: 40 },
      );
      expect((await post('activities', { account: 'no-such-account' })).status).toBe(404);
      expect((await post('activities', null, 'GET')).status).toBe(405);
    });

    it('delivers the webhook of an added activity to the configured URL and answers what the app answered', async () => {
      const { body } = await post('activities', { account, count: 1 });
      const [id] = body.ids as [string];
      answer = { status: 202, body: 'taken by the app' };
      const sent = deliveries.length;
      const res = await post('webhooks', { account, type: 'activity.created', activity: id });
      expect(res).toEqual({ status: 200, body: { delivered: true, status: 202, body: 'taken by the app' } });
      expect(deliveries).toHaveLength(sent + 1);
      expect(deliveries.at(-1)!.path).toBe('/default');
      expect(deliveries.at(-1)!.body).toContain(id);

      answer = { status: 500, body: 'app down' };
      const other = await post('webhooks', {
        account,
        type: 'activity.created',
        activity: id,
        url: `${receiverUrl}/given`,
      });
      expect(other.body).toEqual({ delivered: true, status: 500, body: 'app down' });
      expect(deliveries.at(-1)!.path).toBe('/given');
      answer = { status: 202, body: 'taken by the app' };
    });

    it('listen() is idempotent: the same sandbox on the same address', async () => {
      const url = sandbox.baseUrl;
      const [a, b] = await Promise.all([sandbox.listen(), sandbox.listen()]);
      expect(a).toBe(sandbox);
      expect(b).toBe(sandbox);
      expect(await sandbox.listen()).toBe(sandbox);
      expect(sandbox.baseUrl).toBe(url);
      expect((await post('activities', { account, count: 1 })).status).toBe(201);
    });

    it('the CLI takes --accounts and --webhook-url and prints the seeded account ids', async () => {
      const lines: string[] = [];
      const cli = await options.runCli(
        ['--port', '0', '--accounts', '2', '--activities', '1', '--webhook-url', `${receiverUrl}/cli`],
        (line) => lines.push(line),
      );
      try {
        const url = /listening on (http:\/\/[^\s]+)/.exec(lines.join('\n'))?.[1];
        const seeded = lines.find((l) => l.startsWith('Seeded accounts: '));
        expect(url).toBeDefined();
        expect(seeded).toBeDefined();
        const ids = seeded!.slice('Seeded accounts: '.length).split(', ');
        expect(ids).toHaveLength(2);
        expect(lines.join('\n')).toContain(`${url}${SANDBOX_CONTROL_PREFIX}/activities`);
        for (const id of ids) {
          const res = await fetch(`${url}${SANDBOX_CONTROL_PREFIX}/activities`, {
            method: 'POST',
            body: JSON.stringify({ account: id }),
          });
          expect(res.status).toBe(201);
          const [activity] = ((await res.json()) as { ids: string[] }).ids;
          const hook = await fetch(`${url}${SANDBOX_CONTROL_PREFIX}/webhooks`, {
            method: 'POST',
            body: JSON.stringify({ account: id, type: 'activity.created', activity }),
          });
          expect(((await hook.json()) as { delivered: boolean }).delivered).toBe(true);
          expect(deliveries.at(-1)).toMatchObject({ path: '/cli' });
        }
      } finally {
        await cli?.close();
      }
    });
  });
}
