import type { JsonValue } from '../../model/json';
import type { Clock } from '../../runtime/clock';
import type { Logger } from '../../runtime/logger';
import type { HttpClient } from './http';

/** What core hands a plugin for calls that are not on behalf of a connection (token endpoints, webhooks). */
export interface ProviderContext {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
}

/** The connection a call is made for. Never holds tokens: those stay inside core's HTTP client. */
export interface ConnectionInfo {
  /** Null while a connection is being created (during `connect.finish`). */
  id: number | null;
  /** The host app's user id. */
  userId: number;
  /** Null until the provider's account id is known. */
  providerUserId: string | null;
  scopes: string[];
  /** The stored `provider_profile`. */
  profile: { [key: string]: JsonValue };
}

/** A `ProviderContext` whose `http` can make `auth: 'user'` calls for one connection. */
export interface ConnectionContext extends ProviderContext {
  connection: ConnectionInfo;
}
