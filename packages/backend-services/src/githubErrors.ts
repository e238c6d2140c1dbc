import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';

/** What a failed GitHub call was doing, read off an Octokit error. */
export interface GithubFailure {
  organisation?: string;
  step: string;
  status?: number;
  /** Seconds since the epoch when GitHub's rate limit resets (403/429). */
  rateLimitReset?: number;
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
 * Describes an error thrown by Octokit (`@octokit/request`'s HttpError,
 * `@octokit/graphql`'s GraphqlResponseError) for a GitHub call: the
 * organisation (the query's `org` variable or the `/orgs/<org>` path), the
 * step (GraphQL operation, page) and the HTTP status. Anything else:
 * undefined.
 */
export function describeGithubFailure(
  error: unknown,
): GithubFailure | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as any;
  const request = e.request;
  if (!request || typeof request !== 'object') return undefined;
  const body = parseBody(request.body) ?? request;
  const query: string | undefined =
    typeof body.query === 'string' ? body.query : undefined;
  const variables = (body.variables ?? {}) as Record<string, unknown>;
  const url = typeof request.url === 'string' ? request.url : '';
  if (!query && !/github|graphql|\/repos\/|\/orgs\//.test(url))
    return undefined;

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
  } else {
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
    organisation ??= /\/(?:orgs|repos)\/([^/]+)/.exec(path)?.[1];
    step = `${String(request.method ?? 'GET').toUpperCase()} ${path}`;
  }
  const headers = e.response?.headers ?? e.headers ?? {};
  const status = typeof e.status === 'number' ? e.status : undefined;
  const reset = Number(headers['x-ratelimit-reset']);
  return {
    organisation,
    step,
    status,
    ...((status === 403 || status === 429) &&
    String(headers['x-ratelimit-remaining']) === '0' &&
    Number.isFinite(reset)
      ? { rateLimitReset: reset }
      : {}),
  };
}

/** The sentence appended to a log line about a failed GitHub call. */
export function formatGithubFailure(failure: GithubFailure): string {
  const parts = [
    `GitHub organisation ${failure.organisation ?? 'unknown'}`,
    `step: ${failure.step}`,
  ];
  if (failure.status) parts.push(`HTTP ${failure.status}`);
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
 * Wraps a logger so that a line logged with an Octokit error says which
 * GitHub organisation and step failed: the message gets
 * "(GitHub organisation acme, step: listing repositories, page after cursor
 * X, HTTP 502)" and the fields githubOrganisation / githubStep / githubStatus.
 * Upstream's GitHub providers log failed syncs with the error only.
 */
export function withGithubFailureContext(inner: LoggerService): LoggerService {
  const enrich =
    (level: 'error' | 'warn' | 'info' | 'debug') =>
    (message: string, meta?: Error | any) => {
      const failure =
        meta instanceof Error ? describeGithubFailure(meta) : undefined;
      if (!failure) {
        inner[level](message, meta);
        return;
      }
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
    child: fields => withGithubFailureContext(inner.child(fields)),
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
    plugin: coreServices.pluginMetadata,
  },
  factory({ rootLogger, plugin }) {
    return withGithubFailureContext(
      rootLogger.child({ plugin: plugin.getId() }),
    );
  },
});
