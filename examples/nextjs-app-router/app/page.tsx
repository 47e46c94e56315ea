import { sportTypeDisplayName } from '@trainlytics/core';
import { trainlytics, userId } from '../lib/trainlytics';

export const dynamic = 'force-dynamic'; // read the database on every request

// The signed-in user's connections (never their tokens) and recent activities.
export default async function Home() {
  const connections = await trainlytics().connections.list({ userId });
  const activities = await trainlytics().activities.list({ userId, limit: 20 });
  return (
    <main>
      {trainlytics().providerIds.map((p) => (
        <a key={p} href={`/connect/${p}`}>{`Connect ${p} `}</a>
      ))}
      {connections.map((c) => (
        <p key={c.id}>{`${c.provider}: ${c.status}`}</p>
      ))}
      {activities.map((a) => (
        <p key={a.id}>{`${a.provider} ${sportTypeDisplayName(a.sportType)}: ${a.name}`}</p>
      ))}
    </main>
  );
}
