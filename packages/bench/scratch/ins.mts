import { createSyncQueue, SYNC_QUEUE } from '@trainlytics/cli';
import { createTestDatabase } from '@trainlytics/core/testing';
const db = await createTestDatabase({ migrate: false, prefix: 'tl_bench_ins' });
const queue = createSyncQueue({ connectionString: db.connectionString });
await queue.start();
for (const [n, chunk] of [[10000, 10000], [10000, 1000], [10000, 10000]]) {
  await db.pool.query('delete from pgboss.job');
  const jobs = Array.from({ length: n }, (_, i) => ({ name: SYNC_QUEUE, data: { connectionId: i + 1, full: false }, singletonKey: String(i + 1) }));
  let t = performance.now();
  for (let i = 0; i < n; i += chunk) await queue.boss.insert(jobs.slice(i, i + chunk));
  const insMs = performance.now() - t;
  t = performance.now();
  const { rows } = await db.pool.query(`select singleton_key from pgboss.job where name = $1 and state = 'created' and singleton_key = any($2::text[])`, [SYNC_QUEUE, jobs.map((j) => j.singletonKey)]);
  console.log({ n, chunk, insMs: Math.round(insMs), checkMs: Math.round(performance.now() - t), found: rows.length });
}
const { rows } = await db.pool.query(`explain analyze select singleton_key from pgboss.job where name = $1 and state = 'created' and singleton_key = any($2::text[])`, [SYNC_QUEUE, ['1','2']]);
console.log(rows.map(r=>r['QUERY PLAN']).join('\n'));
await queue.stop(); await db.drop(); process.exit(0);
