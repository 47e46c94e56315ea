import type { ConformanceWebhookEvent, SandboxWebhookResponse } from '@trainlytics/core/testing';
import { handleSandboxControl } from '@trainlytics/core/testing';
import type { SandboxContext, SandboxRequest } from '../sandbox-context';

/** What the control endpoints do, supplied by the sandbox (they are its public methods). */
export interface SandboxControlActions {
  addActivities(providerUserId: string, count: number): Promise<string[]>;
  sendWebhook(event: ConformanceWebhookEvent, url?: string): Promise<SandboxWebhookResponse | null>;
}

/**
 * The sandbox-only control endpoints every Trainlytics sandbox has (`POST /_sandbox/activities`,
 * `POST /_sandbox/webhooks`: core's `handleSandboxControl`); true when the request was one of them.
 */
export function controlRoute(
  ctx: SandboxContext,
  actions: SandboxControlActions,
  { method, url, body, res }: SandboxRequest,
): Promise<boolean> {
  const control = {
    hasAccount: (id: string) => /^\d+$/.test(id) && ctx.accounts.has(Number(id)),
    addActivities: (id: string, count: number) => actions.addActivities(id, count),
    sendWebhook: (event: ConformanceWebhookEvent, to?: string) => actions.sendWebhook(event, to),
  };
  return handleSandboxControl(control, { method, path: url.pathname, body }, res);
}
