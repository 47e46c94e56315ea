/**
 * The SQL creating one of the runner's bookkeeping tables (`trainlytics_migrations`, `trainlytics_definitions`):
 * `create table if not exists`, RLS without policies, and no privilege for Supabase's API roles (their default
 * privileges grant every new table to anon / authenticated, TRUNCATE included, which RLS does not stop): only
 * the owner (the role that migrates) reads or writes the bookkeeping.
 */
export function bookkeepingTableSql(table: string, columns: string): string {
  return `create table if not exists ${table} (
${columns}
);
alter table ${table} enable row level security;
do $$
declare
  role_name text;
begin
  foreach role_name in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_roles where rolname = role_name)
       and has_table_privilege(role_name, '${table}', 'select, insert, update, delete, truncate, references, trigger') then
      execute format('revoke all on table ${table} from %I', role_name);
    end if;
  end loop;
end
$$;`;
}
