import { simulateDay } from '../src/simulated-day';
const n = Number(process.argv[2] ?? 10);
const r = await simulateDay({ connections: n, uploadsPerDay: 1, dropRate: 0.05, pollIntervalMs: 12 * 3_600_000, limit15: 100, dailyLimit: 1000, seed: 1 });
console.log(JSON.stringify(r, null, 1));
process.exit(0);
