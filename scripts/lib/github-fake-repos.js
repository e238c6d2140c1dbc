// The part of the GitHub fake that new repositories need (the scaffolder's
// publish:github and publish:github:pull-request): the REST calls that create
// a repository, set its topics and protect its default branch, and git's smart
// HTTP protocol, served by git's own `git http-backend` from a bare
// repository per created repository, so isomorphic-git pushes for real.
//
// Everything received is kept in `fake.created[<name>]` for tests:
// `{ request, topics, protection: { <branch>: body }, pulls: [...] }`, and
// the bare repository's path in `.gitDir` (read it with `git -C <dir> ...`).
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

function createRepoHandlers(fake, { json, takeFault, sendFault }) {
  const gitRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'github-fake-git-'));
  // Keyed by names from requests: no prototype to write through.
  fake.created = Object.create(null);
  fake.gitRoot = gitRoot;
  // Pull requests on the org's existing repositories (fake.state.repos), as
  // octokit-plugin-create-pull-request makes them through the Git Data API:
  // blobs, trees, commits, refs and pulls kept in memory, by repository.
  fake.gitData = Object.create(null);
  const sha1 = text => crypto.createHash('sha1').update(text).digest('hex');

  const repoJson = (owner, name) => {
    const created = fake.created[name];
    const visibility = created?.request.visibility ?? 'private';
    return {
      id: created?.id ?? 1,
      node_id: `R_${name}`,
      name,
      full_name: `${owner}/${name}`,
      private: visibility !== 'public',
      visibility,
      owner: { login: owner, type: 'Organization' },
      html_url: `${fake.htmlBaseUrl}/${owner}/${name}`,
      url: `${fake.url}/repos/${owner}/${name}`,
      clone_url: `${fake.url}/git/${owner}/${name}.git`,
      default_branch: 'main',
      description: created?.request.description ?? null,
      has_wiki: created?.request.has_wiki ?? true,
      has_issues: created?.request.has_issues ?? true,
      has_projects: created?.request.has_projects ?? true,
      allow_squash_merge: created?.request.allow_squash_merge ?? true,
      allow_merge_commit: created?.request.allow_merge_commit ?? true,
      allow_rebase_merge: created?.request.allow_rebase_merge ?? true,
      delete_branch_on_merge: created?.request.delete_branch_on_merge ?? false,
    };
  };
  const exists = name =>
    Boolean(fake.created[name]) ||
    fake.state.repos.some(r => r.name.toLowerCase() === name.toLowerCase());
  const isOrg = owner => owner.toLowerCase() === fake.state.org.toLowerCase();

  function createRepo(res, org, request, entry) {
    entry.operation = 'create-repo';
    const fault = takeFault('create-repo', {});
    if (fault) return sendFault(res, fault, entry);
    if (!isOrg(org)) return json(res, 404, { message: 'Not Found' });
    const name = String(request.name ?? '');
    // GitHub's 422 for a name it refuses.
    const refuse = message =>
      json(res, 422, {
        message: 'Repository creation failed.',
        errors: [
          { resource: 'Repository', code: 'custom', field: 'name', message },
        ],
        documentation_url:
          'https://docs.github.com/rest/repos/repos#create-an-organization-repository',
      });
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) return refuse('name is invalid');
    if (exists(name)) return refuse('name already exists on this account');
    const gitDir = path.join(gitRoot, org, `${name}.git`);
    fs.mkdirSync(gitDir, { recursive: true });
    execFileSync('git', ['init', '--bare', '--quiet', '-b', 'main', gitDir]);
    execFileSync('git', ['-C', gitDir, 'config', 'http.receivepack', 'true']);
    fake.created[name] = {
      id: Object.keys(fake.created).length + 1000,
      request,
      topics: [],
      protection: {},
      pulls: [],
      gitDir,
    };
    return json(res, 201, repoJson(org, name));
  }

  /** Runs git http-backend for /git/<owner>/<repo>.git/... (Basic auth: the token). */
  function handleGit(req, res, url, body, entry) {
    entry.operation = 'git';
    const auth = req.headers.authorization ?? '';
    const basic = /^basic\s+(.+)$/i.exec(auth);
    const password = basic
      ? Buffer.from(basic[1], 'base64').toString().split(':').slice(1).join(':')
      : '';
    if (password !== fake.token && !fake.installationTokens.has(password)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' });
      res.end();
      return Promise.resolve(401);
    }
    const pathInfo = url.pathname.replace(/^\/git/, '');
    return new Promise(resolve => {
      const cgi = spawn(GIT_HTTP_BACKEND, [], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: gitRoot,
          GIT_HTTP_EXPORT_ALL: '1',
          PATH_INFO: pathInfo,
          QUERY_STRING: url.search.replace(/^\?/, ''),
          REQUEST_METHOD: req.method,
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          CONTENT_LENGTH: String(body.length),
          REMOTE_USER: 'x-access-token',
        },
      });
      const out = [];
      cgi.stdout.on('data', c => out.push(c));
      cgi.stderr.on('data', () => {});
      cgi.on('close', () => {
        const buffer = Buffer.concat(out);
        const split = buffer.indexOf('\r\n\r\n');
        const headerText = buffer.subarray(0, split).toString();
        const headers = {};
        let status = 200;
        for (const line of headerText.split('\r\n')) {
          const i = line.indexOf(':');
          const key = line.slice(0, i).trim().toLowerCase();
          const value = line.slice(i + 1).trim();
          if (key === 'status') status = Number(value.split(' ')[0]);
          else if (key) headers[key] = value;
        }
        res.writeHead(status, headers);
        res.end(buffer.subarray(split + 4));
        resolve(status);
      });
      cgi.stdin.end(body);
    });
  }

  /** REST calls for repositories; undefined when the path is not one of them. */
  async function handleRest(req, res, url, text, entry) {
    const p = url.pathname;
    let m;
    if (req.method === 'GET' && (m = /^\/users\/([^/]+)$/.exec(p))) {
      const login = m[1];
      if (isOrg(login)) {
        return json(res, 200, { login, type: 'Organization', id: 1 });
      }
      if (fake.state.users.some(u => u.login === login)) {
        return json(res, 200, { login, type: 'User', id: 2 });
      }
      return json(res, 404, { message: 'Not Found' });
    }
    if (req.method === 'POST' && (m = /^\/orgs\/([^/]+)\/repos$/.exec(p))) {
      return createRepo(res, m[1], JSON.parse(text || '{}'), entry);
    }
    m = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/.exec(p);
    // A user's permission on a repository: `collaborators: {login: 'write'}`
    // in the repository's state; other members of the org read.
    const permission = /^\/collaborators\/([^/]+)\/permission$/.exec(
      m?.[3] ?? '',
    );
    if (req.method === 'GET' && m && isOrg(m[1]) && permission) {
      const repo = fake.state.repos.find(r => r.name === m[2]);
      const login = decodeURIComponent(permission[1]);
      if (!repo) return json(res, 404, { message: 'Not Found' });
      const member = fake.state.users.some(u => u.login === login);
      const level = repo.collaborators?.[login] ?? (member ? 'read' : 'none');
      return json(res, 200, {
        permission: level,
        role_name: level,
        user: { login },
      });
    }
    if (m && isOrg(m[1]) && !fake.created[m[2]]) {
      const existing = fake.state.repos.find(r => r.name === m[2]);
      if (existing)
        return gitDataCall(req, res, url, text, existing, m[3] ?? '');
    }
    if (!m || !fake.created[m[2]] || !isOrg(m[1])) return undefined;
    const [, owner, name, rest = ''] = m;
    const created = fake.created[name];
    if (req.method === 'GET' && rest === '') {
      return json(res, 200, repoJson(owner, name));
    }
    if (req.method === 'PUT' && rest === '/topics') {
      created.topics = JSON.parse(text).names ?? [];
      return json(res, 200, { names: created.topics });
    }
    const protection = /^\/branches\/([^/]+)\/protection$/.exec(rest);
    if (req.method === 'PUT' && protection) {
      entry.operation = 'branch-protection';
      const fault = takeFault('branch-protection', {});
      if (fault) return sendFault(res, fault, entry);
      created.protection[protection[1]] = JSON.parse(text);
      return json(res, 200, {
        url: `${fake.url}/repos/${owner}/${name}/branches/${protection[1]}/protection`,
        ...created.protection[protection[1]],
      });
    }
    if (req.method === 'GET' && protection) {
      const body = created.protection[protection[1]];
      return body
        ? json(res, 200, body)
        : json(res, 404, { message: 'Branch not protected' });
    }
    return undefined;
  }

  function gitDataCall(req, res, url, text, repo, rest) {
    const data = (fake.gitData[repo.name] ??= {
      blobs: {},
      trees: {},
      commits: {},
      refs: {},
      pulls: [],
    });
    const body = text ? JSON.parse(text) : {};
    const branch = repo.defaultBranch ?? 'main';
    const html = `${fake.htmlBaseUrl}/${fake.state.org}/${repo.name}`;
    if (req.method === 'GET' && rest === '') {
      return json(res, 200, {
        name: repo.name,
        full_name: `${fake.state.org}/${repo.name}`,
        html_url: html,
        default_branch: branch,
        archived: Boolean(repo.isArchived),
        permissions: { admin: true, push: true, pull: true },
      });
    }
    if (req.method === 'GET' && rest === '/commits') {
      return json(res, 200, [
        {
          sha: sha1(`commit:${repo.name}`),
          commit: { tree: { sha: sha1(`tree:${repo.name}`) } },
        },
      ]);
    }
    if (req.method === 'POST' && rest === '/git/blobs') {
      const content =
        body.encoding === 'base64'
          ? Buffer.from(body.content, 'base64').toString('utf8')
          : body.content;
      const sha = sha1(`blob:${content}`);
      data.blobs[sha] = content;
      return json(res, 201, { sha, url: `${url.href}/${sha}` });
    }
    if (req.method === 'POST' && rest === '/git/trees') {
      const files = { ...(data.trees[body.base_tree]?.files ?? {}) };
      for (const entry of body.tree ?? []) {
        if (entry.sha === null) delete files[entry.path];
        else files[entry.path] = entry.content ?? data.blobs[entry.sha];
      }
      const sha = sha1(`tree:${JSON.stringify(files)}`);
      data.trees[sha] = { files };
      return json(res, 201, { sha });
    }
    if (req.method === 'POST' && rest === '/git/commits') {
      const sha = sha1(`commit:${body.tree}:${body.message}:${Date.now()}`);
      data.commits[sha] = body;
      return json(res, 201, { sha, tree: { sha: body.tree } });
    }
    if (req.method === 'POST' && rest === '/git/refs') {
      const name = String(body.ref).replace(/^refs\/heads\//, '');
      if (name in data.refs) {
        return json(res, 422, { message: 'Reference already exists' });
      }
      data.refs[name] = body.sha;
      return json(res, 201, { ref: body.ref, object: { sha: body.sha } });
    }
    const refPatch = /^\/git\/refs\/heads\/(.+)$/.exec(rest);
    if (req.method === 'PATCH' && refPatch) {
      data.refs[refPatch[1]] = body.sha;
      return json(res, 200, { ref: `refs/heads/${refPatch[1]}` });
    }
    if (req.method === 'POST' && rest === '/pulls') {
      const head = String(body.head);
      const headSha = data.refs[head.split(':').pop()];
      const tree = data.commits[headSha]?.tree;
      const number = data.pulls.length + 1;
      const pr = {
        number,
        html_url: `${html}/pull/${number}`,
        url: `${fake.url}/repos/${fake.state.org}/${repo.name}/pulls/${number}`,
        head,
        base: body.base,
        title: body.title,
        body: body.body,
        files: data.trees[tree]?.files ?? {},
        state: 'open',
      };
      data.pulls.push(pr);
      return json(res, 201, {
        ...pr,
        head: { ref: head.split(':').pop() },
        base: { ref: body.base },
      });
    }
    return undefined;
  }

  function close() {
    fs.rmSync(gitRoot, { recursive: true, force: true });
  }

  return { handleGit, handleRest, close };
}

/** The files of `branch` in a bare repository: { path: text }. */
function filesOf(gitDir, branch = 'main') {
  if (!/^[A-Za-z0-9._/][A-Za-z0-9._/-]*$/.test(branch)) {
    throw new Error(`not a branch name: ${branch}`);
  }
  const names = execFileSync(
    'git',
    ['-C', gitDir, 'ls-tree', '-r', '--name-only', branch],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  return Object.fromEntries(
    names.map(name => [
      name,
      execFileSync('git', ['-C', gitDir, 'show', `${branch}:${name}`], {
        encoding: 'utf8',
      }),
    ]),
  );
}

module.exports = { createRepoHandlers, filesOf };
