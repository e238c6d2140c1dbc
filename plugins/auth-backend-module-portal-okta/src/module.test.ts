import http from 'node:http';
import { AddressInfo } from 'node:net';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import authPlugin from '@backstage/plugin-auth-backend';
import { ConfigReader, readDurationFromConfig } from '@backstage/config';
import {
  authModulePortalOkta,
  readProbeCacheMs,
  withDefaultSessionDuration,
} from './module';

describe('withDefaultSessionDuration', () => {
  it('gives each auth environment a 7-day session unless it sets one', () => {
    const config = withDefaultSessionDuration(
      new ConfigReader({
        production: { clientId: 'portal' },
        development: { clientId: 'dev', sessionDuration: { hours: 12 } },
      }),
    );
    expect(config.getString('production.clientId')).toBe('portal');
    expect(
      readDurationFromConfig(config.getConfig('production'), {
        key: 'sessionDuration',
      }),
    ).toEqual({ days: 7 });
    expect(
      readDurationFromConfig(config.getConfig('development'), {
        key: 'sessionDuration',
      }),
    ).toEqual({ hours: 12 });
  });
});

describe('readProbeCacheMs', () => {
  it('defaults to 60 s and accepts 0', () => {
    expect(readProbeCacheMs(new ConfigReader({}))).toBe(60_000);
    expect(
      readProbeCacheMs(
        new ConfigReader({ portal: { okta: { reachabilityCacheSeconds: 0 } } }),
      ),
    ).toBe(0);
  });
});

describe('authModulePortalOkta in the auth backend', () => {
  let okta: http.Server;
  let audience: string;
  beforeAll(async () => {
    okta = http.createServer((_req, res) => res.end('{}'));
    await new Promise<void>(r => okta.listen(0, '127.0.0.1', r));
    audience = `http://127.0.0.1:${(okta.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise(r => okta.close(r)));

  it('limits /api/auth/okta/start per client address before the auth routes', async () => {
    const { server } = await startTestBackend({
      features: [
        authPlugin,
        authModulePortalOkta,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            auth: {
              environment: 'development',
              session: { secret: 'test-session-secret-0123456789abcdef' },
              providers: {
                okta: {
                  development: {
                    clientId: 'portal',
                    clientSecret: 'secret',
                    audience,
                    authServerId: 'default',
                  },
                },
              },
            },
            portal: { auth: { startRateLimit: { limit: 2 } } },
          },
        }),
      ],
    });
    const { port } = server.address() as AddressInfo;
    const start = (client: string) =>
      fetch(
        `http://127.0.0.1:${port}/api/auth/okta/start?env=development&scope=openid`,
        { redirect: 'manual', headers: { 'x-forwarded-for': client } },
      );
    for (let i = 0; i < 2; i++) {
      const ok = await start('198.51.100.1');
      expect(ok.status).toBe(302);
      expect(ok.headers.get('location')).toContain(
        `${audience}/oauth2/default/v1/authorize`,
      );
    }
    const refused = await start('198.51.100.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await refused.json()).error.message).toContain(
      'Too many sign-in attempts',
    );
    expect((await start('198.51.100.2')).status).toBe(302);
  });
});
