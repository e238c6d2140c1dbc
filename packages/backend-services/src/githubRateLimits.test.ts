import { SchedulerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { withGithubFailureContext } from './githubErrors';
import {
  githubWaitMs,
  readGithubRateLimitWaits,
  withGithubRateLimitWaits,
} from './githubRateLimits';

const NOW = 1_700_000_000_000;

// What upstream's providers do: catch the sync error and log it.
function rateLimitError(resetInSeconds: number) {
  return Object.assign(new Error('API rate limit exceeded'), {
    status: 403,
    request: {
      method: 'POST',
      url: 'https://api.github.com/graphql',
      body: JSON.stringify({
        query:
          'query users($org: String!) { organization(login: $org) { login } }',
        variables: { org: 'acme' },
      }),
    },
    response: {
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(NOW / 1000 + resetInSeconds),
      },
    },
  });
}

/** An inner scheduler that keeps the task functions, to run them by hand. */
function capturingScheduler() {
  const fns = new Map<string, (signal: AbortSignal) => Promise<void>>();
  const inner: SchedulerService = {
    triggerTask: jest.fn(),
    cancelTask: jest.fn(),
    getScheduledTasks: jest.fn().mockResolvedValue([]),
    createScheduledTaskRunner: jest.fn(),
    scheduleTask: jest.fn(async task => {
      fns.set(task.id, task.fn as any);
    }),
  };
  return { inner, fns };
}

describe('githubWaitMs', () => {
  it('waits one second past the reset, or retry-after', () => {
    expect(
      githubWaitMs({ step: 's', rateLimitReset: NOW / 1000 + 30 }, NOW),
    ).toBe(31_000);
    expect(githubWaitMs({ step: 's', retryAfter: 60 }, NOW)).toBe(60_000);
    expect(
      githubWaitMs({ step: 's', rateLimitReset: NOW / 1000 - 5 }, NOW),
    ).toBe(0);
  });
});

describe('readGithubRateLimitWaits', () => {
  it('defaults to 15 minutes and 3 runs, and reads both', () => {
    expect(readGithubRateLimitWaits(new ConfigReader({}))).toEqual({
      maxWaitMs: 900_000,
      maxRuns: 3,
    });
    expect(
      readGithubRateLimitWaits(
        new ConfigReader({
          portal: { github: { rateLimit: { maxWait: '2m', maxRuns: 5 } } },
        }),
      ),
    ).toEqual({ maxWaitMs: 120_000, maxRuns: 5 });
  });
});

describe('withGithubRateLimitWaits', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW }));
  afterEach(() => jest.useRealTimers());

  const setup = (maxRuns = 3, maxWaitMs = 900_000) => {
    const { inner, fns } = capturingScheduler();
    const logger = mockServices.logger.mock();
    const providerLogger = withGithubFailureContext(mockServices.logger.mock());
    const scheduler = withGithubRateLimitWaits(inner, {
      logger,
      maxRuns,
      maxWaitMs,
    });
    return { inner, fns, logger, providerLogger, scheduler };
  };

  it('runs a task again after the reset GitHub announced, through a task runner too', async () => {
    const { fns, logger, providerLogger, scheduler } = setup();
    let runs = 0;
    await scheduler
      .createScheduledTaskRunner({
        frequency: { hours: 1 },
        timeout: { minutes: 30 },
      })
      .run({
        id: 'GithubMultiOrgEntityProvider:github:refresh',
        fn: async () => {
          runs += 1;
          if (runs === 1) {
            providerLogger.error('refresh failed', rateLimitError(30));
          }
        },
      });
    const done = fns.get('GithubMultiOrgEntityProvider:github:refresh')!(
      new AbortController().signal,
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(runs).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /GitHub rate limit in task GithubMultiOrgEntityProvider:github:refresh \(GitHub organisation acme, step: listing members, first page, HTTP 403, rate limit resets at .*\): running it again in 31 s/,
      ),
      expect.anything(),
    );
    await jest.advanceTimersByTimeAsync(30_999);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    await done;
    expect(runs).toBe(2);
  });

  it('leaves tasks without GitHub rate limits alone', async () => {
    const { fns, logger, providerLogger, scheduler } = setup();
    let runs = 0;
    await scheduler.scheduleTask({
      id: 'other',
      frequency: { minutes: 1 },
      timeout: { minutes: 1 },
      fn: async () => {
        runs += 1;
        providerLogger.error('failed', new Error('database down'));
      },
    });
    await fns.get('other')!(new AbortController().signal);
    expect(runs).toBe(1);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('gives up after maxRuns, and does not wait for a reset beyond maxWait', async () => {
    const { fns, logger, providerLogger, scheduler } = setup(2, 60_000);
    let runs = 0;
    await scheduler.scheduleTask({
      id: 'limited',
      frequency: { hours: 1 },
      timeout: { hours: 1 },
      fn: async () => {
        runs += 1;
        providerLogger.error('refresh failed', rateLimitError(10));
      },
    });
    const done = fns.get('limited')!(new AbortController().signal);
    await jest.advanceTimersByTimeAsync(60_000);
    await done;
    expect(runs).toBe(2);
    expect(logger.warn).toHaveBeenLastCalledWith(
      expect.stringMatching(/not waiting \(2 runs so far\)/),
      expect.anything(),
    );

    runs = 0;
    await scheduler.scheduleTask({
      id: 'far',
      frequency: { hours: 1 },
      timeout: { hours: 1 },
      fn: async () => {
        runs += 1;
        providerLogger.error('refresh failed', rateLimitError(3600));
      },
    });
    await fns.get('far')!(new AbortController().signal);
    expect(runs).toBe(1);
    expect(logger.warn).toHaveBeenLastCalledWith(
      expect.stringMatching(/not waiting \(reset in 35\d\d s\)/),
      expect.anything(),
    );
  });

  it("does not wait when the rerun could not end before the task's timeout", async () => {
    const { fns, logger, providerLogger, scheduler } = setup();
    let runs = 0;
    await scheduler.scheduleTask({
      id: 'short',
      frequency: { hours: 1 },
      timeout: { minutes: 1 },
      fn: async () => {
        runs += 1;
        providerLogger.error('refresh failed', rateLimitError(40));
      },
    });
    await fns.get('short')!(new AbortController().signal);
    expect(runs).toBe(1);
    expect(logger.warn).toHaveBeenLastCalledWith(
      expect.stringMatching(
        /not waiting \(reset in 41 s, too close to the task's timeout\)/,
      ),
      expect.anything(),
    );
  });

  it('stops waiting when the task is aborted (timeout, shutdown)', async () => {
    const { fns, providerLogger, scheduler } = setup();
    let runs = 0;
    await scheduler.scheduleTask({
      id: 'aborted',
      frequency: { hours: 1 },
      timeout: { hours: 1 },
      fn: async () => {
        runs += 1;
        providerLogger.error('refresh failed', rateLimitError(30));
      },
    });
    const abort = new AbortController();
    const done = fns.get('aborted')!(abort.signal);
    await jest.advanceTimersByTimeAsync(1000);
    abort.abort();
    await done;
    await jest.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(1);
  });

  it('passes the rest through', async () => {
    const { inner, scheduler } = setup();
    await scheduler.triggerTask('x');
    await scheduler.cancelTask('y');
    await scheduler.getScheduledTasks();
    expect(inner.triggerTask).toHaveBeenCalledWith('x');
    expect(inner.cancelTask).toHaveBeenCalledWith('y');
    expect(inner.getScheduledTasks).toHaveBeenCalled();
  });
});
