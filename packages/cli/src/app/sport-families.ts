import {
  type SportFamily as MatchingFamily,
  type SportType,
  sportTypeDisplayName,
  sportTypeFamily,
} from '@trainlytics/core';
import { html } from 'hono/html';

/**
 * The families the dashboard groups the sport vocabulary into: one icon and one filter choice each,
 * rather than a drawing per id. Every id of `SPORT_TYPE_DEFINITIONS` has a family (a test checks it); an
 * id outside the vocabulary (a row written by a newer SDK) is `other`.
 */
export const SPORT_FAMILIES = [
  { id: 'run', label: 'Running' },
  { id: 'ride', label: 'Cycling' },
  { id: 'swim', label: 'Swimming' },
  { id: 'walk', label: 'Walking & hiking' },
  { id: 'winter', label: 'Winter sports' },
  { id: 'water', label: 'Water sports' },
  { id: 'gym', label: 'Gym & fitness' },
  { id: 'other', label: 'Other sports' },
] as const;

export type SportFamily = (typeof SPORT_FAMILIES)[number]['id'];

/**
 * The dashboard's families are coarser than the families core matches activities by (`SPORT_TYPE_FAMILIES`):
 * each of those falls into one of these, except on foot, where the dashboard tells running from walking.
 */
const FROM_MATCHING_FAMILY: Readonly<Record<MatchingFamily, SportFamily>> = {
  foot: 'run',
  cycling: 'ride',
  swim: 'swim',
  paddle: 'water',
  water: 'water',
  snow: 'winter',
  gym: 'gym',
  mind_body: 'gym',
  dance: 'gym',
  martial_arts: 'gym',
  climbing: 'gym',
  wheels: 'other',
  racket: 'other',
  team: 'other',
  golf: 'other',
  shooting_sport: 'other',
  multisport: 'other',
  horse_riding: 'other',
  motorsport: 'other',
  air_sport: 'other',
  hunting_fishing: 'other',
  other: 'other',
};
const ON_FOOT: Readonly<Partial<Record<SportType, SportFamily>>> = {
  walk: 'walk',
  hike: 'walk',
  wheelchair: 'other',
};

/** The family of a sport id; `other` for an id outside the vocabulary. */
export function sportFamily(sportType: string): SportFamily {
  return (
    (Object.hasOwn(ON_FOOT, sportType) && ON_FOOT[sportType as SportType]) ||
    FROM_MATCHING_FAMILY[sportTypeFamily(sportType)]
  );
}

/** A family id from a query value (`?sport=`); null for anything else. */
export function parseSportFamily(value: string | null | undefined): SportFamily | null {
  return SPORT_FAMILIES.find((f) => f.id === value)?.id ?? null;
}

export function sportFamilyLabel(family: SportFamily): string {
  return SPORT_FAMILIES.find((f) => f.id === family)?.label ?? 'Other sports';
}

/** Each family's drawing: 24×24 strokes, drawn in the text colour (`currentColor`). */
const ICON_PATHS: Readonly<Record<SportFamily, string>> = {
  run: 'M15 2.5a2 2 0 1 0 0 4a2 2 0 1 0 0-4M13 8l-3 5 4 3-2 6M10 13l-4.5 1M13.5 9.5l4.5 2',
  ride: 'M6 12.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7M18 12.5a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7M6 16l4-8h5l3 8M10 8l4 8M8.5 6h3',
  swim: 'M16 5a2 2 0 1 0 0 4a2 2 0 1 0 0-4M2.5 15c2-2 4-2 6 0s4 2 6 0 4-2 6 0M2.5 20c2-2 4-2 6 0s4 2 6 0 4-2 6 0M5.5 12l5-3.5 3.5 3.5',
  walk: 'M11 2.5a2 2 0 1 0 0 4a2 2 0 1 0 0-4M11 8v6l-3 7.5M11 14l3 7.5M8 11.5l3-3.5 3.5 3M18 9v12.5',
  winter: 'M12 2v20M3.3 7l17.4 10M3.3 17L20.7 7M9.5 3.5L12 6l2.5-2.5M9.5 20.5L12 18l2.5 2.5',
  water: 'M12 3v12M12 3l7 10h-7M2.5 17h19l-3 4h-13zM12 6l-5 7h5',
  gym: 'M6 6.5v11M18 6.5v11M3 9.5v5M21 9.5v5M6 12h12',
  other: 'M12 9a5.5 5.5 0 1 0 0 11a5.5 5.5 0 1 0 0-11M7.5 2.5l4.5 6 4.5-6M12 12v5',
};

/** The page's icon sprite, once per page (hidden; each icon `<use>`s a symbol, nothing is fetched). */
export function sportIconSprite() {
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="sprite" hidden aria-hidden="true" focusable="false">
    ${SPORT_FAMILIES.map(
      (f) =>
        html`<symbol id="sport-${f.id}" viewBox="0 0 24 24"><path d="${ICON_PATHS[f.id]}" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"></path></symbol>`,
    )}
  </svg>`;
}

/**
 * A sport as the dashboard shows it: its family's icon (an image named after the family, for a screen
 * reader: "Cycling, Mountain bike ride") and the sport's name.
 */
export function sportHtml(sportType: string) {
  const family = sportFamily(sportType);
  return html`<span class="sport-name"><svg class="icon" role="img" aria-label="${sportFamilyLabel(family)}" data-family="${family}" focusable="false" viewBox="0 0 24 24"><use href="#sport-${family}"></use></svg>${sportTypeDisplayName(sportType)}</span>`;
}
