import type { Database } from '@trainlytics/migrations';

/**
 * The host app's own users (the `users` table). Trainlytics only needs a user id: a real app takes it
 * from its session; this demo host app lets you pick one with `?user=`.
 */
export interface AppUser {
  id: number;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

interface UserRow {
  id: number;
  email: string;
  first_name: string | null;
  last_name: string | null;
}

const toUser = (row: UserRow): AppUser => ({
  id: Number(row.id),
  email: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
});

export async function listUsers(db: Database, limit = 200): Promise<AppUser[]> {
  const { rows } = await db.query<UserRow>(
    'select id, email, first_name, last_name from users order by id limit $1',
    [limit],
  );
  return rows.map(toUser);
}

export async function getUser(db: Database, id: number): Promise<AppUser | null> {
  const { rows } = await db.query<UserRow>(
    'select id, email, first_name, last_name from users where id = $1',
    [id],
  );
  return rows[0] ? toUser(rows[0]) : null;
}

/** Creates the user, or returns the existing one with that email. */
export async function ensureUser(
  db: Database,
  input: { email: string; firstName?: string | null; lastName?: string | null },
): Promise<AppUser> {
  const { rows } = await db.query<UserRow>(
    `insert into users (email, first_name, last_name) values ($1, $2, $3)
     on conflict (email) do update set email = excluded.email
     returning id, email, first_name, last_name`,
    [input.email, input.firstName ?? null, input.lastName ?? null],
  );
  return toUser(rows[0]!);
}

export function displayName(user: AppUser): string {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ');
  return name ? `${name} <${user.email}>` : user.email;
}
