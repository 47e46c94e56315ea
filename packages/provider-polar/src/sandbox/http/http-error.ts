/** An API error answer, thrown by a route and written by the router as JSON with rate-limit headers. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** Polar's 403: the token's user is not registered, or has not accepted the mandatory consents. */
export function forbidden(message: string): HttpError {
  return new HttpError(403, { status: 403, errorType: 'Forbidden', message });
}

export function notFound(message: string): HttpError {
  return new HttpError(404, { status: 404, message });
}
