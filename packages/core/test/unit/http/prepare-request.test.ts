import { describe, expect, it } from 'vitest';
import { prepareRequest } from '../../../src/provider-utils/http/prepare-request';
import { describeRequest } from '../../../src/provider-utils/http/request-context';

const request = { url: 'https://api.example.com/oauth/revoke', query: { a: 1, b: undefined, c: null } };
const context = describeRequest(request, 'testfit', 'Testfit');

describe('prepareRequest', () => {
  it('names the call and builds the URL without empty query values', () => {
    expect(context.url.toString()).toBe('https://api.example.com/oauth/revoke?a=1');
    expect(context.what).toBe('GET /oauth/revoke');
    expect(describeRequest({ ...request, operation: 'revoke' }, 'testfit', 'Testfit').what).toBe("'revoke'");
  });

  it('sends accept and user-agent (overridable), and a JSON body as JSON', async () => {
    const { headers, body } = await prepareRequest(
      { ...request, json: { a: [1] }, headers: { accept: 'text/csv' } },
      context,
      { userAgent: 'trainlytics/1' },
    );
    expect(headers.get('accept')).toBe('text/csv');
    expect(headers.get('user-agent')).toBe('trainlytics/1');
    expect(headers.get('content-type')).toBe('application/json');
    expect(body).toBe('{"a":[1]}');
  });

  it('sends a form without undefined fields, the access token in userTokenField when asked', async () => {
    const { headers, body } = await prepareRequest(
      { ...request, form: { client_id: 'id', skip: undefined }, userTokenField: 'token' },
      context,
      { userAgent: 'ua', accessToken: async () => 'tok' },
    );
    expect(headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(body).toBe('client_id=id&token=tok');
    expect((await prepareRequest(request, context, { userAgent: 'ua' })).body).toBeUndefined();
    await expect(
      prepareRequest({ ...request, userTokenField: 'token' }, context, { userAgent: 'ua' }),
    ).rejects.toThrow('userTokenField needs a connection context');
  });
});
