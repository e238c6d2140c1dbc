// A local GitHub for tests, the benchmark and `PORTAL_GITHUB=fake yarn start`:
// an HTTP server answering the GraphQL and REST calls the portal's GitHub
// modules make (org members and teams, repositories with their
// catalog-info.yaml, file contents), with GitHub's response shapes, paging
// cursors and rate-limit headers. GraphQL queries are executed by graphql-js
// against a subset of GitHub's schema, so a query the real API would reject
// for an unknown field fails here too.
//
// Test control: `state` is the org (mutate it between syncs), `addFault` makes
// chosen calls fail (502 or a rate limit, in GitHub's shapes), `requests`
// records every call.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { buildSchema, graphql, parse } = require('graphql');
const { createRepoHandlers, filesOf } = require('./github-fake-repos');

const schema = buildSchema(`
  type Query {
    organization(login: String!): Organization
    repositoryOwner(login: String!): Organization
    user(login: String!): User
    repository(owner: String!, name: String!): Repository
  }
  type PageInfo { hasNextPage: Boolean!, endCursor: String }
  type Organization {
    login: String!
    membersWithRole(first: Int, after: String): UserConnection!
    teams(first: Int, after: String, userLogins: [String!]): TeamConnection!
    team(slug: String!): Team
    repositories(first: Int, after: String): RepositoryConnection!
    repository(name: String!): Repository
  }
  type OrganizationConnection { nodes: [Organization!]!, pageInfo: PageInfo! }
  type User {
    id: ID!
    login: String!
    name: String
    email: String!
    bio: String
    avatarUrl: String!
    suspendedAt: String
    organizationVerifiedDomainEmails(login: String!): [String!]!
    organizations(first: Int, after: String): OrganizationConnection!
  }
  type UserConnection { nodes: [User!]!, pageInfo: PageInfo! }
  enum TeamMembershipType { IMMEDIATE CHILD_TEAM ALL }
  type Team {
    slug: String!
    combinedSlug: String!
    name: String!
    description: String
    avatarUrl: String
    editTeamUrl: String!
    parentTeam: Team
    members(first: Int, after: String, membership: TeamMembershipType): UserConnection!
  }
  type TeamConnection { nodes: [Team!]!, pageInfo: PageInfo! }
  enum RepositoryVisibility { PUBLIC PRIVATE INTERNAL }
  interface GitObject { id: ID! }
  type Blob implements GitObject { id: ID!, text: String }
  type Tree implements GitObject { id: ID! }
  type Ref {
    name: String!
    associatedPullRequests(first: Int, states: [PullRequestState!]): PullRequestConnection!
  }
  enum PullRequestState { OPEN CLOSED MERGED }
  type PullRequest { id: ID!, number: Int!, url: String! }
  type PullRequestEdge { node: PullRequest! }
  type PullRequestConnection { edges: [PullRequestEdge!]! }
  type Topic { name: String! }
  type RepositoryTopic { topic: Topic! }
  type RepositoryTopicConnection { nodes: [RepositoryTopic!]! }
  type Repository {
    name: String!
    url: String!
    isArchived: Boolean!
    isFork: Boolean!
    visibility: RepositoryVisibility!
    defaultBranchRef: Ref
    repositoryTopics(first: Int): RepositoryTopicConnection!
    object(expression: String!): GitObject
    ref(qualifiedName: String!): Ref
  }
  type RepositoryConnection { nodes: [Repository!]!, pageInfo: PageInfo! }
`);

// GitHub caps `first` at 100.
function page(items, { first, after }) {
  if (first === undefined || first === null || first < 1 || first > 100) {
    throw new Error(
      `Requesting ${first} records exceeds the \`first\` limit of 100 records.`,
    );
  }
  const start = after ? Number(Buffer.from(after, 'base64').toString()) : 0;
  const nodes = items.slice(start, start + first);
  const end = start + nodes.length;
  return {
    nodes,
    pageInfo: {
      hasNextPage: end < items.length,
      endCursor: nodes.length
        ? Buffer.from(String(end)).toString('base64')
        : null,
    },
  };
}

/** Parses "<ref>:<path>" (`HEAD:catalog-info.yaml`) against a repository. */
function gitObject(repo, expression) {
  const i = expression.indexOf(':');
  const ref = expression.slice(0, i);
  const file = expression.slice(i + 1);
  if (ref !== 'HEAD' && ref !== repo.defaultBranch) return null;
  const text = repo.files?.[file];
  if (text === undefined) return null;
  return {
    __typename: 'Blob',
    id: crypto.createHash('sha1').update(text).digest('hex'),
    text,
  };
}

function createResolvers(fake) {
  const { state } = fake;
  const base = fake.htmlBaseUrl;
  const userNode = u => ({
    id: u.id ?? `U_${u.login}`,
    login: u.login,
    name: u.name ?? null,
    email: u.email ?? '',
    bio: u.bio ?? null,
    avatarUrl: u.avatarUrl ?? `${base}/${u.login}.png`,
    suspendedAt: null,
    organizationVerifiedDomainEmails: ({ login }) =>
      login.toLowerCase() === state.org.toLowerCase()
        ? u.verifiedEmails ?? []
        : [],
    organizations: args => page([orgNode()], args),
  });
  const teamNode = t => ({
    slug: t.slug,
    combinedSlug: `${state.org}/${t.slug}`,
    name: t.name ?? t.slug,
    description: t.description ?? null,
    avatarUrl: null,
    editTeamUrl: `${base}/orgs/${state.org}/teams/${t.slug}/edit`,
    parentTeam: () => {
      const parent = state.teams.find(p => p.slug === t.parent);
      return parent ? teamNode(parent) : null;
    },
    members: args =>
      page(
        (t.members ?? [])
          .map(login => state.users.find(u => u.login === login))
          .filter(Boolean)
          .map(userNode),
        args,
      ),
  });
  const repoNode = r => ({
    name: r.name,
    url: `${base}/${state.org}/${r.name}`,
    isArchived: Boolean(r.isArchived),
    isFork: Boolean(r.isFork),
    visibility: (r.visibility ?? 'private').toUpperCase(),
    defaultBranchRef: { name: r.defaultBranch ?? 'main' },
    repositoryTopics: () => ({
      nodes: (r.topics ?? []).map(name => ({ topic: { name } })),
    }),
    object: ({ expression }) =>
      gitObject({ ...r, defaultBranch: r.defaultBranch ?? 'main' }, expression),
    // Branches made through the Git Data API (github-fake-repos.js), with
    // their open pull requests.
    ref: ({ qualifiedName }) => {
      const branch = qualifiedName.replace(/^refs\/heads\//, '');
      const refs = fake.gitData?.[r.name]?.refs ?? {};
      if (!(branch in refs)) return null;
      return {
        name: branch,
        associatedPullRequests: () => ({
          edges: (fake.gitData[r.name].pulls ?? [])
            .filter(pr => pr.head.endsWith(`:${branch}`))
            .map(pr => ({
              node: {
                id: `PR_${pr.number}`,
                number: pr.number,
                url: pr.html_url,
              },
            })),
        }),
      };
    },
  });
  const orgNode = () => ({
    login: state.org,
    membersWithRole: args => page(state.users.map(userNode), args),
    teams: ({ userLogins, ...args }) =>
      page(
        state.teams
          .filter(
            t =>
              !userLogins?.length ||
              (t.members ?? []).some(m => userLogins.includes(m)),
          )
          .map(teamNode),
        args,
      ),
    team: ({ slug }) => {
      const t = state.teams.find(x => x.slug === slug);
      return t ? teamNode(t) : null;
    },
    repositories: args => page(state.repos.map(repoNode), args),
    repository: ({ name }) => {
      const r = state.repos.find(x => x.name === name);
      return r ? repoNode(r) : null;
    },
  });
  const isOrg = login => login.toLowerCase() === state.org.toLowerCase();
  return {
    organization: ({ login }) => (isOrg(login) ? orgNode() : null),
    repositoryOwner: ({ login }) => (isOrg(login) ? orgNode() : null),
    user: ({ login }) => {
      const u = state.users.find(x => x.login === login);
      return u ? userNode(u) : null;
    },
    repository: ({ owner, name }) => {
      const r = isOrg(owner) && state.repos.find(x => x.name === name);
      return r ? repoNode(r) : null;
    },
  };
}

const rateHeaders = (remaining, reset) => ({
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': String(reset),
  'x-ratelimit-used': String(5000 - remaining),
  'x-ratelimit-resource': 'core',
});

/**
 * Starts the fake on 127.0.0.1. `state`: { org, users, teams, repos } (see
 * generateOrg). `token`: the token or installation token it accepts.
 */
function startGithubFake({
  state,
  port = 0,
  token = 'fake-github-token',
  htmlBaseUrl = 'https://github.com',
  latencyMs = 0,
  app,
} = {}) {
  const fake = {
    state: state ?? generateOrg({ org: 'acme', repos: 4, users: 3, teams: 2 }),
    htmlBaseUrl,
    requests: [],
    faults: [],
    token,
    // GitHub App: { appId, publicKey (PEM) }. The App authenticates with a
    // JWT it signs (RS256, iss = app id); installation tokens it obtains are
    // accepted like `token`.
    app,
    installationTokens: new Set(),
  };
  const resolvers = () => createResolvers(fake);

  /**
   * Makes matching calls fail. `operation`: a GraphQL operation name
   * (`repositories`, `users`, `teams`) or `contents`; `paged: true` only
   * matches calls for a later page (a cursor is set); `kind`: 'bad-gateway'
   * (502), 'rate-limit' (primary: remaining 0, reset in `resetSeconds`; HTTP
   * 200 with a RATE_LIMITED error on GraphQL, 403 on REST) or
   * 'secondary-rate-limit' (403, `retry-after: resetSeconds`);
   * `times`: how many calls fail (default 1; Infinity for all).
   */
  fake.addFault = fault => {
    fake.faults.push({ times: 1, resetSeconds: 1, ...fault });
  };
  fake.clearFaults = () => {
    fake.faults.length = 0;
  };

  function takeFault(operation, variables) {
    const f = fake.faults.find(
      x =>
        x.times > 0 &&
        x.operation === operation &&
        (!x.paged || Boolean(variables?.cursor)),
    );
    if (f) f.times -= 1;
    return f;
  }

  // GitHub's fault shapes. A primary rate limit on the GraphQL API is HTTP
  // 200 with a RATE_LIMITED error and `x-ratelimit-remaining: 0`; on REST it
  // is 403 with the same headers. A secondary rate limit is 403 with
  // `retry-after` on both.
  function sendFault(res, f, entry, { graphql: isGraphql = false } = {}) {
    if (f.kind === 'rate-limit' || f.kind === 'secondary-rate-limit') {
      entry.rateLimited = f.kind;
    }
    if (f.kind === 'rate-limit') {
      const reset = Math.ceil(Date.now() / 1000) + f.resetSeconds;
      if (isGraphql) {
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          ...rateHeaders(0, reset),
          'x-ratelimit-resource': 'graphql',
        });
        res.end(
          JSON.stringify({
            errors: [
              {
                type: 'RATE_LIMITED',
                code: 'graphql_rate_limit',
                message: 'API rate limit exceeded for installation ID 1.',
              },
            ],
          }),
        );
        return 200;
      }
      res.writeHead(403, {
        'content-type': 'application/json',
        ...rateHeaders(0, reset),
      });
      res.end(
        JSON.stringify({
          message: 'API rate limit exceeded for installation.',
          documentation_url:
            'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
        }),
      );
      return 403;
    }
    if (f.kind === 'secondary-rate-limit') {
      res.writeHead(403, {
        'content-type': 'application/json; charset=utf-8',
        ...rateHeaders(4000, Math.ceil(Date.now() / 1000) + 3600),
        'retry-after': String(f.resetSeconds),
      });
      res.end(
        JSON.stringify({
          message:
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
          documentation_url:
            'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        }),
      );
      return 403;
    }
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    return 502;
  }

  function authorised(req) {
    const auth = req.headers.authorization ?? '';
    const value = auth.replace(/^(token|bearer)\s+/i, '');
    return value === fake.token || fake.installationTokens.has(value);
  }

  /** A valid App JWT: RS256 signature by the App's key, iss = its id, not expired. */
  function appJwtValid(req) {
    if (!fake.app) return false;
    const jwt = (req.headers.authorization ?? '').replace(/^bearer\s+/i, '');
    const [header, payload, signature] = jwt.split('.');
    if (!signature) return false;
    const ok = crypto.verify(
      'RSA-SHA256',
      Buffer.from(`${header}.${payload}`),
      fake.app.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!ok) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return (
      String(claims.iss) === String(fake.app.appId) &&
      claims.exp * 1000 > Date.now()
    );
  }

  const installation = () => ({
    id: 4242,
    app_id: Number(fake.app.appId),
    target_type: 'Organization',
    account: { login: fake.state.org, type: 'Organization' },
    repository_selection: 'all',
    suspended_at: null,
  });

  function handleApp(req, res, url) {
    const entry = fake.requests[fake.requests.length - 1];
    entry.operation = 'app';
    if (!appJwtValid(req)) {
      return json(res, 401, {
        message: 'A JSON web token could not be decoded',
        documentation_url: 'https://docs.github.com/rest',
      });
    }
    if (req.method === 'GET' && url.pathname === '/app/installations') {
      return json(res, 200, [installation()]);
    }
    if (
      req.method === 'POST' &&
      url.pathname === `/app/installations/${installation().id}/access_tokens`
    ) {
      const issued = `ghs_${crypto.randomBytes(18).toString('hex')}`;
      fake.installationTokens.add(issued);
      return json(res, 201, {
        token: issued,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { contents: 'read', members: 'read', metadata: 'read' },
        repository_selection: 'all',
      });
    }
    return json(res, 404, { message: 'Not Found' });
  }

  function json(res, status, body, headers = {}) {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      ...rateHeaders(4999, Math.ceil(Date.now() / 1000) + 3600),
      ...headers,
    });
    res.end(JSON.stringify(body));
    return status;
  }

  async function handleGraphql(req, res, body) {
    let request;
    try {
      request = JSON.parse(body);
    } catch {
      return json(res, 400, { message: 'Problems parsing JSON' });
    }
    let operation;
    try {
      const doc = parse(request.query);
      operation = doc.definitions.find(d => d.kind === 'OperationDefinition')
        ?.name?.value;
    } catch {
      operation = undefined;
    }
    const entry = fake.requests[fake.requests.length - 1];
    entry.operation = operation;
    entry.cursor = request.variables?.cursor ?? null;
    const fault = takeFault(operation, request.variables);
    if (fault) return sendFault(res, fault, entry, { graphql: true });
    const result = await graphql({
      schema,
      source: request.query,
      rootValue: resolvers(),
      variableValues: request.variables,
    });
    if (result.errors) {
      return json(res, 200, {
        data: result.data ?? null,
        errors: result.errors.map(e => ({
          message: e.message,
          locations: e.locations,
          path: e.path,
        })),
      });
    }
    return json(res, 200, result);
  }

  function handleContents(res, owner, repoName, filePath, query, accept) {
    const entry = fake.requests[fake.requests.length - 1];
    entry.operation = 'contents';
    const fault = takeFault('contents', {});
    if (fault) return sendFault(res, fault, entry);
    const repo =
      owner.toLowerCase() === fake.state.org.toLowerCase() &&
      fake.state.repos.find(r => r.name === repoName);
    const ref = query.get('ref') ?? repo?.defaultBranch ?? 'main';
    const created = !repo && fake.created?.[repoName];
    let text =
      repo &&
      (ref === (repo.defaultBranch ?? 'main') || ref === 'HEAD') &&
      repo.files?.[filePath];
    if (created) {
      // A repository made through the API: what was pushed to it.
      try {
        text = filesOf(created.gitDir, ref === 'HEAD' ? 'main' : ref)[filePath];
      } catch {
        text = undefined; // no such branch (yet)
      }
    }
    if (text === undefined || text === false || text === null) {
      return json(res, 404, {
        message: 'Not Found',
        documentation_url:
          'https://docs.github.com/rest/repos/contents#get-repository-content',
        status: '404',
      });
    }
    const sha = crypto.createHash('sha1').update(text).digest('hex');
    if (/raw/.test(accept ?? '')) {
      res.writeHead(200, {
        'content-type': 'application/vnd.github.raw; charset=utf-8',
        etag: `"${sha}"`,
        ...rateHeaders(4999, Math.ceil(Date.now() / 1000) + 3600),
      });
      res.end(text);
      return 200;
    }
    return json(res, 200, {
      type: 'file',
      encoding: 'base64',
      name: filePath.split('/').pop(),
      path: filePath,
      sha,
      content: Buffer.from(text).toString('base64'),
    });
  }

  const repos = createRepoHandlers(fake, { json, takeFault, sendFault });

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', c => chunks.push(c));
    req.on('end', async () => {
      const url = new URL(req.url, 'http://fake');
      const entry = {
        method: req.method,
        path: url.pathname,
        at: Date.now(),
        status: 0,
      };
      fake.requests.push(entry);
      try {
        if (latencyMs) await new Promise(r => setTimeout(r, latencyMs));
        if (url.pathname.startsWith('/app/')) {
          entry.status = handleApp(req, res, url);
          return;
        }
        if (url.pathname.startsWith('/git/')) {
          entry.status = await repos.handleGit(
            req,
            res,
            url,
            Buffer.concat(chunks),
            entry,
          );
          return;
        }
        if (!authorised(req)) {
          entry.status = json(res, 401, {
            message: 'Bad credentials',
            documentation_url: 'https://docs.github.com/rest',
          });
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const contents = /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/.exec(
          url.pathname,
        );
        if (req.method === 'POST' && url.pathname === '/graphql') {
          entry.status = await handleGraphql(req, res, body);
        } else if (req.method === 'GET' && contents) {
          entry.status = handleContents(
            res,
            contents[1],
            contents[2],
            decodeURIComponent(contents[3]),
            url.searchParams,
            req.headers.accept,
          );
        } else if (
          (entry.status =
            (await repos.handleRest(req, res, url, body, entry)) ?? 0)
        ) {
          // a repository call (github-fake-repos.js)
        } else if (req.method === 'GET' && url.pathname === '/rate_limit') {
          entry.status = json(res, 200, {
            resources: { core: { limit: 5000, remaining: 4999 } },
          });
        } else {
          entry.status = json(res, 404, {
            message: 'Not Found',
            documentation_url: 'https://docs.github.com/rest',
          });
        }
      } catch (error) {
        entry.status = 500;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: String(error) }));
      }
    });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      fake.url = `http://127.0.0.1:${server.address().port}`;
      fake.close = () =>
        new Promise(done => {
          server.closeAllConnections?.();
          server.close(() => {
            repos.close();
            done();
          });
        });
      resolve(fake);
    });
  });
}

/** A catalog-info.yaml for a repository (a Component owned by `owner`). */
function catalogInfo(name, owner, extra = '', org = 'acme') {
  return [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    `  name: ${name}`,
    `  description: ${name} service`,
    '  annotations:',
    `    github.com/project-slug: ${org}/${name}`,
    'spec:',
    '  type: service',
    '  lifecycle: production',
    `  owner: group:default/${owner}`,
    extra,
  ]
    .filter(Boolean)
    .join('\n')
    .concat('\n');
}

/**
 * A synthetic org: `teams` teams (every fifth one a child of the team before
 * it), `users` members spread over the teams, `repos` repositories of which
 * every `catalogEvery`-th holds a catalog-info.yaml owned by a team.
 */
function generateOrg({
  org = 'acme',
  repos = 10,
  users = 5,
  teams = 2,
  catalogEvery = 2,
  emailDomain = 'acme.example',
} = {}) {
  const teamList = Array.from({ length: teams }, (_, i) => ({
    slug: `team-${i + 1}`,
    name: `Team ${i + 1}`,
    description: `Team number ${i + 1}`,
    parent: i % 5 !== 0 ? `team-${i}` : undefined,
    members: [],
  }));
  const userList = Array.from({ length: users }, (_, i) => {
    const login = `user-${i + 1}`;
    if (teamList.length) teamList[i % teamList.length].members.push(login);
    return {
      login,
      id: `U_${i + 1}`,
      name: `User ${i + 1}`,
      verifiedEmails: [`${login}@${emailDomain}`],
    };
  });
  const repoList = Array.from({ length: repos }, (_, i) => {
    const name = `repo-${i + 1}`;
    const owner = teamList.length
      ? teamList[i % teamList.length].slug
      : 'guests';
    return {
      name,
      defaultBranch: 'main',
      visibility: 'private',
      topics: [],
      files:
        i % catalogEvery === 0
          ? { 'catalog-info.yaml': catalogInfo(name, owner, '', org) }
          : {},
    };
  });
  return { org, users: userList, teams: teamList, repos: repoList };
}

/** `X-Hub-Signature-256` GitHub sends for `body` signed with `secret`. */
function signWebhook(secret, body) {
  return `sha256=${crypto
    .createHmac('sha256', secret)
    .update(body)
    .digest('hex')}`;
}

module.exports = {
  startGithubFake,
  generateOrg,
  catalogInfo,
  signWebhook,
  filesOf,
};
