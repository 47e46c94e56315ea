import { HttpError, notFound } from '../http/http-error';
import { toKebabExercise } from '../polar-history';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';
import type { Account } from '../state/accounts';
import { exerciseFacts, isServed } from '../state/exercises';
import { requireRegistered } from './auth-guards';

/**
 * The deprecated transactional flow, `/v3/users/{id}/exercise-transactions[/{tx}[/exercises/{exercise-id}]]`
 * (`parts` are the path segments after `/v3`): POST opens a transaction (201, or 204 when there is nothing
 * new), GET lists its exercise URLs, GET `…/exercises/{id}` serves one (kebab-case, integer id), PUT commits.
 */
export function transactionRoute(
  ctx: SandboxContext,
  account: Account,
  parts: string[],
  request: SandboxRequest,
): boolean {
  const { method, res } = request;
  const [, id, , txId, leaf, exerciseId] = parts;
  requireRegistered(ctx, account);
  if (parts.length === 3 && method === 'POST') {
    createTransaction(ctx, account, request);
    return true;
  }
  const tx = account.openTransaction;
  if (!tx || String(tx.id) !== txId) throw notFound(`No open transaction ${txId}`);
  if (parts.length === 4 && method === 'GET') {
    const exercises: string[] = [];
    for (let i = tx.from; i < tx.to; i++) {
      exercises.push(
        `${ctx.apiUrl()}/users/${id}/exercise-transactions/${tx.id}/exercises/${ctx.transactions.exerciseId(i)}`,
      );
    }
    ctx.respond.json(res, 200, { exercises });
    return true;
  }
  if (parts.length === 4 && method === 'PUT') {
    account.committed = tx.to;
    account.openTransaction = null;
    ctx.respond.empty(res, 200);
    return true;
  }
  if (parts.length === 6 && leaf === 'exercises' && method === 'GET') {
    const index = ctx.transactions.exerciseIndex(exerciseId ?? '');
    if (!Number.isInteger(index) || index < tx.from || index >= tx.to) {
      throw new HttpError(404, { status: 404, message: `No exercise ${exerciseId} in transaction ${tx.id}` });
    }
    const item = toKebabExercise(exerciseFacts(account, index), ctx.apiUrl(), account.polarUserId, tx.id);
    item.id = ctx.transactions.exerciseId(index);
    ctx.respond.json(res, 200, ctx.faults.maybeMalformed(item, 'start-time'));
    return true;
  }
  return false;
}

function createTransaction(ctx: SandboxContext, account: Account, { res }: SandboxRequest) {
  const now = ctx.clock.now().getTime();
  const served = {
    window: false,
    hideUploadsBeforeRegistration: !!ctx.options.hideUploadsBeforeRegistration,
  };
  const tx = ctx.transactions.open(account, (index) => isServed(account, index, now, served));
  if (!tx) return ctx.respond.empty(res, 204);
  return ctx.respond.json(res, 201, {
    'transaction-id': tx.id,
    'resource-uri': `${ctx.apiUrl()}/users/${account.polarUserId}/exercise-transactions/${tx.id}`,
  });
}
