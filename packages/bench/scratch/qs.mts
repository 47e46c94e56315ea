import { runQueueScale } from '../src/queue-scale-scenario';
const r = await runQueueScale({ connections: Number(process.argv[2] ?? 10000), quick: process.argv[3] === 'quick' });
console.log(JSON.stringify(r, null, 1));
process.exit(0);
