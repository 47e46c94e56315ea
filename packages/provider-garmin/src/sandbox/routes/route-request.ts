import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as the router hands it to a route: the parsed URL and the upper-case method. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
}
