import { openBenchDatabase } from '../src/databases';
import { seedConnections } from '../src/queue-scale-seed';
const db = await openBenchDatabase('postgres');
const now = new Date();
const t0 = Date.now();
await seedConnections(db, { n: 100_000, now, spreadMs: 15 * 60_000 });
console.log('seed ms', Date.now() - t0);
const q = `explain (analyze, buffers) select id from provider_connections
      where is_active and not reauth_required
        and provider::text = any($1::text[])
        and coalesce(last_sync_at, '-infinity'::timestamptz) <= $2
      order by coalesce(last_sync_at, '-infinity'::timestamptz), id
      limit $3`;
for (const cutoffMin of [1, 15]) {
  const { rows } = await db.query(q, [['strava', 'garmin', 'polar'], new Date(now.getTime() - (15 - cutoffMin) * 60_000).toISOString(), 10_000]);
  console.log(`--- due ~${cutoffMin}/15`);
  console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
}
await db.close();
