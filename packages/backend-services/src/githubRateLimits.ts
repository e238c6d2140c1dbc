import {
  coreServices,
  createServiceFactory,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskInvocationDefinition,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { metricsServiceRef } from '@backstage/backend-plugin-api/alpha';
import { DefaultSchedulerService } from '@backstage/backend-defaults/scheduler';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import {
  formatGithubFailure,
  GithubFailure,
  recordGithubFailures,
} from './githubErrors';

export interface GithubRateLimitWaitOptions {
  logger: LoggerService;
  /** The longest wait for a reset; a later reset is left to the next run. */
  maxWaitMs: number;
  /** Runs of one task invocation at most (the first included). */
  maxRuns: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** How long GitHub asks to wait before the failed call may succeed. */
export function githubWaitMs(failure: GithubFailure, now: number): number {
  if (failure.retryAfter) return failure.retryAfter * 1000;
  if (failure.rateLimitReset) {
    // One second past the reset, as GitHub recommends.
    return Math.max(failure.rateLimitReset * 1000 - now + 1000, 0);
  }
  return 0;
}

/** A task's timeout in milliseconds (HumanDuration or luxon Duration). */
function timeoutMs(timeout: unknown): number | undefined {
  if (!timeout || typeof timeout !== 'object') return undefined;
  const t = timeout as { toMillis?: () => number };
  if (typeof t.toMillis === 'function') return t.toMillis();
  try {
    return durationToMilliseconds(timeout as HumanDuration);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise(resolve => {
    if (signal?.aborted) {
      resolve(false);
      return;
    }
    let timer: NodeJS.Timeout | undefined = undefined;
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Wraps a scheduler so that a task run whose GitHub calls hit a rate limit
 * waits as GitHub's headers say (`x-ratelimit-reset`, or `retry-after` for a
 * secondary limit) and then runs again, instead of leaving the work to the
 * next scheduled run. Upstream's GitHub providers catch and log their sync
 * errors; the failures are learnt from those log lines
 * (recordGithubFailures). Tasks without GitHub rate limits are untouched; a
 * reset further away than `maxWaitMs`, or so late that a rerun (twice the
 * failed run, at least 30 s) would not end before the task's timeout, or
 * `maxRuns`, ends the waiting, and the next scheduled run takes over. While
 * it waits the task still holds its run (a manual trigger gets 409).
 */
export function withGithubRateLimitWaits(
  inner: SchedulerService,
  options: GithubRateLimitWaitOptions,
): SchedulerService {
  const now = options.now ?? Date.now;
  const wrap = (
    task: SchedulerServiceTaskInvocationDefinition,
    timeout: unknown,
  ): SchedulerServiceTaskInvocationDefinition => ({
    ...task,
    fn: async (signal: AbortSignal) => {
      const budgetMs = timeoutMs(timeout);
      const deadline = budgetMs === undefined ? Infinity : now() + budgetMs;
      for (let run = 1; ; run++) {
        const started = now();
        const { failures } = await recordGithubFailures(async () =>
          task.fn(signal),
        );
        const limited = failures.filter(f => f.rateLimitReset || f.retryAfter);
        if (limited.length === 0 || signal.aborted) return;
        const waitMs = Math.max(...limited.map(f => githubWaitMs(f, now())));
        const about = formatGithubFailure(limited[limited.length - 1]);
        // The rerun must end before the task's timeout, or the scheduler
        // would hand the task to another instance while it still runs.
        const rerunMs = Math.max(2 * (now() - started), 30_000);
        let reason: string | undefined;
        if (run >= options.maxRuns) reason = `${run} runs so far`;
        else if (waitMs > options.maxWaitMs) {
          reason = `reset in ${Math.ceil(waitMs / 1000)} s`;
        } else if (now() + waitMs + rerunMs > deadline) {
          reason = `reset in ${Math.ceil(
            waitMs / 1000,
          )} s, too close to the task's timeout`;
        }
        if (reason) {
          options.logger.warn(
            `GitHub rate limit in task ${task.id} ${about}: not waiting (${reason}); the next scheduled run takes over`,
            { taskId: task.id },
          );
          return;
        }
        options.logger.warn(
          `GitHub rate limit in task ${
            task.id
          } ${about}: running it again in ${Math.ceil(
            waitMs / 1000,
          )} s, as GitHub's rate-limit headers say`,
          { taskId: task.id },
        );
        if (!(await sleep(waitMs, signal))) return;
      }
    },
  });
  const wrapped: SchedulerService = {
    triggerTask: id => inner.triggerTask(id),
    cancelTask: id => inner.cancelTask(id),
    getScheduledTasks: () => inner.getScheduledTasks(),
    scheduleTask: task =>
      inner.scheduleTask({ ...task, ...wrap(task, task.timeout) }),
    createScheduledTaskRunner: (
      schedule: SchedulerServiceTaskScheduleDefinition,
    ) => ({
      run: task => wrapped.scheduleTask({ ...task, ...schedule }),
    }),
  };
  return wrapped;
}

/** `portal.github.rateLimit` (maxWait default 15 minutes, maxRuns 3). */
export function readGithubRateLimitWaits(config: Config): {
  maxWaitMs: number;
  maxRuns: number;
} {
  const key = 'portal.github.rateLimit';
  return {
    maxWaitMs: config.has(`${key}.maxWait`)
      ? durationToMilliseconds(
          readDurationFromConfig(config, { key: `${key}.maxWait` }),
        )
      : 15 * 60_000,
    maxRuns: config.getOptionalNumber(`${key}.maxRuns`) ?? 3,
  };
}

/**
 * Plugin scheduler: Backstage's default, with GitHub rate limits waited out
 * (see withGithubRateLimitWaits).
 */
export const portalSchedulerServiceFactory = createServiceFactory({
  service: coreServices.scheduler,
  deps: {
    config: coreServices.rootConfig,
    database: coreServices.database,
    logger: coreServices.logger,
    rootLifecycle: coreServices.rootLifecycle,
    httpRouter: coreServices.httpRouter,
    pluginMetadata: coreServices.pluginMetadata,
    metrics: metricsServiceRef,
  },
  async factory({ config, logger, ...deps }) {
    return withGithubRateLimitWaits(
      DefaultSchedulerService.create({ logger, ...deps }),
      { logger, ...readGithubRateLimitWaits(config) },
    );
  },
});
