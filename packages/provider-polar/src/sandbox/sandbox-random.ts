import { mulberry32 } from '@trainlytics/core/testing';

/** Small deterministic helpers: every generated value derives from a seed and an index, never from state. */

/** 32-bit FNV-1a of a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a fast seeded PRNG returning floats in [0, 1). */
export const createRandom = mulberry32;

/** A PRNG for one item of one history. */
export function randomFor(seed: number, index: number): () => number {
  return createRandom(hash32(`${seed}:${index}`));
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function base62(n: number, width = 0): string {
  let out = '';
  let v = Math.floor(Math.abs(n));
  do {
    out = alphabet[v % 62] + out;
    v = Math.floor(v / 62);
  } while (v > 0);
  return out.padStart(width, 'A');
}
