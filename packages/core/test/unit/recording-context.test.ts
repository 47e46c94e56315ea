import { describe, expect, it } from 'vitest';
import { createRecordingContext } from '../../src/testing';

const connection = { id: 7, userId: 1, providerUserId: 'u1', scopes: [], profile: {} };

describe('createRecordingContext', () => {
  it('records what the plugin would send, with core authorization, and answers with respond', async () => {
    const { ctx, sent } = createRecordingContext(
      { id: 'acme', name: 'Acme' },
      {
        connection,
        accessToken: 'tok-1',
        respond: () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } }),
      },
    );
    const answer = await ctx.http.request({
      method: 'POST',
      url: 'https://api.acme.test/v1/things?x=1',
      auth: 'user',
      json: { a: 1 },
      operation: 'create thing',
    });
    expect(answer.data).toEqual({ ok: true });
    expect(sent).toEqual([
      { method: 'POST', url: 'https://api.acme.test/v1/things?x=1', authorization: 'Bearer tok-1' },
    ]);
    expect(ctx.connection).toBe(connection);
  });

  it('answers 200 [] by default and does not retry a failure', async () => {
    const quiet = createRecordingContext({ id: 'acme', name: 'Acme' }, { connection });
    expect((await quiet.ctx.http.request({ url: 'https://api.acme.test/list', auth: 'user' })).data).toEqual(
      [],
    );
    const failing = createRecordingContext(
      { id: 'acme', name: 'Acme' },
      { connection, respond: () => new Response('down', { status: 503 }) },
    );
    await expect(
      failing.ctx.http.request({ url: 'https://api.acme.test/list', auth: 'user' }),
    ).rejects.toThrow();
    expect(failing.sent).toHaveLength(1);
  });
});
