import type { Clock } from '@trainlytics/core';

/** A clock at system time that `advance` moves forward (the sandbox's default clock). */
export function offsetClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    advance: (ms) => {
      offset += ms;
    },
  };
}
