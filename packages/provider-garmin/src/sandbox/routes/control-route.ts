import { handleSandboxControl, type SandboxControlTarget } from '@trainlytics/core/testing';
import { readBody } from '../sandbox-http';
import type { RouteRequest } from './route-request';

/**
 * The sandbox-only control endpoints under `/_sandbox` (the same on every Trainlytics sandbox: core's
 * `handleSandboxControl`), outside the request log, faults and rate limits. True when answered; the body
 * is read either way.
 */
export async function handleControlRoute(
  target: SandboxControlTarget,
  { req, res, url, method }: RouteRequest,
): Promise<boolean> {
  const body = await readBody(req);
  return handleSandboxControl(target, { method, path: url.pathname, body }, res);
}
