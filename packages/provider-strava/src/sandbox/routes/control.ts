import type { ServerResponse } from 'node:http';
import { handleSandboxControl } from '@trainlytics/core/testing';
import type { SandboxState } from '../sandbox-state';
import { sendWebhook } from '../sandbox-webhooks';

/**
 * The sandbox-only control endpoints every Trainlytics sandbox serves (`/_sandbox/…`: add activities,
 * deliver a webhook), answered outside the request log, the faults and the rate limits. Resolves false
 * when the path is not a control endpoint.
 */
export function controlRoute(
  state: SandboxState,
  request: { method: string; path: string; body: string },
  res: ServerResponse,
): Promise<boolean> {
  const target = {
    hasAccount: (id: string) => state.athletes.has(id),
    addActivities: async (id: string, count: number) => state.athletes.addUploadedNow(id, count),
    sendWebhook: (event: Parameters<typeof sendWebhook>[1], to?: string) => sendWebhook(state, event, to),
  };
  return handleSandboxControl(target, request, res);
}
