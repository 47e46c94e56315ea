import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small, real PostgREST-compatible RPC endpoint for tests: `POST /rest/v1/rpc/<fn>` runs
 * `select <fn>(<name> => $1, …)` with the JSON body's named arguments, answers with the function's JSON
 * result, and with PostgREST-shaped errors (`{ code, message, details, hint }`, 400/401/404/409). It checks
 * the service key like Supabase's gateway does (`apikey`, and `Authorization: Bearer` when sent).
 * supabase-js's real request code runs against it, so `supabaseStore` is tested on the real SQL.
 */
export interface PostgrestRpcServer {
  url: string;
  /** RPC calls answered so far, by function name. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

interface PgError {
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** PostgREST's mapping of SQLSTATEs to HTTP statuses (the part that matters here). */
function statusOf(code: string | undefined): number {
  if (!code) return 500;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42501') return 401;
  if (code === '23505' || code === '23503') return 409;
  if (/^(08|53|54|57|58|XX)/.test(code)) return 503;
  return 400;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startPostgrestRpcServer(options: {
  db: Queryable;
  serviceKey: string;
}): Promise<PostgrestRpcServer> {
  const calls = new Map<string, number>();

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = /^\/rest\/v1\/rpc\/([^/]+)$/.exec(url.pathname);
      if (req.method !== 'POST' || !match) {
        return send(res, 404, {
          code: 'PGRST000',
          message: `No route for ${req.method} ${url.pathname}`,
          details: null,
          hint: null,
        });
      }
      const bearer = req.headers.authorization;
      if (
        req.headers.apikey !== options.serviceKey ||
        (bearer && bearer !== `Bearer ${options.serviceKey}`)
      ) {
        return send(res, 401, {
          code: 'PGRST301',
          message: 'Invalid API key',
          details: null,
          hint: 'Use the service-role key',
        });
      }
      const fn = decodeURIComponent(match[1]!);
      const text = await readBody(req);
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const names = Object.keys(body);
      if (!IDENTIFIER.test(fn) || !names.every((name) => IDENTIFIER.test(name))) {
        return send(res, 400, {
          code: 'PGRST100',
          message: 'Invalid function or argument name',
          details: null,
          hint: null,
        });
      }
      // named notation: the argument names come from the JSON body, the values travel as parameters
      // (objects and arrays as JSON text, so that PostgreSQL resolves them to the declared json/jsonb type)
      const params = names.map((name) => {
        const value = body[name];
        return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
      });
      const sql = `select "${fn}"(${names.map((name, i) => `"${name}" => $${i + 1}`).join(', ')}) as result`;
      calls.set(fn, (calls.get(fn) ?? 0) + 1);
      try {
        const { rows } = await options.db.query(sql, params);
        return send(res, 200, rows[0]?.result ?? null);
      } catch (error) {
        const e = error as PgError;
        if (e.code === '42883') {
          return send(res, 404, {
            code: 'PGRST202',
            message: `Could not find the function public.${fn}(${names.join(', ')}) in the schema cache`,
            details: e.message ?? null,
            hint: null,
          });
        }
        return send(res, statusOf(e.code), {
          code: e.code ?? 'PGRST000',
          message: e.message ?? String(error),
          details: e.detail ?? null,
          hint: e.hint ?? null,
        });
      }
    } catch (error) {
      send(res, 500, { code: 'PGRST000', message: (error as Error).message, details: null, hint: null });
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
