/**
 * A structured logger, injected. Trainlytics never passes a token to it: fields are redacted by
 * `redactSecrets` before they are logged.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A logger writing one JSON line per entry to stderr, for `debug` and above when `verbose`. */
export function consoleLogger(options: { verbose?: boolean } = {}): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${JSON.stringify({ level, message, ...redactSecrets(fields ?? {}) })}\n`);
  return {
    debug: (m, f) => {
      if (options.verbose) write('debug', m, f);
    },
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

const secretKey = /token|secret|password|authorization|code_verifier|cookie|signature|api[-_]?key/i;

/** Replaces the values of secret-looking keys (deeply) with `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = secretKey.test(k) && v != null ? '[redacted]' : redactSecrets(v);
    }
    return out as T;
  }
  return value;
}
