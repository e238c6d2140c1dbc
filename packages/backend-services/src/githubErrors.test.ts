import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import {
  describeGithubFailure,
  formatGithubFailure,
  readGithubTaskContext,
  recordGithubFailures,
  withGithubFailureContext,
} from './githubErrors';

// The shapes @octokit/request-error and @octokit/graphql give their errors.
function httpError(
  status: number,
  body: object | string,
  headers: Record<string, string> = {},
  url = 'https://api.github.com/graphql',
) {
  return Object.assign(new Error(`HTTP ${status}`), {
    name: 'HttpError',
    status,
    request: {
      method: 'POST',
      url,
      headers: { authorization: 'token [REDACTED]' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    },
    response: { status, url, headers, data: '' },
  });
}

// What @octokit/plugin-throttling throws for GitHub's GraphQL rate limit
// (HTTP 200, RATE_LIMITED): only the response, no request.
function throttledGraphqlError() {
  const data = { errors: [{ type: 'RATE_LIMITED', message: 'limit' }] };
  return Object.assign(new Error('GraphQL Rate Limit Exceeded'), {
    response: {
      status: 200,
      url: 'https://api.github.com/graphql',
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1700000000',
      },
      data,
    },
    data,
  });
}

const reposQuery =
  'query repositories($org: String!, $cursor: String) { repositoryOwner(login: $org) { login } }';

describe('describeGithubFailure', () => {
  it('names the organisation, step and page of a failed GraphQL listing', () => {
    expect(
      describeGithubFailure(
        httpError(502, {
          query: reposQuery,
          variables: { org: 'acme', cursor: 'MTAw' },
        }),
      ),
    ).toEqual({
      organisation: 'acme',
      step: 'listing repositories, page after cursor MTAw',
      status: 502,
    });
    expect(
      describeGithubFailure(
        httpError(500, {
          query:
            'query users($org: String!) { organization(login: $org) { login } }',
          variables: { org: 'acme' },
        }),
      ),
    ).toMatchObject({ step: 'listing members, first page' });
  });

  it('reads a rate limit reset', () => {
    expect(
      describeGithubFailure(
        httpError(
          403,
          { query: reposQuery, variables: { org: 'acme' } },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000000' },
        ),
      ),
    ).toMatchObject({ status: 403, rateLimitReset: 1700000000 });
  });

  it("reads GitHub's GraphQL rate limit (HTTP 200, RATE_LIMITED) from @octokit/graphql", () => {
    const error = Object.assign(
      new Error('API rate limit exceeded for user ID 1.'),
      {
        name: 'GraphqlResponseError',
        request: {
          query:
            'query users($org: String!, $cursor: String) { organization(login: $org) { login } }',
          variables: { org: 'acme', cursor: 'Mg==' },
        },
        headers: {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '1700000000',
        },
        errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }],
        data: null,
      },
    );
    expect(describeGithubFailure(error)).toEqual({
      organisation: 'acme',
      step: 'listing members, page after cursor Mg==',
      rateLimitReset: 1700000000,
    });
  });

  it("reads the throttling plugin's rate-limit error, which carries only the response", () => {
    const error = throttledGraphqlError();
    expect(describeGithubFailure(error)).toEqual({
      organisation: undefined,
      step: 'GraphQL call',
      rateLimitReset: 1700000000,
    });
  });

  it('reads a secondary rate limit (retry-after)', () => {
    const error = Object.assign(
      httpError(
        403,
        { query: reposQuery, variables: { org: 'acme' } },
        { 'retry-after': '30', 'x-ratelimit-remaining': '4000' },
      ),
      {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
    );
    expect(describeGithubFailure(error)).toMatchObject({
      status: 403,
      retryAfter: 30,
    });
    expect(describeGithubFailure(error)?.rateLimitReset).toBeUndefined();
  });

  it('does not take a plain 403 (no permission) for a rate limit', () => {
    const failure = describeGithubFailure(
      httpError(
        403,
        { query: reposQuery, variables: { org: 'acme' } },
        { 'x-ratelimit-remaining': '4000', 'x-ratelimit-reset': '1700000000' },
      ),
    );
    expect(failure?.rateLimitReset).toBeUndefined();
    expect(failure?.retryAfter).toBeUndefined();
  });

  it('understands GraphqlResponseError (query and variables on the request)', () => {
    const error = Object.assign(
      new Error('Could not resolve to an Organization'),
      {
        request: { query: reposQuery, variables: { org: 'gone' } },
        headers: {},
      },
    );
    expect(describeGithubFailure(error)).toEqual({
      organisation: 'gone',
      step: 'listing repositories, first page',
      status: undefined,
    });
  });

  it('describes REST calls by method and path', () => {
    expect(
      describeGithubFailure(
        Object.assign(new Error('Not Found'), {
          status: 404,
          request: {
            method: 'GET',
            url: 'https://api.github.com/repos/acme/checkout/contents/catalog-info.yaml?ref=main',
            headers: {},
          },
          response: { headers: {} },
        }),
      ),
    ).toEqual({
      organisation: 'acme',
      step: 'GET /repos/acme/checkout/contents/catalog-info.yaml',
      status: 404,
    });
  });

  it('ignores other errors', () => {
    expect(describeGithubFailure(new Error('boom'))).toBeUndefined();
    expect(describeGithubFailure('text')).toBeUndefined();
    expect(
      describeGithubFailure(
        Object.assign(new Error('x'), { request: { url: 'http://db/q' } }),
      ),
    ).toBeUndefined();
  });

  it('formats one sentence', () => {
    expect(
      formatGithubFailure({
        organisation: 'acme',
        step: 'listing teams, first page',
        status: 403,
        rateLimitReset: 1700000000,
      }),
    ).toBe(
      '(GitHub organisation acme, step: listing teams, first page, HTTP 403, rate limit resets at 2023-11-14T22:13:20.000Z)',
    );
  });
});

describe('withGithubFailureContext', () => {
  it('adds the context to lines logged with a GitHub error, also through children', () => {
    const inner = mockServices.logger.mock();
    const child = mockServices.logger.mock();
    const tagged = mockServices.logger.mock();
    inner.child.mockReturnValue(child);
    child.child.mockReturnValue(tagged);
    const logger = withGithubFailureContext(inner).child({ target: 'x' });
    const error = httpError(502, {
      query: reposQuery,
      variables: { org: 'acme' },
    });
    logger.error(
      'github-provider:repositories refresh failed, HttpError',
      error,
    );
    expect(child.child).toHaveBeenCalledWith({
      githubOrganisation: 'acme',
      githubStep: 'listing repositories, first page',
      githubStatus: 502,
    });
    expect(tagged.error).toHaveBeenCalledWith(
      'github-provider:repositories refresh failed, HttpError (GitHub organisation acme, step: listing repositories, first page, HTTP 502)',
      error,
    );
  });

  it("names the organisation and step from the task when the error cannot (the throttling plugin's)", () => {
    const inner = mockServices.logger.mock();
    const tagged = mockServices.logger.mock();
    inner.child.mockReturnValue(tagged);
    tagged.child.mockReturnValue(tagged);
    const tasks = readGithubTaskContext(
      new ConfigReader({
        catalog: {
          providers: {
            github: { repositories: { organization: 'acme' } },
            githubOrg: {
              id: 'github',
              githubUrl: 'https://github.com',
              orgs: ['acme'],
            },
          },
        },
      }),
    );
    expect(tasks.get('GithubMultiOrgEntityProvider:github:refresh')).toEqual({
      organisation: 'acme',
      step: 'reading teams and members',
    });
    const error = throttledGraphqlError();
    withGithubFailureContext(inner, tasks)
      .child({ taskId: 'github-provider:repositories:refresh' })
      .error('github-provider:repositories refresh failed', error);
    expect(tagged.error).toHaveBeenCalledWith(
      'github-provider:repositories refresh failed (GitHub organisation acme, step: listing repositories, rate limit resets at 2023-11-14T22:13:20.000Z)',
      error,
    );
  });

  it('records failures logged at error level while recordGithubFailures runs', async () => {
    const inner = mockServices.logger.mock();
    inner.child.mockReturnValue(inner);
    const logger = withGithubFailureContext(inner);
    const error = httpError(
      403,
      { query: reposQuery, variables: { org: 'acme' } },
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1700000000' },
    );
    logger.error('outside', error);
    const { result, failures } = await recordGithubFailures(async () => {
      await new Promise(r => setTimeout(r, 5));
      logger.warn('a warning is not a failed sync', error);
      logger.child({ taskId: 't' }).error('refresh failed', error);
      logger.error('not GitHub', new Error('boom'));
      return 42;
    });
    expect(result).toBe(42);
    expect(failures).toEqual([
      expect.objectContaining({
        organisation: 'acme',
        rateLimitReset: 1700000000,
      }),
    ]);
  });

  it('passes other lines through unchanged', () => {
    const inner = mockServices.logger.mock();
    const logger = withGithubFailureContext(inner);
    logger.info('hello', { a: 1 });
    const plain = new Error('boom');
    logger.error('failed', plain);
    expect(inner.info).toHaveBeenCalledWith('hello', { a: 1 });
    expect(inner.error).toHaveBeenCalledWith('failed', plain);
  });
});
