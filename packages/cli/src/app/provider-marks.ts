import { html } from 'hono/html';

/**
 * Each provider's mark: a rounded square in a colour of its brand with its initial — a plain sign to tell
 * the providers apart at a glance, not the provider's logo (those are trademarks). The colours are
 * darkened so that white text on them meets WCAG AA.
 */
const MARKS: Readonly<Record<string, { color: string; letter: string }>> = {
  strava: { color: '#b93a00', letter: 'S' },
  garmin: { color: '#00609a', letter: 'G' },
  polar: { color: '#b5001f', letter: 'P' },
};

/**
 * A provider's mark followed by its name. The mark is decorative (hidden from screen readers): the name
 * beside it says the same. A provider without a mark gets a grey one with its initial.
 */
export function providerHtml(id: string, name: string) {
  const mark = MARKS[id] ?? { color: '#4a5263', letter: (name[0] ?? '?').toUpperCase() };
  return html`<span class="provider-name" data-provider-mark="${id}"><svg class="mark" aria-hidden="true" focusable="false" viewBox="0 0 16 16"><rect width="16" height="16" rx="4" fill="${mark.color}"></rect><text x="8" y="12" text-anchor="middle" font-size="11" font-weight="700" font-family="system-ui, sans-serif" fill="#fff">${mark.letter}</text></svg>${name}</span>`;
}
