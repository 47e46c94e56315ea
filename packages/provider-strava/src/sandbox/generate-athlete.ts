import type { SandboxAccount } from './sandbox-account';

/** The generated athletes' names and home towns (picked by the account's seed). */
const firstNames = ['Marianne', 'Kilian', 'Eliud', 'Faith', 'Tadej', 'Annemiek', 'Sifan', 'Jakob'];
const lastNames = [
  'Vos',
  'Jornet',
  'Kipchoge',
  'Kipyegon',
  'Pogačar',
  'van Vleuten',
  'Hassan',
  'Ingebrigtsen',
];
const cities = ['Paris', 'Boulder', 'Eldoret', null, 'Girona', 'Utrecht', 'Sandnes', 'Chamonix'];

/** The generated name of the athlete seeded with `seed`. */
export function athleteName(seed: number): { firstname: string; lastname: string } {
  return {
    firstname: firstNames[seed % firstNames.length]!,
    lastname: lastNames[(seed * 3) % lastNames.length]!,
  };
}

/**
 * The athlete as `GET /athlete` (and the token exchange's `athlete`) answers: the SummaryAthlete, or the
 * DetailedAthlete with `profile:read_all`. Every other account has Strava's placeholder avatar paths.
 */
export function athleteJson(account: SandboxAccount, detailed: boolean): Record<string, unknown> {
  const placeholder = account.number % 2 === 0;
  const summary: Record<string, unknown> = {
    id: Number(account.athleteId),
    username: `${account.firstname}${account.lastname}`.toLowerCase().replace(/[^a-z]/g, ''),
    resource_state: detailed ? 3 : 2,
    firstname: account.firstname,
    lastname: account.lastname,
    bio: null,
    city: cities[account.seed % cities.length] ?? null,
    state: null,
    country: account.seed % cities.length === 3 ? null : 'France',
    sex: account.seed % 3 === 0 ? null : account.seed % 3 === 1 ? 'F' : 'M',
    premium: true,
    summit: true,
    created_at: account.createdAt,
    updated_at: account.createdAt,
    badge_type_id: 1,
    weight: 62.5,
    profile_medium: placeholder
      ? 'avatar/athlete/medium.png'
      : `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${account.athleteId}/medium.jpg`,
    profile: placeholder
      ? 'avatar/athlete/large.png'
      : `https://dgalywyr863hv.cloudfront.net/pictures/athletes/${account.athleteId}/large.jpg`,
    friend: null,
    follower: null,
  };
  if (!detailed) return summary;
  return {
    ...summary,
    follower_count: 5,
    friend_count: 5,
    mutual_friend_count: 0,
    athlete_type: 1,
    date_preference: '%m/%d/%Y',
    measurement_preference: account.seed % 2 === 0 ? 'meters' : 'feet',
    clubs: [],
    ftp: null,
    bikes: [],
    shoes: [],
  };
}
