import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createIdTokenVerifier, oktaEndpoints } from './idToken';

const issuer = 'https://acme.okta.example/oauth2/default';
const clientId = 'portal-client';

async function setup() {
  const okta = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(okta.publicKey)), kid: 'k1', alg: 'RS256' };
  const verify = createIdTokenVerifier({
    issuer,
    clientId,
    keys: createLocalJWKSet({ keys: [jwk] }),
  });
  const sign = (claims: Record<string, unknown>, key = okta.privateKey) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: 'ada@acme.example', groups: ['a'], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer((claims.iss as string) ?? issuer)
      .setAudience((claims.aud as string) ?? clientId)
      .setSubject('00u1')
      .setIssuedAt((claims.iat as number) ?? now)
      .setExpirationTime((claims.exp as number) ?? now + 3600)
      .sign(key);
  };
  return { verify, sign, otherKey: other.privateKey };
}

describe('Okta ID token verification', () => {
  it('accepts a token signed by Okta for this client and returns its claims', async () => {
    const { verify, sign } = await setup();
    const claims = await verify(await sign({}));
    expect(claims).toMatchObject({
      sub: '00u1',
      email: 'ada@acme.example',
      groups: ['a'],
    });
  });

  it('refuses a tampered token', async () => {
    const { verify, sign } = await setup();
    const [h, p, s] = (await sign({})).split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    payload.groups = ['portal-admins'];
    const forged = [
      h,
      Buffer.from(JSON.stringify(payload)).toString('base64url'),
      s,
    ].join('.');
    await expect(verify(forged)).rejects.toThrow(
      'The Okta ID token is not validly signed by Okta',
    );
  });

  it('refuses a token signed with another key', async () => {
    const { verify, sign, otherKey } = await setup();
    await expect(verify(await sign({}, otherKey))).rejects.toThrow(
      'not validly signed',
    );
  });

  it('refuses an expired token', async () => {
    const { verify, sign } = await setup();
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expect(
      verify(await sign({ iat: past - 60, exp: past })),
    ).rejects.toThrow('The Okta ID token has expired');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    const { verify, sign } = await setup();
    await expect(verify(await sign({ aud: 'other-app' }))).rejects.toThrow(
      'issued for another application (expected audience portal-client)',
    );
    await expect(
      verify(await sign({ iss: 'https://evil.example' })),
    ).rejects.toThrow(`comes from another issuer (expected ${issuer})`);
  });

  it('refuses a missing token and garbage', async () => {
    const { verify } = await setup();
    await expect(verify(undefined)).rejects.toThrow(
      'Okta returned no ID token',
    );
    await expect(verify('not-a-jwt')).rejects.toThrow('not validly signed');
  });
});

describe('oktaEndpoints', () => {
  it("follows Okta's URL layout for custom and org authorization servers", () => {
    expect(
      oktaEndpoints({
        audience: 'https://acme.okta.com/',
        authServerId: 'default',
      }),
    ).toEqual({
      issuer: 'https://acme.okta.com/oauth2/default',
      jwksUrl: 'https://acme.okta.com/oauth2/default/v1/keys',
      discoveryUrl:
        'https://acme.okta.com/oauth2/default/.well-known/openid-configuration',
    });
    expect(oktaEndpoints({ audience: 'https://acme.okta.com' })).toEqual({
      issuer: 'https://acme.okta.com',
      jwksUrl: 'https://acme.okta.com/oauth2/v1/keys',
      discoveryUrl: 'https://acme.okta.com/.well-known/openid-configuration',
    });
  });
});
