import { createHash, randomBytes } from 'node:crypto';
import { testAdminUrl } from '@trainlytics/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type LatencyProxy, startLatencyProxy } from '../src/latency-proxy';
import { spawnLatencyProxy } from '../src/latency-proxy-process';

/** A pg client to the test server's admin database, connected through `proxy`. */
async function clientThrough(proxy: { host: string; port: number }): Promise<pg.Client> {
  const url = new URL(testAdminUrl());
  const client = new pg.Client({
    host: proxy.host,
    port: proxy.port,
    user: decodeURIComponent(url.username) || 'postgres',
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: url.pathname.slice(1) || 'postgres',
  });
  await client.connect();
  return client;
}

function target() {
  const url = new URL(testAdminUrl());
  return { host: url.hostname, port: Number(url.port || 5432) };
}

describe('the latency-injecting TCP proxy, in front of a real PostgreSQL', () => {
  let proxy: LatencyProxy | undefined;
  let client: pg.Client | undefined;
  afterEach(async () => {
    await client?.end();
    await proxy?.close();
    client = undefined;
    proxy = undefined;
  });

  it('forwards the bytes unchanged in both directions, large messages included', async () => {
    proxy = await startLatencyProxy({ target: target(), rttMs: 2 });
    client = await clientThrough(proxy);
    // up: a 600 KB parameter the server hashes; down: a multi-chunk result the client hashes
    const sent = randomBytes(300_000).toString('hex');
    const { rows } = await client.query<{ md5: string; echoed: string; big: string }>(
      `select md5($1::text) as md5, $1::text as echoed, repeat(md5($1::text), 100000) as big`,
      [sent],
    );
    const md5 = createHash('md5').update(sent).digest('hex');
    expect(rows[0]!.md5).toBe(md5);
    expect(rows[0]!.echoed).toBe(sent);
    expect(rows[0]!.big).toBe(md5.repeat(100_000));
    expect(proxy.stats.upBytes).toBeGreaterThan(600_000);
    expect(proxy.stats.downBytes).toBeGreaterThan(3_800_000);
    expect(proxy.stats.downChunks).toBeGreaterThan(1);
  });

  it('makes every query round trip take at least the configured round-trip time', async () => {
    const rttMs = 30;
    proxy = await startLatencyProxy({ target: target(), rttMs });
    client = await clientThrough(proxy);
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const { rows } = await client.query<{ n: number }>('select $1::int + 1 as n', [i]);
      const elapsed = performance.now() - started;
      expect(rows[0]!.n).toBe(i + 1);
      expect(elapsed).toBeGreaterThanOrEqual(rttMs);
    }
    // five queries in sequence: five round trips
    const started = performance.now();
    for (let i = 0; i < 5; i++) await client.query('select 1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(5 * rttMs);
  });

  it('forwards without delay at 0 ms and ends both sides when the client leaves', async () => {
    proxy = await startLatencyProxy({ target: target(), rttMs: 0 });
    client = await clientThrough(proxy);
    expect((await client.query<{ v: string }>(`select 'ok' as v`)).rows[0]!.v).toBe('ok');
    await client.end();
    client = undefined;
  });

  it('refuses a negative round-trip time', async () => {
    await expect(startLatencyProxy({ target: target(), rttMs: -1 })).rejects.toThrow(RangeError);
  });

  it('runs in a process of its own, with the same lower bound on a round trip', async () => {
    const rttMs = 20;
    const child = await spawnLatencyProxy(target(), rttMs);
    try {
      client = await clientThrough(child);
      const started = performance.now();
      const { rows } = await client.query<{ s: string }>('select $1::text as s', ['through the child']);
      expect(performance.now() - started).toBeGreaterThanOrEqual(rttMs);
      expect(rows[0]!.s).toBe('through the child');
      await client.end();
      client = undefined;
    } finally {
      await child.close();
    }
  });
});
