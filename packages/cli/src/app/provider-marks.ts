import { html } from 'hono/html';

/**
 * Each provider's mark: a rounded square in a colour of its brand with a plain white shape (a chevron, a
 * triangle, a ring) — a sign to tell the providers apart at a glance, not the provider's logo (those are
 * trademarks). The colours are darkened so that the white shape stands out (WCAG AA contrast).
 */
const MARKS: Readonly<Record<string, { color: string; shape: string }>> = {
  strava: { color: '#b93a00', shape: 'M4 11l4-6 4 6' },
  garmin: { color: '#00609a', shape: 'M8 4l4.5 8h-9z' },
  polar: { color: '#b5001f', shape: 'M8 4.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7' },
};

/** A provider without a mark of its own: a grey square with a dot. */
const PLAIN_MARK = { color: '#4a5263', shape: 'M8 6.5a1.5 1.5 0 1 0 0 3a1.5 1.5 0 1 0 0-3' };

/**
 * A provider's mark followed by its name. The mark is decorative (hidden from screen readers, and no text
 * of its own): the name beside it says the same.
 */
export function providerHtml(id: string, name: string) {
  const mark = MARKS[id] ?? PLAIN_MARK;
  return html`<span class="provider-name" data-provider-mark="${id}"><svg class="mark" aria-hidden="true" focusable="false" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="${mark.color}"></rect><path d="${mark.shape}" fill="none" stroke="#fff" stroke-width="2" stroke-linejoin="round"></path></svg>${name}</span>`;
}
