/*
 * Okta sign-in and authorization against the production server of
 * scripts/e2e/global-setup.js, signed in through the Okta stand-in
 * (scripts/okta-standin.mjs: oidc-provider in Okta's URL layout) over HTTP,
 * the way the sign-in pop-up does it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { SignJWT, importPKCS8 } from 'jose';

/* eslint-disable @typescript-eslint/no-require-imports */
const portal = require('../../../scripts/lib/portal');
const okta = require('../../../scripts/lib/okta');
const oktaUsers = require('../../../scripts/e2e/okta-users');
/* eslint-enable @typescript-eslint/no-require-imports */

const base = () => process.env.PORTAL_URL!;
const apiToken = () => process.env.PORTAL_API_TOKEN!;
const oktaAudience = () => process.env.PORTAL_OKTA_AUDIENCE!;

async function signIn(login: string, backendBaseUrl = base()) {
  const { message } = await okta.oktaSignIn({ backendBaseUrl, login });
  return message;
}

async function tokenOf(login: string, backendBaseUrl = base()) {
  const message = await signIn(login, backendBaseUrl);
  expect(message.error, JSON.stringify(message.error)).toBeUndefined();
  return message.response.backstageIdentity.token as string;
}

const setIdTokenFault = (mode: string | null) =>
  okta.setIdTokenFault(oktaAudience(), mode);

const call = (
  method: string,
  urlPath: string,
  token?: string,
  body?: unknown,
  backendBaseUrl = base(),
) =>
  fetch(`${backendBaseUrl}${urlPath}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });

const refresh = (entityRef: string, token: string) =>
  call('POST', '/api/catalog/refresh', token, { entityRef });

test.describe('Okta sign-in', () => {
  test('signs a catalog user in, with Okta groups as ownership and roles', async () => {
    const message = await signIn('ada');
    expect(message.error).toBeUndefined();
    const { identity, token } = message.response.backstageIdentity;
    expect(identity.userEntityRef).toBe('user:default/ada.lovelace');
    expect(identity.ownershipEntityRefs).toEqual(
      expect.arrayContaining([
        'user:default/ada.lovelace',
        // Catalog membership.
        'group:default/platform-team',
        // Okta group portal-platform-team, in the Okta namespace.
        'group:okta/platform-team',
        // The admin group by exact name; a mapped Okta group makes a member.
        'role:portal/admin',
        'role:portal/member',
      ]),
    );
    // The admin group is a role, not a group reference.
    expect(identity.ownershipEntityRefs).not.toContain(
      'group:default/portal-admins',
    );
    expect(identity.ownershipEntityRefs).not.toContain(
      'group:okta/portal-admins',
    );
    expect(message.response.profile).toMatchObject({
      email: 'ada.lovelace@acme.example',
      displayName: 'Ada Lovelace',
    });
    const res = await call('GET', '/api/catalog/entities?limit=1', token);
    expect(res.status).toBe(200);

    // Catalog memberships and Okta groups together; Everyone never counts.
    const grace = await signIn('grace');
    const graceRefs =
      grace.response.backstageIdentity.identity.ownershipEntityRefs;
    expect(graceRefs).toEqual(
      expect.arrayContaining([
        'group:default/platform-team',
        'group:okta/web-team',
        'role:portal/member',
      ]),
    );
    expect(graceRefs).not.toContain('group:okta/everyone');
    expect(graceRefs).not.toContain('group:default/everyone');
    expect(graceRefs).not.toContain('role:portal/admin');

    // A group that only looks like the admin group gives no admin role.
    const shouty = await signIn('shouty');
    expect(shouty.error).toBeUndefined();
    const shoutyRefs =
      shouty.response.backstageIdentity.identity.ownershipEntityRefs;
    expect(shoutyRefs).toContain('role:portal/member');
    expect(shoutyRefs).not.toContain('role:portal/admin');
  });

  test('refuses a user the catalog does not know, and one without e-mail', async () => {
    const stranger = await signIn('stranger');
    expect(stranger.response).toBeUndefined();
    expect(stranger.error.message).toContain(
      'stranger@acme.example is not a user of this portal: no User in the catalog matches this e-mail',
    );
    const nomail = await signIn('nomail');
    expect(nomail.response).toBeUndefined();
    expect(nomail.error.message).toContain(
      "Okta sent no e-mail address for user nomail; the portal's Okta app must grant the email scope",
    );
    // An e-mail built to add a catalog filter: refused, not signed in as Ada.
    const mallory = await signIn('mallory');
    expect(mallory.response).toBeUndefined();
    expect(mallory.error.message).toContain(
      'Okta sent an e-mail address for user mallory that the portal does not accept',
    );
    expect(mallory.error.message).not.toContain('ada.lovelace');
  });

  test('refuses tampered, expired and foreign ID tokens', async () => {
    const cases: Array<[string, string]> = [
      ['tampered', 'The Okta ID token is not validly signed by Okta'],
      ['expired', 'The Okta ID token has expired'],
      [
        'wrong-audience',
        'The Okta ID token was issued for another application (expected audience portal-e2e)',
      ],
    ];
    try {
      for (const [mode, reason] of cases) {
        await setIdTokenFault(mode);
        const message = await signIn('ada');
        expect(message.response, mode).toBeUndefined();
        expect(message.error.message, mode).toContain(reason);
      }
    } finally {
      await setIdTokenFault(null);
    }
    // And with the fault gone, the same user gets in.
    expect(await tokenOf('ada')).toBeTruthy();
  });

  test('API calls need a valid Backstage token', async () => {
    expect((await call('GET', '/api/catalog/entities?limit=1')).status).toBe(
      401,
    );
    // Right shape, signed with a key the portal never issued.
    const { privateKey } = crypto.generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ ent: ['role:portal/admin'] })
      .setProtectedHeader({
        alg: 'ES256',
        kid: 'forged',
        typ: 'vnd.backstage.user',
      })
      .setSubject('user:default/ada.lovelace')
      .setAudience('backstage')
      .setIssuer(`${base()}/api/auth`)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    expect(
      (await call('GET', '/api/catalog/entities?limit=1', forged)).status,
    ).toBe(401);
    // A real token with its signature bent.
    const real = await tokenOf('alan');
    const bent = `${real.slice(0, -4)}${
      real.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'
    }`;
    expect(
      (await call('GET', '/api/catalog/entities?limit=1', bent)).status,
    ).toBe(401);
  });
});

test.describe('authorization by owners, admins and Okta groups', () => {
  test('admins unregister, owners refresh, others get 403; denials are logged', async () => {
    const [ada, alan, grace, tim] = await Promise.all(
      ['ada', 'alan', 'grace', 'tim'].map(login => tokenOf(login)),
    );
    const ref = 'resource:default/payments-db';
    const byName = '/api/catalog/entities/by-name/resource/default/payments-db';
    const entity = await (await call('GET', byName, ada)).json();
    const uid = entity.metadata.uid;

    // An ordinary user (web-team) may neither unregister nor refresh it.
    const denied = await call(
      'DELETE',
      `/api/catalog/entities/by-uid/${uid}`,
      tim,
    );
    expect(denied.status).toBe(403);
    expect((await call('GET', byName, tim)).status).toBe(200);
    expect((await refresh(ref, tim)).status).toBe(403);

    // Its owner (payments-team in the catalog) may refresh it, not others' entities.
    expect((await refresh(ref, alan)).status).toBe(200);
    expect(
      (await refresh('component:default/storefront-web', alan)).status,
    ).toBe(403);
    // An Okta group (group:okta/web-team) does not own what the catalog's
    // web-team owns (the second instance maps it explicitly).
    expect(
      (await refresh('component:default/storefront-web', grace)).status,
    ).toBe(403);

    // The read-only pipeline token may not refresh anything.
    expect((await refresh(ref, apiToken())).status).toBe(403);

    // An admin may unregister it.
    expect(
      (await call('DELETE', `/api/catalog/entities/by-uid/${uid}`, ada)).status,
    ).toBe(204);
    expect((await call('GET', byName, ada)).status).toBe(404);

    // Denials are in the server log with user, permission and resource.
    const log = fs.readFileSync(
      path.join(portal.workDir, 'e2e-server.log'),
      'utf8',
    );
    expect(log).toContain(
      'Permission denied: user:default/alan.turing may not catalog.entity.refresh on component:default/storefront-web',
    );
    expect(log).toContain(
      'Permission denied: service:portal-api-token may not catalog.entity.refresh on resource:default/payments-db',
    );

    // Put it back for the other tests: refresh the location it came from.
    const origin =
      entity.metadata.annotations['backstage.io/managed-by-origin-location'];
    const locations = await (
      await call('GET', '/api/catalog/entities?filter=kind=location', ada)
    ).json();
    const location = locations.find((l: any) =>
      [l.spec.target, ...(l.spec.targets ?? [])].some((t: string) =>
        origin.endsWith(t.replace(/^\.\//, '')),
      ),
    );
    const locationRef = location
      ? `location:default/${location.metadata.name}`
      : undefined;
    await portal.waitFor(
      'payments-db back in the catalog',
      async () => {
        if (locationRef) await refresh(locationRef, ada);
        return (await call('GET', byName, ada)).status === 200
          ? true
          : undefined;
      },
      120_000,
    );
  });

  test('a template limited to a group is visible to its members and admins only', async () => {
    const [ada, alan, grace] = await Promise.all(
      ['ada', 'alan', 'grace'].map(login => tokenOf(login)),
    );
    const template =
      '/api/catalog/entities/by-name/template/default/platform-database';
    await portal.waitFor('the platform-database template', async () =>
      (await call('GET', template, ada)).status === 200 ? true : undefined,
    );
    expect((await call('GET', template, grace)).status).toBe(200); // platform-team
    expect((await call('GET', template, alan)).status).toBe(404); // payments-team
    const listed = await (
      await call('GET', '/api/catalog/entities?filter=kind=template', alan)
    ).json();
    const names = listed.map((e: any) => e.metadata.name);
    expect(names).toContain('service-cloud-run');
    expect(names).not.toContain('platform-database');
  });
});

test.describe('a second instance: opt-in, static keys, Okta down', () => {
  test('lets unknown users in when allowed; expired tokens get 401; Okta unreachable is explained and sessions go on', async () => {
    const port = await portal.freePort();
    const client = {
      clientId: 'portal-e2e-b',
      clientSecret: 'secret-b-0123456789',
    };
    const standIn = await okta.startOktaStandIn({
      users: oktaUsers,
      clients: [
        {
          client_id: client.clientId,
          client_secret: client.clientSecret,
          redirect_uris: [
            `http://127.0.0.1:${port}/api/auth/okta/handler/frame`,
          ],
        },
      ],
    });
    // Static signing keys, so the test can make a token that has expired.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-keys-'));
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    });
    fs.writeFileSync(
      path.join(dir, 'public.pem'),
      publicKey.export({ type: 'spki', format: 'pem' }),
    );
    const privatePem = privateKey
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    fs.writeFileSync(path.join(dir, 'private.pem'), privatePem);
    const layer = path.join(dir, 'app-config.test.yaml');
    fs.writeFileSync(
      layer,
      JSON.stringify({
        auth: {
          keyStore: {
            provider: 'static',
            static: {
              keys: [
                {
                  keyId: 'test-key',
                  publicKeyFile: path.join(dir, 'public.pem'),
                  privateKeyFile: path.join(dir, 'private.pem'),
                },
              ],
            },
          },
        },
        portal: {
          okta: {
            dangerouslyAllowSignInWithoutUserInCatalog: true,
            // Probe Okta on every start, so its going away shows at once.
            reachabilityCacheSeconds: 0,
            // An explicit map: this Okta group is the catalog's web-team.
            groups: { map: [{ okta: 'portal-web-team', group: 'web-team' }] },
          },
          auth: { startRateLimit: { limit: 5 } },
        },
      }),
    );
    const server = portal.startServer({
      tree: process.env.PORTAL_TREE,
      env: {
        ...portal.contractEnv({
          pg: portal.sharedPostgres(),
          port,
          okta: {
            ...client,
            audience: standIn.audience,
            authServerId: 'default',
          },
        }),
        // The same deployment: without the API-docs provider this instance
        // would delete the bucket's APIs from the shared catalog.
        ...portal.apiDocsEnv(),
      },
      extraArgs: [...portal.demoConfig, '--config', layer],
      logFile: path.join(portal.workDir, 'e2e-server-b.log'),
    });
    try {
      await server.waitReady();

      // Opt-in: an unknown user gets an identity from Okta alone.
      const stranger = await signIn('stranger', server.base);
      expect(stranger.error).toBeUndefined();
      expect(stranger.response.backstageIdentity.identity).toEqual({
        type: 'user',
        userEntityRef: 'user:default/stranger',
        ownershipEntityRefs: [
          'user:default/stranger',
          'group:default/web-team',
          'role:portal/member',
        ],
      });

      // Through the map, grace's Okta group owns web-team's entities here.
      const grace = await tokenOf('grace', server.base);
      expect(
        (
          await call(
            'POST',
            '/api/catalog/refresh',
            grace,
            { entityRef: 'component:default/storefront-web' },
            server.base,
          )
        ).status,
      ).toBe(200);

      // Sign-in starts are limited per client (the last X-Forwarded-For entry).
      const start = (clientIp: string) =>
        fetch(
          `${server.base}/api/auth/okta/start?env=production&scope=openid`,
          {
            redirect: 'manual',
            headers: { 'x-forwarded-for': `10.9.9.9, ${clientIp}` },
          },
        );
      for (let i = 0; i < 5; i++) {
        expect((await start('203.0.113.50')).status).toBe(302);
      }
      const overLimit = await start('203.0.113.50');
      expect(overLimit.status).toBe(429);
      expect(Number(overLimit.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await start('203.0.113.51')).status).toBe(302);

      // A token signed with the portal's own key: accepted while valid, 401 once expired.
      const key = await importPKCS8(privatePem, 'ES256');
      const sub = 'user:default/alan.turing';
      const userToken = async (iat: number, exp: number) => {
        // The user identity proof: the signature of the matching limited token.
        const limited = await new SignJWT({ sub, iat, exp })
          // Same header order as Backstage's createLimitedUserToken (typ, alg, kid).
          .setProtectedHeader({
            typ: 'vnd.backstage.limited-user',
            alg: 'ES256',
            kid: 'test-key',
          })
          .sign(key);
        return new SignJWT({ ent: [sub], uip: limited.split('.')[2] })
          .setProtectedHeader({
            alg: 'ES256',
            kid: 'test-key',
            typ: 'vnd.backstage.user',
          })
          .setSubject(sub)
          .setAudience('backstage')
          .setIssuer(`${server.base}/api/auth`)
          .setIssuedAt(iat)
          .setExpirationTime(exp)
          .sign(key);
      };
      const now = Math.floor(Date.now() / 1000);
      const entities = '/api/catalog/entities?limit=1';
      const valid = await userToken(now, now + 600);
      expect(
        (await call('GET', entities, valid, undefined, server.base)).status,
      ).toBe(200);
      const expired = await userToken(now - 7200, now - 3600);
      expect(
        (await call('GET', entities, expired, undefined, server.base)).status,
      ).toBe(401);

      // Okta goes away: sign-in says so; a signed-in user keeps working.
      const ada = await tokenOf('ada', server.base);
      await standIn.stop();
      const down = await signIn('ada', server.base);
      expect(down.response).toBeUndefined();
      expect(down.error.message).toContain('Okta cannot be reached');
      expect(down.error.message).toContain('you stay signed in');
      expect(
        (await call('GET', entities, ada, undefined, server.base)).status,
      ).toBe(200);
    } finally {
      await server.stop();
      await standIn.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
