import { readFileSync } from 'node:fs';
import { formatQueueScale } from '../src/queue-scale-report';
const rs = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
console.log(formatQueueScale(rs).join('\n'));
