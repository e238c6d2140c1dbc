import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { AsyncLocalStorage } from 'node:async_hooks';

/** What a failed GitHub call was doing, read off an Octokit error. */
export interface GithubFailure {
  organisation?: string;
  step: string;
  status?: number;
  /** Seconds since the epoch when GitHub's rate limit resets (a REST 403/429
   * or a GraphQL `RATE_LIMITED` answer with `x-ratelimit-remaining: 0`). */
  rateLimitReset?: number;
  /** Seconds GitHub asks to wait (`retry-after`, a secondary rate limit). */
  retryAfter?: number;
}

const STEPS: Record<string, string> = {
  repositories: 'listing repositories',
  repository: 'reading a repository',
  users: 'listing members',
  teams: 'listing teams',
  members: 'listing team members',
  orgs: 'listing organisations',
};

function parseBody(body: unknown): Record<string, any> | undefined {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  return body && typeof body === 'object' ? (body as any) : undefined;
}

/**
 * Describes an error thrown by Octokit for a GitHub call: `@octokit/request`'s
 * HttpError, `@octokit/graphql`'s GraphqlResponseError, or the error
 * `@octokit/plugin-throttling` throws for a GraphQL `RATE_LIMITED` answer
 * (which carries only the response). It gives the organisation (the query's
 * `org` variable or the `/orgs/<org>` path), the step (GraphQL operation,
 * page), the HTTP status and, for a rate limit, when to try again. Anything
 * else: undefined.
 */
export function describeGithubFailure(
  error: unknown,
): GithubFailure | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as any;
  const request =
    e.request && typeof e.request === 'object' ? e.request : undefined;
  const response =
    e.response && typeof e.response === 'object' ? e.response : undefined;
  const url = String(request?.url ?? response?.url ?? '');
  const body = (request && parseBody(request.body)) ?? request ?? {};
  const query: string | undefined =
    typeof body.query === 'string' ? body.query : undefined;
  if (!query && !/github|graphql|\/repos\/|\/orgs\//.test(url)) {
    return undefined;
  }
  if (!request && !/\/graphql\b/.test(url)) return undefined;
  const variables = (body.variables ?? {}) as Record<string, unknown>;

  let organisation =
    typeof variables.org === 'string' ? variables.org : undefined;
  let step: string;
  if (query) {
    const operation =
      /\b(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'query';
    const what = STEPS[operation] ?? `GraphQL ${operation}`;
    step = `${what}, ${
      variables.cursor ? `page after cursor ${variables.cursor}` : 'first page'
    }`;
  } else if (request) {
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
    organisation ??= /\/(?:orgs|repos)\/([^/]+)/.exec(path)?.[1];
    step = `${String(request.method ?? 'GET').toUpperCase()} ${path}`;
  } else {
    step = 'GraphQL call';
  }
  const headers = response?.headers ?? e.headers ?? {};
  const status = typeof e.status === 'number' ? e.status : undefined;
  const graphqlErrors: any[] = [
    ...(Array.isArray(e.errors) ? e.errors : []),
    ...(Array.isArray(e.data?.errors) ? e.data.errors : []),
  ];
  const graphqlLimited = graphqlErrors.some(x => x?.type === 'RATE_LIMITED');
  const reset = Number(headers['x-ratelimit-reset']);
  const exhausted = String(headers['x-ratelimit-remaining']) === '0';
  const retryAfter = Number(headers['retry-after']);
  const hasRetryAfter = Number.isFinite(retryAfter) && retryAfter > 0;
  const limited = status === 403 || status === 429 || graphqlLimited;
  const failure: GithubFailure = {
    organisation,
    step,
    ...(status !== undefined ? { status } : {}),
  };
  if (limited && (hasRetryAfter || /secondary rate limit/i.test(e.message))) {
    failure.retryAfter = hasRetryAfter ? retryAfter : 60;
  } else if (
    limited &&
    (exhausted || graphqlLimited) &&
    Number.isFinite(reset)
  ) {
    failure.rateLimitReset = reset;
  }
  return failure;
}

/** The sentence appended to a log line about a failed GitHub call. */
export function formatGithubFailure(failure: GithubFailure): string {
  const parts = [
    `GitHub organisation ${failure.organisation ?? 'unknown'}`,
    `step: ${failure.step}`,
  ];
  if (failure.status) parts.push(`HTTP ${failure.status}`);
  if (failure.retryAfter) {
    parts.push(`secondary rate limit, retry after ${failure.retryAfter} s`);
  }
  if (failure.rateLimitReset) {
    parts.push(
      `rate limit resets at ${new Date(
        failure.rateLimitReset * 1000,
      ).toISOString()}`,
    );
  }
  return `(${parts.join(', ')})`;
}

/**
 * What the portal knows about a GitHub provider's scheduled task, for errors
 * that do not say it themselves (the throttling plugin's rate-limit error
 * carries no request): task id -> organisation and step.
 */
export type GithubTaskContext = Map<
  string,
  { organisation?: string; step: string }
>;

/** Task ids of upstream's GitHub providers, from `catalog.providers`. */
export function readGithubTaskContext(config: Config): GithubTaskContext {
  const context: GithubTaskContext = new Map();
  const github = config.getOptionalConfig('catalog.providers.github');
  if (github) {
    const single = github.has('organization') || github.has('app');
    const entries: [string, Config][] = single
      ? [['default', github]]
      : github.keys().map(id => [id, github.getConfig(id)]);
    for (const [id, entry] of entries) {
      context.set(`github-provider:${id}:refresh`, {
        organisation: entry.getOptionalString('organization'),
        step: 'listing repositories',
      });
    }
  }
  const orgKey = 'catalog.providers.githubOrg';
  let orgConfigs: Config[] = [];
  if (Array.isArray(config.getOptional(orgKey))) {
    orgConfigs = config.getConfigArray(orgKey);
  } else if (config.has(orgKey)) {
    orgConfigs = [config.getConfig(orgKey)];
  }
  for (const entry of orgConfigs) {
    const id = entry.getOptionalString('id');
    if (!id) continue;
    context.set(`GithubMultiOrgEntityProvider:${id}:refresh`, {
      organisation: entry.getOptionalStringArray('orgs')?.join(', '),
      step: 'reading teams and members',
    });
  }
  return context;
}

const recorder = new AsyncLocalStorage<GithubFailure[]>();

/**
 * Runs `fn` and returns, next to its result, the GitHub failures logged while
 * it ran (by loggers made with {@link withGithubFailureContext}). Upstream's
 * providers catch their sync errors and only log them; this is how the
 * scheduler wrapper learns that a sync failed on a rate limit.
 */
export async function recordGithubFailures<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; failures: GithubFailure[] }> {
  const failures: GithubFailure[] = [];
  const result = await recorder.run(failures, fn);
  return { result, failures };
}

/**
 * Wraps a logger so that a line logged with an Octokit error says which
 * GitHub organisation and step failed: the message gets
 * "(GitHub organisation acme, step: listing repositories, page after cursor
 * X, HTTP 502)" and the fields githubOrganisation / githubStep / githubStatus.
 * Upstream's GitHub providers log failed syncs with the error only. Where the
 * error does not name them, the logger's `taskId` field and `tasks` do.
 * Failures logged at error level are also recorded (recordGithubFailures).
 */
export function withGithubFailureContext(
  inner: LoggerService,
  tasks: GithubTaskContext = new Map(),
  taskId?: string,
): LoggerService {
  const enrich =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, meta?: Error | any) => {
      const described =
        meta instanceof Error ? describeGithubFailure(meta) : undefined;
      if (!described) {
        inner[level](message, meta);
        return;
      }
      const task = taskId ? tasks.get(taskId) : undefined;
      const failure: GithubFailure = {
        ...described,
        organisation: described.organisation ?? task?.organisation,
        step:
          described.step === 'GraphQL call' && task
            ? task.step
            : described.step,
      };
      if (level === 'error') recorder.getStore()?.push(failure);
      inner
        .child({
          githubOrganisation: failure.organisation,
          githubStep: failure.step,
          ...(failure.status ? { githubStatus: failure.status } : {}),
        })
        [level](`${message} ${formatGithubFailure(failure)}`, meta);
    };
  return {
    error: enrich('error'),
    warn: enrich('warn'),
    info: enrich('info'),
    debug: enrich('debug'),
    // Only the task id is needed later (upstream's providers set it).
    child: more =>
      withGithubFailureContext(
        inner.child(more),
        tasks,
        typeof more.taskId === 'string' ? more.taskId : taskId,
      ),
  };
}

/**
 * Plugin logger: Backstage's default (the root logger's child for the
 * plugin), with GitHub failures described (see withGithubFailureContext).
 */
export const portalLoggerServiceFactory = createServiceFactory({
  service: coreServices.logger,
  deps: {
    rootLogger: coreServices.rootLogger,
    config: coreServices.rootConfig,
    plugin: coreServices.pluginMetadata,
  },
  factory({ rootLogger, config, plugin }) {
    return withGithubFailureContext(
      rootLogger.child({ plugin: plugin.getId() }),
      readGithubTaskContext(config),
    );
  },
});
