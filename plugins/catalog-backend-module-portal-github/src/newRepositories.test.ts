import { ConfigReader } from '@backstage/config';
import { ConflictError } from '@backstage/errors';
import { mockServices } from '@backstage/backend-test-utils';
import {
  NewRepositorySync,
  readDiscoveryTasks,
  readNewRepositorySyncTiming,
} from './newRepositories';

const created = (org: string, name = 'new-service') => ({
  action: 'created',
  repository: { name, full_name: `${org}/${name}` },
  organization: { login: org },
});

describe('readDiscoveryTasks', () => {
  it('names the task of a single provider entry "default"', () => {
    const tasks = readDiscoveryTasks(
      new ConfigReader({
        catalog: { providers: { github: { organization: 'Acme' } } },
      }),
    );
    expect([...tasks]).toEqual([['acme', ['github-provider:default:refresh']]]);
  });

  it('lists named entries by organisation, App-wide ones under *', () => {
    const tasks = readDiscoveryTasks(
      new ConfigReader({
        catalog: {
          providers: {
            github: {
              repositories: { organization: 'acme' },
              docs: { organization: 'acme', catalogPath: '/docs.yaml' },
              everything: { app: 4711 },
            },
          },
        },
      }),
    );
    expect(Object.fromEntries(tasks)).toEqual({
      acme: [
        'github-provider:repositories:refresh',
        'github-provider:docs:refresh',
      ],
      '*': ['github-provider:everything:refresh'],
    });
  });

  it('is empty without repository discovery', () => {
    expect(readDiscoveryTasks(new ConfigReader({})).size).toBe(0);
  });
});

describe('readNewRepositorySyncTiming', () => {
  it('defaults to 10 s, 30 s and 20 attempts', () => {
    expect(readNewRepositorySyncTiming(new ConfigReader({}))).toEqual({
      delayMs: 10_000,
      retryMs: 30_000,
      maxAttempts: 20,
    });
  });

  it('reads durations as objects or strings', () => {
    expect(
      readNewRepositorySyncTiming(
        new ConfigReader({
          portal: {
            github: {
              newRepositorySync: {
                delay: { seconds: 2 },
                retryInterval: '1m',
                maxAttempts: 3,
              },
            },
          },
        }),
      ),
    ).toEqual({ delayMs: 2000, retryMs: 60_000, maxAttempts: 3 });
  });
});

describe('NewRepositorySync', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = (triggerTask: jest.Mock) => {
    const logger = mockServices.logger.mock();
    const sync = new NewRepositorySync({
      scheduler: { triggerTask },
      logger,
      tasks: new Map([['acme', ['github-provider:repositories:refresh']]]),
      delayMs: 10_000,
      retryMs: 30_000,
      maxAttempts: 3,
    });
    return { sync, logger };
  };

  it('starts the organisation discovery after the delay, once for creations close together', async () => {
    const triggerTask = jest.fn().mockResolvedValue(undefined);
    const { sync } = setup(triggerTask);
    expect(sync.onRepositoryEvent(created('Acme', 'one'))).toEqual([
      'github-provider:repositories:refresh',
    ]);
    sync.onRepositoryEvent(created('acme', 'two'));
    await jest.advanceTimersByTimeAsync(9_999);
    expect(triggerTask).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(triggerTask).toHaveBeenCalledTimes(1);
    expect(triggerTask).toHaveBeenCalledWith(
      'github-provider:repositories:refresh',
    );
    // A later creation starts another sync.
    sync.onRepositoryEvent(created('acme', 'three'));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(triggerTask).toHaveBeenCalledTimes(2);
  });

  it('ignores other actions and other organisations', async () => {
    const triggerTask = jest.fn();
    const { sync } = setup(triggerTask);
    expect(
      sync.onRepositoryEvent({ ...created('acme'), action: 'deleted' }),
    ).toEqual([]);
    expect(sync.onRepositoryEvent(created('someone-else'))).toEqual([]);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(triggerTask).not.toHaveBeenCalled();
  });

  it('asks again while a sync is running, up to maxAttempts, then says so', async () => {
    const triggerTask = jest
      .fn()
      .mockRejectedValue(
        new ConflictError(
          'Task github-provider:repositories:refresh is currently running',
        ),
      );
    const { sync, logger } = setup(triggerTask);
    sync.onRepositoryEvent(created('acme'));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(triggerTask).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(triggerTask).toHaveBeenCalledTimes(2);
    await jest.advanceTimersByTimeAsync(30_000);
    expect(triggerTask).toHaveBeenCalledTimes(3);
    await jest.advanceTimersByTimeAsync(120_000);
    expect(triggerTask).toHaveBeenCalledTimes(3);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /currently running.*the next scheduled one, brings it/,
      ),
    );
  });

  it('starts nothing after stop (shutdown)', async () => {
    const triggerTask = jest.fn();
    const { sync } = setup(triggerTask);
    sync.onRepositoryEvent(created('acme'));
    sync.stop();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(triggerTask).not.toHaveBeenCalled();
    expect(sync.onRepositoryEvent(created('acme'))).toEqual([]);
  });
});
