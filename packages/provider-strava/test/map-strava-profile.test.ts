import { profileToJson, ValidationError } from '@trainlytics/core';
import { describe, expect, it } from 'vitest';
import { mapStravaProfile } from '../src/map-strava-profile';
import { parseStravaJson, stravaAthleteSchema } from '../src/strava-api';
import { fixtureText } from './fixtures';

const load = (name: string, parse: (text: string) => unknown = parseStravaJson) => {
  const raw = parse(fixtureText(name));
  return { athlete: stravaAthleteSchema.parse(raw), raw };
};

describe('mapStravaProfile', () => {
  it('maps the DetailedAthlete example (id beyond 2^53 kept exact)', () => {
    const { athlete, raw } = load('athlete.json');
    const profile = mapStravaProfile(athlete, raw);
    expect(profile).toMatchObject({
      providerUserId: '1234567890987654321',
      firstName: 'Marianne',
      lastName: 'Teutenberg',
      profileUrl: 'https://www.strava.com/athletes/1234567890987654321',
      avatarUrl: 'https://xxxxx.cloudfront.net/pictures/athletes/123456789/123456789/2/large.jpg',
      city: 'San Francisco',
      country: 'US',
      sex: 'F',
      measurementPreference: 'feet',
    });
    expect((profile.raw as Record<string, unknown>).bikes).toHaveLength(1);
  });

  it('stores the legacy provider_profile keys', () => {
    const { athlete, raw } = load('athlete.json');
    expect(profileToJson(mapStravaProfile(athlete, raw))).toMatchObject({
      firstname: 'Marianne',
      lastname: 'Teutenberg',
      profile_url: 'https://www.strava.com/athletes/1234567890987654321',
      profile_picture: 'https://xxxxx.cloudfront.net/pictures/athletes/123456789/123456789/2/large.jpg',
    });
  });

  it('does not take a placeholder avatar path for a URL, and keeps nulls null', () => {
    const { athlete, raw } = load('athlete-summary-placeholder.json');
    const profile = mapStravaProfile(athlete, raw);
    expect(profile.avatarUrl).toBeNull();
    expect(profile.city).toBeNull();
    expect(profile.country).toBeNull();
    expect(profile.sex).toBeNull();
    expect(profile.measurementPreference).toBeNull();
    expect(profile.providerUserId).toBe('134815');
  });

  it('refuses an athlete id that JSON.parse already rounded', () => {
    const { athlete, raw } = load('athlete.json', JSON.parse);
    expect(() => mapStravaProfile(athlete, raw)).toThrow(ValidationError);
  });
});
