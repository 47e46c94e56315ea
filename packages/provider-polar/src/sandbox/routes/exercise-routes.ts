import { generateExerciseDetail } from '../generate-samples';
import { notFound } from '../http/http-error';
import { type ExerciseFacts, toSnakeExercise } from '../polar-history';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import type { Account } from '../state/accounts';
import { exerciseCount, exerciseFacts, exerciseIndex, isServed } from '../state/exercises';

/**
 * The current exercise endpoints: `GET /v3/exercises` (the last 30 days' uploads, snake_case, hashed ids)
 * and `GET /v3/exercises/{id}[?samples=true&zones=true&route=true]`.
 */
export async function exerciseRoute(
  ctx: SandboxContext,
  account: Account,
  parts: string[],
  { url, res }: SandboxRequest,
): Promise<boolean> {
  const id = parts[1];
  if (id === undefined) {
    await listExercises(ctx, account, res);
    return true;
  }
  if (parts.length !== 2) return false;
  const index = exerciseIndex(account, id);
  // "Only Exercises uploaded to Flow in the last 30 days are available" (Get exercise)
  if (index === null || !isServed(account, index, ctx.clock.now().getTime(), served(ctx))) {
    throw notFound(`Exercise ${id} not found`);
  }
  const facts = exerciseFacts(account, index);
  ctx.respond.json(res, 200, {
    ...toSnakeExercise(facts, ctx.apiUrl(), account.polarUserId),
    ...detailParts(ctx, facts, url.searchParams),
  });
  return true;
}

function served(ctx: SandboxContext) {
  return { window: true, hideUploadsBeforeRegistration: !!ctx.options.hideUploadsBeforeRegistration };
}

/** The indexes of the exercises `GET /v3/exercises` lists now, in upload order, one at a time. */
export function* listedExerciseIndexes(ctx: SandboxContext, account: Account): Generator<number> {
  const now = ctx.clock.now().getTime();
  const total = exerciseCount(account);
  for (let i = 0; i < total; i++) if (isServed(account, i, now, served(ctx))) yield i;
}

/** The optional parts of an exercise its query asks for (`samples`, `zones`, `route`), when it has them. */
function detailParts(
  ctx: SandboxContext,
  facts: ExerciseFacts,
  query: URLSearchParams,
): Record<string, unknown> {
  const asked = (name: string) => query.get(name) === 'true';
  if (!asked('samples') && !asked('zones') && !asked('route')) return {};
  const detail = generateExerciseDetail(facts);
  const out: Record<string, unknown> = {};
  if (asked('zones') && detail.heart_rate_zones.length > 0) out.heart_rate_zones = detail.heart_rate_zones;
  if (asked('samples') && detail.samples.length > 0) out.samples = detail.samples;
  if (asked('route') && detail.route.length > 0) out.route = detail.route;
  return asked('samples') ? ctx.faults.maybeMalformed(out, 'samples') : out;
}

/** Streams `GET /v3/exercises`: generated item by item, written in chunks of 500. */
async function listExercises(
  ctx: SandboxContext,
  account: Account,
  res: SandboxRequest['res'],
): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json', ...ctx.rateLimit.headers() });
  if (ctx.faults.takeInvalidJson()) {
    res.end('[{"id":"truncated","upload_time":');
    return;
  }
  let malformed = ctx.faults.takeMalformedListing();
  let chunk: string[] = [];
  let first = true;
  const flush = async () => {
    if (chunk.length === 0) return;
    const text = (first ? '' : ',') + chunk.join(',');
    first = false;
    chunk = [];
    if (!res.write(text)) await new Promise((resolve) => res.once('drain', resolve));
  };
  res.write('[');
  for (const i of listedExerciseIndexes(ctx, account)) {
    let item = toSnakeExercise(exerciseFacts(account, i), ctx.apiUrl(), account.polarUserId);
    if (malformed > 0) {
      malformed--;
      item = { ...item, start_time: 12345 };
    }
    chunk.push(JSON.stringify(item));
    if (chunk.length >= 500) await flush();
  }
  await flush();
  res.end(']');
}
