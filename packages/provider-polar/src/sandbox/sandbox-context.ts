import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '@trainlytics/core';
import type { SandboxFaultInjection } from './fault-injection';
import type { SandboxResponses } from './http/responses';
import type { PolarSandboxServerOptions } from './sandbox-options';
import type { SandboxAccounts } from './state/accounts';
import type { SandboxRateLimit } from './state/rate-limit';
import type { SandboxTokens } from './state/tokens';
import type { SandboxTransactions } from './state/transactions';
import type { SandboxWebhooks } from './state/webhooks';

/** Everything a route reads or changes: the sandbox's settings and state, and how it answers. */
export interface SandboxContext {
  readonly options: PolarSandboxServerOptions;
  readonly clock: Clock;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly webhookSecret: string;
  /** `<origin>/v3`, known once the sandbox listens. */
  apiUrl(): string;
  readonly accounts: SandboxAccounts;
  readonly tokens: SandboxTokens;
  readonly transactions: SandboxTransactions;
  readonly webhooks: SandboxWebhooks;
  readonly rateLimit: SandboxRateLimit;
  readonly faults: SandboxFaultInjection;
  readonly respond: SandboxResponses;
  /** API and OAuth requests received (control endpoints excluded), for `requestCount`. */
  readonly requests: { method: string; path: string }[];
}

/** One request as the routes see it: its body already read. */
export interface SandboxRequest {
  method: string;
  url: URL;
  req: IncomingMessage;
  body: string;
  res: ServerResponse;
}
