import pg from 'pg';
import { ADMIN_URL } from './helpers.js';

/** Supabase's API roles (service_role bypasses RLS). Roles are cluster-wide: created if missing, never dropped. */
export async function ensureSupabaseRoles(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (const [role, options] of [
      ['anon', 'nologin'],
      ['authenticated', 'nologin'],
      ['service_role', 'nologin bypassrls'],
    ] as const) {
      try {
        await admin.query(`do $$ begin
          if not exists (select 1 from pg_roles where rolname = '${role}') then create role ${role} ${options}; end if;
        end $$`);
      } catch (error) {
        // Another process created it at the same moment.
        if (!['42710', '23505', 'XX000'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
  } finally {
    await admin.end();
  }
}

/**
 * What a Supabase project does to its database before anyone migrates: the API roles may use the schema, and
 * every table, sequence and function created later in it is granted to them.
 */
export const SUPABASE_DEFAULT_PRIVILEGES = `
  grant usage on schema public to anon, authenticated, service_role;
  alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
  alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;
  alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
`;
