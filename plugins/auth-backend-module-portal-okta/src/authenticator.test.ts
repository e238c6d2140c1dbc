import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigReader } from '@backstage/config';
import { portalOktaAuthenticator } from './authenticator';

/** A local server that answers Okta's discovery document, or 503 when told. */
async function fakeOkta(status = 200) {
  const server = http.createServer((req, res) => {
    res.statusCode = req.url?.endsWith('/.well-known/openid-configuration')
      ? status
      : 404;
    res.end('{}');
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    audience: `http://127.0.0.1:${port}`,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

const callbackUrl = 'http://portal.example/api/auth/okta/handler/frame';
const init = (audience: string) =>
  portalOktaAuthenticator.initialize({
    callbackUrl,
    config: new ConfigReader({
      clientId: 'portal',
      clientSecret: 'secret',
      audience,
      authServerId: 'default',
    }),
  });
const startInput = {
  req: {} as any,
  scope: 'openid groups',
  state: 'state-123',
};

describe('portalOktaAuthenticator', () => {
  it('always asks for the groups scope', () => {
    expect(portalOktaAuthenticator.scopes?.required).toEqual(
      expect.arrayContaining(['openid', 'email', 'profile', 'groups']),
    );
  });

  it("sends the user to Okta's authorize endpoint when Okta answers", async () => {
    const okta = await fakeOkta();
    try {
      const { url } = await portalOktaAuthenticator.start(
        startInput,
        init(okta.audience),
      );
      const target = new URL(url);
      expect(`${target.origin}${target.pathname}`).toBe(
        `${okta.audience}/oauth2/default/v1/authorize`,
      );
      expect(target.searchParams.get('state')).toBe('state-123');
      expect(target.searchParams.get('client_id')).toBe('portal');
    } finally {
      await okta.close();
    }
  });

  it('answers the pop-up with an error when Okta cannot be reached', async () => {
    for (const okta of [
      await fakeOkta(503),
      { audience: 'http://127.0.0.1:9', close: async () => {} },
    ]) {
      try {
        const { url } = await portalOktaAuthenticator.start(
          startInput,
          init(okta.audience),
        );
        const target = new URL(url);
        expect(`${target.origin}${target.pathname}`).toBe(callbackUrl);
        expect(target.searchParams.get('state')).toBe('state-123');
        expect(target.searchParams.get('error')).toBe(
          'temporarily_unavailable',
        );
        expect(target.searchParams.get('error_description')).toMatch(
          /^Okta cannot be reached \(.+\)\. Try again in a moment; if you are signed in already, you stay signed in\.$/,
        );
      } finally {
        await okta.close();
      }
    }
  });
});
