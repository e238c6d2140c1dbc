import { placeholderContractEnv } from './__testUtils__/contractEnv';
import path from 'node:path';
import { ConfigReader } from '@backstage/config';
import {
  BackendFeature,
  createBackendModule,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { createGuestSignInFeature, guestSignInDecision } from './guestSignIn';
import { loadPortalConfig } from './rootConfig';

const repoRoot = path.resolve(__dirname, '../../..');
/** The shipped config files, layered as the server layers them. */
const loadLayers = (...files: string[]) =>
  loadPortalConfig({
    argv: [
      'node',
      'backend',
      ...files.flatMap(f => ['--config', path.join(repoRoot, f)]),
    ],
    env: placeholderContractEnv,
    watch: false,
  });

const guest = (extra: object = {}) => ({
  auth: {
    providers: { guest: { userEntityRef: 'user:default/guest', ...extra } },
  },
});

describe('guestSignInDecision', () => {
  it.each([
    ['development', guest(), true],
    [undefined, guest(), true],
    ['test', guest(), true],
    ['production', guest(), false],
    ['production', guest({ dangerouslyAllowOutsideDevelopment: true }), true],
    ['production', guest({ dangerouslyAllowOutsideDevelopment: false }), false],
    // A string (e.g. from a ${VAR}) is not an explicit true.
    [
      'production',
      guest({ dangerouslyAllowOutsideDevelopment: 'true' }),
      false,
    ],
    ['development', { auth: { providers: { okta: {} } } }, false],
    ['development', {}, false],
  ])('NODE_ENV=%s, %j: load %s', (nodeEnv, data, load) => {
    expect(guestSignInDecision(new ConfigReader(data), nodeEnv).load).toBe(
      load,
    );
  });

  it("production's layers leave it out; the demo layer brings it back", async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const base = 'app-config.yaml';
      const production = 'app-config.production.yaml';
      const demo = 'examples/app-config.demo.yaml';
      // Config layers merge objects: app-config.yaml's auth.providers.guest
      // is still there in production, so NODE_ENV decides.
      const prod = await loadLayers(base, production);
      expect(prod.has('auth.providers.guest')).toBe(true);
      expect(guestSignInDecision(prod, 'production')).toEqual({
        load: false,
        reason: expect.stringMatching(/NODE_ENV is production/),
      });
      expect(
        guestSignInDecision(
          await loadLayers(base, production, demo),
          'production',
        ).load,
      ).toBe(true);
      expect(
        guestSignInDecision(await loadLayers(base), 'development').load,
      ).toBe(true);
    } finally {
      log.mockRestore();
    }
  });
});

describe('createGuestSignInFeature', () => {
  /** A stand-in for the guest module that records that it was started. */
  function recordingModule(started: string[]): BackendFeature {
    return createBackendModule({
      pluginId: 'recorder',
      moduleId: 'guest-stand-in',
      register(reg) {
        reg.registerInit({
          deps: {},
          async init() {
            started.push('guest module');
          },
        });
      },
    });
  }
  const recorderPlugin = createBackendPlugin({
    pluginId: 'recorder',
    register(reg) {
      reg.registerInit({ deps: {}, async init() {} });
    },
  });

  async function start(nodeEnv: string, data: object) {
    const started: string[] = [];
    const logger = mockServices.rootLogger.mock();
    logger.child.mockImplementation(() => logger);
    const load = jest.fn(async () => ({ default: recordingModule(started) }));
    const backend = await startTestBackend({
      features: [
        mockServices.rootConfig.factory({ data }),
        logger.factory,
        recorderPlugin,
        createGuestSignInFeature({ nodeEnv: () => nodeEnv, load }),
      ],
    });
    await backend.stop();
    return { started, load, logger };
  }

  it('production: the module is not even imported, and that is logged', async () => {
    const { started, load, logger } = await start('production', guest());
    expect(load).not.toHaveBeenCalled();
    expect(started).toEqual([]);
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(
        /^Guest sign-in module not loaded: NODE_ENV is production/,
      ),
    );
  });

  it('production with the explicit override, and development: loaded and started', async () => {
    for (const [nodeEnv, data] of [
      ['production', guest({ dangerouslyAllowOutsideDevelopment: true })],
      ['development', guest()],
    ] as const) {
      const { started, load } = await start(nodeEnv, data);
      expect(load).toHaveBeenCalledTimes(1);
      expect(started).toEqual(['guest module']);
    }
  });

  it('development without auth.providers.guest: not loaded', async () => {
    const { started, load } = await start('development', {});
    expect(load).not.toHaveBeenCalled();
    expect(started).toEqual([]);
  });
});
