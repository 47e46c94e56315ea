/**
 * Why PostgreSQL could not be reached, in words, for the one line a command prints: the runner's
 * `MigrationConnectionError` and every CLI command's database use it, so `3D000`, `28000` or
 * `ERR_INVALID_URL` never reach a person as a bare code.
 */

const NETWORK: Record<string, string> = {
  ECONNREFUSED: 'nothing accepts connections there: is PostgreSQL running on that host and port?',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved just now (DNS)',
  ETIMEDOUT: 'the server did not answer in time',
  EHOSTUNREACH: 'the host cannot be reached from this machine',
  ENETUNREACH: 'the network of that host cannot be reached from this machine',
  ECONNRESET: 'the server closed the connection',
};

const SQLSTATE: Record<string, string> = {
  '28P01': 'check the user and password in the database URL', // invalid_password
  '28000': 'check the user name in the database URL', // invalid_authorization_specification
  '3D000': 'create it, or fix the database name in the URL', // invalid_catalog_name
  '57P03': 'the server is starting or shutting down: try again in a moment', // cannot_connect_now
};

/** `postgres://user:password@host:port/database`, for messages about a URL that cannot be parsed. */
const URL_SHAPE =
  'not a valid URL: expected postgres://user:password@host:port/database (percent-encode special characters in the password)';

/**
 * The reason, in words, when `error` is a failure to connect (refused, unknown host, wrong user or
 * password, missing database, a URL node-postgres cannot parse); `null` for any other error.
 */
export function describeConnectionFailure(error: unknown): string | null {
  const e = (error ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.trim() : '';
  if (code === undefined) return null;
  if (code === 'ERR_INVALID_URL') return URL_SHAPE;
  const network = NETWORK[code];
  if (network) return `${code} (${network})`;
  const advice = SQLSTATE[code];
  if (advice) return `${message || `SQLSTATE ${code}`} (${advice})`;
  return null;
}
