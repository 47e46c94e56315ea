import { describe, expect, it } from 'vitest';
import { authorize } from '../../../src/provider-utils/http/authorize';
import { describeRequest } from '../../../src/provider-utils/http/request-context';

const context = describeRequest(
  { url: 'https://api.example.com/me', operation: 'read profile' },
  'testfit',
  'Testfit',
);

describe('authorize', () => {
  it("'user' reads the connection's token per attempt and returns it; a fresh token from a 401 wins", async () => {
    let reads = 0;
    const accessToken = async () => `token-${++reads}`;
    const headers = new Headers();
    expect(await authorize(headers, 'user', context, { accessToken })).toBe('token-1');
    expect(headers.get('authorization')).toBe('Bearer token-1');
    expect(await authorize(headers, 'user', context, { accessToken, freshToken: 'fresh' })).toBe('fresh');
    expect(headers.get('authorization')).toBe('Bearer fresh');
    expect(reads).toBe(1);
  });

  it('bearer and basic set the header and carry no user token; none sets nothing', async () => {
    const bearer = new Headers();
    expect(await authorize(bearer, { bearer: 'app' }, context, {})).toBeUndefined();
    expect(bearer.get('authorization')).toBe('Bearer app');
    const basic = new Headers();
    await authorize(basic, { basic: { username: 'id', password: 'sécret' } }, context, {});
    expect(basic.get('authorization')).toBe(`Basic ${Buffer.from('id:sécret').toString('base64')}`);
    const none = new Headers();
    expect(await authorize(none, 'none', context, {})).toBeUndefined();
    expect(none.has('authorization')).toBe(false);
  });

  it("'user' without a connection context is a plugin bug named by the call", async () => {
    await expect(authorize(new Headers(), 'user', context, {})).rejects.toThrow(
      "Testfit 'read profile': auth 'user' needs a connection context",
    );
  });
});
