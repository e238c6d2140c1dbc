import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';

/** Upstream's id for a single (unnamed) `catalog.providers.github` entry. */
const DEFAULT_PROVIDER_ID = 'default';

/**
 * The scheduled discovery task of every `catalog.providers.github` entry
 * (`@backstage/plugin-catalog-backend-module-github`) by the organisation it
 * lists, lower-cased: `github-provider:<id>:refresh`. Entries that discover
 * through a GitHub App's installations (no `organization`) are listed under
 * `*`.
 */
export function readDiscoveryTasks(config: Config): Map<string, string[]> {
  const tasks = new Map<string, string[]>();
  const providers = config.getOptionalConfig('catalog.providers.github');
  if (!providers) return tasks;
  const single = providers.has('organization') || providers.has('app');
  const entries: [string, Config][] = single
    ? [[DEFAULT_PROVIDER_ID, providers]]
    : providers.keys().map(id => [id, providers.getConfig(id)]);
  for (const [id, entry] of entries) {
    const organisation =
      entry.getOptionalString('organization')?.toLowerCase() ?? '*';
    tasks.set(organisation, [
      ...(tasks.get(organisation) ?? []),
      `github-provider:${id}:refresh`,
    ]);
  }
  return tasks;
}

export interface NewRepositorySyncOptions {
  scheduler: Pick<SchedulerService, 'triggerTask'>;
  logger: LoggerService;
  /** Discovery tasks by organisation (see readDiscoveryTasks). */
  tasks: Map<string, string[]>;
  /** Wait after the event before the sync starts (GitHub fills a repository
   * made from a template shortly after announcing it). */
  delayMs: number;
  /** Wait before asking again when the sync is running at that moment. */
  retryMs: number;
  /** How often to ask at most for one creation. */
  maxAttempts: number;
}

interface RepositoryEvent {
  action?: string;
  repository?: { name?: string; full_name?: string };
  organization?: { login?: string };
}

/**
 * Upstream's repository discovery ignores `repository.created` (a new
 * repository is usually empty; its first push brings catalog-info.yaml). A
 * repository created with content (from a GitHub template repository, or
 * an import) would then wait for the next full sync. This starts that
 * organisation's discovery sync shortly after the event instead. Creations
 * close together share one sync; a sync that is running at that moment is
 * asked again once it has finished. The trigger goes through the scheduler's
 * database, so whichever instance runs the task picks it up.
 */
export class NewRepositorySync {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: NewRepositorySyncOptions) {}

  /** Handles a `github.repository` event; returns the tasks it will start. */
  onRepositoryEvent(payload: RepositoryEvent): string[] {
    if (payload?.action !== 'created' || this.stopped) return [];
    const organisation = payload.organization?.login?.toLowerCase();
    const tasks = [
      ...(organisation ? this.options.tasks.get(organisation) ?? [] : []),
      ...(this.options.tasks.get('*') ?? []),
    ];
    const repository =
      payload.repository?.full_name ?? payload.repository?.name ?? 'unknown';
    for (const taskId of tasks) {
      if (this.pending.has(taskId)) continue;
      this.options.logger.info(
        `GitHub repository ${repository} was created; repository discovery (${taskId}) runs in ${Math.round(
          this.options.delayMs / 1000,
        )} s`,
      );
      this.schedule(taskId, this.options.delayMs, 1);
    }
    return tasks;
  }

  /** Cancels what has not started yet (shutdown). */
  stop(): void {
    this.stopped = true;
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private schedule(taskId: string, delayMs: number, attempt: number) {
    const timer = setTimeout(() => {
      this.pending.delete(taskId);
      void this.trigger(taskId, attempt);
    }, delayMs);
    timer.unref?.();
    this.pending.set(taskId, timer);
  }

  private async trigger(taskId: string, attempt: number) {
    if (this.stopped) return;
    try {
      await this.options.scheduler.triggerTask(taskId);
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'ConflictError' && attempt < this.options.maxAttempts) {
        // Running right now: it may have listed that page before the
        // repository existed. Ask again after it.
        if (!this.pending.has(taskId)) {
          this.schedule(taskId, this.options.retryMs, attempt + 1);
        }
        return;
      }
      this.options.logger.warn(
        `Could not start repository discovery (${taskId}) for a new repository (${error}); a sync running now, or the next scheduled one, brings it`,
      );
    }
  }
}

/** `portal.github.newRepositorySync` (delay default 10 s). */
export function readNewRepositorySyncTiming(config: Config): {
  delayMs: number;
  retryMs: number;
  maxAttempts: number;
} {
  const key = 'portal.github.newRepositorySync';
  const ms = (name: string, fallback: number) =>
    config.has(`${key}.${name}`)
      ? durationToMilliseconds(
          readDurationFromConfig(config, { key: `${key}.${name}` }),
        )
      : fallback;
  return {
    delayMs: ms('delay', 10_000),
    retryMs: ms('retryInterval', 30_000),
    maxAttempts: config.getOptionalNumber(`${key}.maxAttempts`) ?? 20,
  };
}
