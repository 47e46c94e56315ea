import type { Logger } from '@trainlytics/core';

export interface CapturedLog {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps every entry, serialized as the app would write it, so tests can grep it. */
export function capturingLogger(): Logger & { entries: CapturedLog[]; text(): string } {
  const entries: CapturedLog[] = [];
  const push = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    entries.push(fields ? { level, message, fields } : { level, message });
  };
  return {
    entries,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
    text: () =>
      entries
        .map((e) =>
          JSON.stringify(e, (_key, value: unknown) =>
            value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value,
          ),
        )
        .join('\n'),
  };
}
