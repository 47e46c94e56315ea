import { describe, expect, it } from 'vitest';
import { describeStravaTokenError } from '../src/strava-error';

describe("describeStravaTokenError: Strava's token endpoint error body", () => {
  it('reads the first error as field:code and the message as the description', () => {
    const body = JSON.stringify({
      message: 'Bad Request',
      errors: [{ resource: 'RefreshToken', field: 'refresh_token', code: 'invalid' }],
    });
    expect(describeStravaTokenError({ status: 400, body })).toEqual({
      error: 'refresh_token:invalid',
      description: 'Bad Request',
    });
  });

  it('names the resource when the error has no field, and says invalid_request when it has no code', () => {
    const resourceOnly = JSON.stringify({
      message: 'Bad Request',
      errors: [{ resource: 'Application', code: 'invalid' }],
    });
    expect(describeStravaTokenError({ status: 401, body: resourceOnly })?.error).toBe('Application:invalid');
    const noCode = JSON.stringify({ message: 'Bad Request', errors: [] });
    expect(describeStravaTokenError({ status: 400, body: noCode })).toEqual({
      error: 'invalid_request',
      description: 'Bad Request',
    });
  });

  it("leaves RFC 6749 bodies and anything else to core's reading", () => {
    for (const body of [
      JSON.stringify({ error: 'invalid_grant', message: 'Bad Request', errors: [] }),
      JSON.stringify({ message: 'Bad Request' }),
      JSON.stringify({ errors: [] }),
      'null',
      '<html>Bad Gateway</html>',
    ]) {
      expect(describeStravaTokenError({ status: 400, body })).toBeUndefined();
    }
  });
});
