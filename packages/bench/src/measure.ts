/** Counts the SQL statements sent through a pg Pool or PGlite instance (a Proxy that forwards the rest). */
export interface StatementCounter {
  count: number;
}

export function countStatements<T extends object>(target: T, counter: StatementCounter): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if ((prop === 'query' || prop === 'exec') && typeof value === 'function') {
        return (...args: unknown[]) => {
          counter.count++;
          return (value as (...a: unknown[]) => unknown).apply(obj, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

/** The process's peak resident set size so far, in MiB (each scenario runs in its own process). */
export function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/**
 * Samples the resident set size every 10 ms while the measured work runs (setup such as migrating PGlite
 * is excluded): `stop()` returns the highest sample in MiB.
 */
export function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return Math.round((peak / 2 ** 20) * 10) / 10;
    },
  };
}
