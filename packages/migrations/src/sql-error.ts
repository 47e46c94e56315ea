/** The message and hint of an error thrown by the database driver (node-postgres or PGlite). */
export function describeSqlError(error: unknown): { reason: string; hint: string | undefined } {
  const e = error as { message?: string; hint?: string; where?: string };
  return { reason: e?.message ?? String(error), hint: e?.hint || undefined };
}
