import type { DistanceUnits } from '../format';

/** The cookie that keeps the viewer's choice of units across pages and visits. */
export const UNITS_COOKIE = 'trainlytics_units';

/** Regions whose people read road and running distances in miles (United States, United Kingdom, Liberia, Myanmar). */
const MILE_REGIONS = new Set(['US', 'GB', 'LR', 'MM']);

/** `km` or `mi` from a query or cookie value; null for anything else. */
export function parseUnits(value: string | null | undefined): DistanceUnits | null {
  return value === 'km' || value === 'mi' ? value : null;
}

/**
 * The units an `Accept-Language` header suggests: the region of the most preferred tag that names one
 * (`en-US` → `mi`, `fr-FR` → `km`); `km` when no tag names a region (a bare `en` says nothing of where
 * its reader runs) or the header is absent or malformed.
 */
export function unitsFromAcceptLanguage(header: string | null | undefined): DistanceUnits {
  if (!header) return 'km';
  const tags = header
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
      const weight = q ? Number(q[1]) : 1;
      return { tag: tag.trim(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((t) => t.tag !== '' && t.tag !== '*' && t.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { tag } of tags) {
    let region: string | undefined;
    try {
      region = new Intl.Locale(tag).region;
    } catch {
      continue; // not a language tag
    }
    if (region) return MILE_REGIONS.has(region.toUpperCase()) ? 'mi' : 'km';
  }
  return 'km';
}

/**
 * The viewer's units: the page's `?units=` (the control on the page), else the cookie that keeps an
 * earlier choice, else what the browser's language suggests.
 */
export function resolveUnits(input: {
  query: string | null | undefined;
  cookie: string | null | undefined;
  acceptLanguage: string | null | undefined;
}): { units: DistanceUnits; chosen: boolean } {
  const fromQuery = parseUnits(input.query);
  if (fromQuery) return { units: fromQuery, chosen: true };
  const fromCookie = parseUnits(input.cookie);
  if (fromCookie) return { units: fromCookie, chosen: false };
  return { units: unitsFromAcceptLanguage(input.acceptLanguage), chosen: false };
}
