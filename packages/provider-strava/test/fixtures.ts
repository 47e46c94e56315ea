import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The raw text of a fixture in `src/__fixtures__` (payloads shaped like the Strava API reference). */
export function fixtureText(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../src/__fixtures__/${name}`, import.meta.url)), 'utf8');
}
