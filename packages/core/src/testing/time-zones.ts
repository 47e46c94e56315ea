/**
 * Time zones whose offsets catch code that reads the process time zone (`new Date('2024-05-01T07:00:00')`
 * without a `Z`, `getHours()`, `setDate()`): non-whole-hour offsets with and without daylight saving time,
 * both ends of the offset range, and a southern-hemisphere DST. A mapping must give the same result in every
 * one of them as in UTC.
 */
export const AWKWARD_TIME_ZONES: readonly string[] = [
  'UTC',
  'Asia/Kathmandu', // +05:45
  'America/St_Johns', // -03:30, DST -02:30
  'Pacific/Chatham', // +12:45, DST +13:45
  'Australia/Lord_Howe', // +10:30, a half-hour DST (+11:00)
  'Australia/Eucla', // +08:45
  'Asia/Kolkata', // +05:30
  'Pacific/Kiritimati', // +14:00
  'Pacific/Pago_Pago', // -11:00
  'America/Sao_Paulo', // -03:00
];

/**
 * Runs `fn` with the process time zone set to `zone` (Node re-reads `process.env.TZ` when it is assigned),
 * then restores the previous one. Synchronous on purpose: no other code of the process runs meanwhile.
 */
export function withTimeZone<T>(zone: string, fn: () => T): T {
  const previous = process.env.TZ;
  process.env.TZ = zone;
  try {
    return fn();
  } finally {
    if (previous === undefined) delete process.env.TZ;
    else process.env.TZ = previous;
  }
}
