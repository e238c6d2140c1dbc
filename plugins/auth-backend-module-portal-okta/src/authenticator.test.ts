import http from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigReader } from '@backstage/config';
import {
  createPortalOktaAuthenticator,
  portalOktaAuthenticator,
} from './authenticator';

/**
 * A local server that answers Okta's discovery document (with `status`),
 * counting the requests for it; `delayMs` holds each answer back.
 */
async function fakeOkta(status = 200, delayMs = 0) {
  const counter = { discovery: 0 };
  const server = http.createServer((req, res) => {
    const discovery = req.url?.endsWith('/.well-known/openid-configuration');
    if (discovery) counter.discovery += 1;
    res.statusCode = discovery ? status : 404;
    setTimeout(() => res.end('{}'), delayMs);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    audience: `http://127.0.0.1:${port}`,
    counter,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}

const callbackUrl = 'http://portal.example/api/auth/okta/handler/frame';
const init = (audience: string, authenticator = portalOktaAuthenticator) =>
  authenticator.initialize({
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
    const { url } = await portalOktaAuthenticator.start(
      startInput,
      init('http://127.0.0.1:9'),
    );
    const target = new URL(url);
    expect(`${target.origin}${target.pathname}`).toBe(callbackUrl);
    expect(target.searchParams.get('state')).toBe('state-123');
    expect(target.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(target.searchParams.get('error_description')).toMatch(
      /^Okta cannot be reached \(http:\/\/127\.0\.0\.1:9: .+\)\. Try again in a moment; if you are signed in already, you stay signed in\.$/,
    );
  });

  it.each([429, 500, 503])(
    'counts a discovery answer of %i as reachable (Okta throttling or struggling is not absent)',
    async status => {
      const okta = await fakeOkta(status);
      try {
        const { url } = await portalOktaAuthenticator.start(
          startInput,
          init(okta.audience),
        );
        expect(new URL(url).pathname).toBe('/oauth2/default/v1/authorize');
      } finally {
        await okta.close();
      }
    },
  );

  it('probes Okta once per minute per instance, and concurrent starts share one probe', async () => {
    const okta = await fakeOkta(200, 50);
    let now = 1_000_000;
    const authenticator = createPortalOktaAuthenticator({ now: () => now });
    try {
      const ctx = init(okta.audience, authenticator);
      const starts = await Promise.all(
        Array.from({ length: 20 }, () => authenticator.start(startInput, ctx)),
      );
      expect(okta.counter.discovery).toBe(1);
      expect(
        starts.every(s => new URL(s.url).pathname.endsWith('/v1/authorize')),
      ).toBe(true);
      for (let i = 0; i < 10; i++) {
        await authenticator.start(startInput, ctx);
      }
      now += 59_000;
      await authenticator.start(startInput, ctx);
      expect(okta.counter.discovery).toBe(1);
      now += 2_000; // past 60 s
      await authenticator.start(startInput, ctx);
      expect(okta.counter.discovery).toBe(2);
      // Another instance (another provider environment) has its own cache.
      await authenticator.start(startInput, init(okta.audience, authenticator));
      expect(okta.counter.discovery).toBe(3);
    } finally {
      await okta.close();
    }
  });

  it('probes every time with a cache of 0', async () => {
    const okta = await fakeOkta();
    const authenticator = createPortalOktaAuthenticator({ probeCacheMs: 0 });
    try {
      const ctx = init(okta.audience, authenticator);
      await authenticator.start(startInput, ctx);
      await authenticator.start(startInput, ctx);
      expect(okta.counter.discovery).toBe(2);
    } finally {
      await okta.close();
    }
  });
});
