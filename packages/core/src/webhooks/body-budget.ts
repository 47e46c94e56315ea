/** The largest webhook body a plugin accepts when it does not set `webhooks.maxBodyBytes`: 1 MiB. */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

/** The default for `TrainlyticsOptions.webhookBodyBudgetBytes`: 128 MiB held at once, all deliveries together. */
export const DEFAULT_WEBHOOK_BODY_BUDGET_BYTES = 128 * 1024 * 1024;

/** What the budget has seen, for tests and metrics (`trainlytics.webhooks.bodyBytes()`). */
export interface WebhookBodyBytes {
  /** The budget: the most body bytes held at once, every in-flight delivery together. */
  limit: number;
  /** Reserved now, by deliveries being read or processed. */
  held: number;
  /** The most ever reserved at once. */
  peak: number;
  /** Body bytes read from requests since the instance started (refused ones included). */
  read: number;
  /** Deliveries answered 503 because the budget was exhausted. */
  refused: number;
}

/** One delivery's share of the budget: grown as its body arrives, released once it has been handled. */
export interface BodyReservation {
  /** Reserves `bytes` more; false (nothing reserved) when the budget cannot hold them. */
  grow(bytes: number): boolean;
  /** Counts bytes read from the request. */
  read(bytes: number): void;
  /** Gives everything back; idempotent. */
  release(): void;
}

/**
 * The bytes of webhook bodies one Trainlytics instance holds at once. A delivery reserves its declared
 * `content-length` before reading anything (or chunk by chunk without one); when the budget cannot hold
 * it, the delivery is answered 503 with `Retry-After` instead of being buffered, so concurrent large or
 * unauthenticated posts cannot grow the process without bound.
 */
export interface BodyBudget {
  open(): BodyReservation;
  refused(): void;
  bytes(): WebhookBodyBytes;
}

export function createBodyBudget(limit: number): BodyBudget {
  const state = { held: 0, peak: 0, read: 0, refused: 0 };
  return {
    open() {
      let mine = 0;
      return {
        grow(bytes) {
          if (state.held + bytes > limit) return false;
          state.held += bytes;
          mine += bytes;
          if (state.held > state.peak) state.peak = state.held;
          return true;
        },
        read(bytes) {
          state.read += bytes;
        },
        release() {
          state.held -= mine;
          mine = 0;
        },
      };
    },
    refused() {
      state.refused++;
    },
    bytes: () => ({ limit, ...state }),
  };
}
