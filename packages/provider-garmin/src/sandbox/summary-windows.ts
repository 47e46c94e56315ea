/** Inclusive (`[`, `]`) or exclusive (`(`, `)`) window bounds. */
export type WindowBounds = '[)' | '[]' | '()' | '(]';

/** The bounds the sandbox reads windows with unless told otherwise: start included, end excluded. */
export const DEFAULT_WINDOW_BOUNDS: WindowBounds = '[)';

/** Whether `t` is in the window `from…to` under `bounds` (see the sandbox option `windowBounds`). */
export function inWindow(t: number, fromS: number, toS: number, bounds: WindowBounds): boolean {
  const afterStart = bounds[0] === '[' ? t >= fromS : t > fromS;
  const beforeEnd = bounds[1] === ']' ? t <= toS : t < toS;
  return afterStart && beforeEnd;
}
