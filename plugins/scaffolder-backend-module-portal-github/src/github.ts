/**
 * GET `path` from GitHub's REST API with the portal's token (the module's
 * GitHub reads: branch protection, a user's permission on a repository).
 */
export function githubGet(
  apiBaseUrl: string,
  token: string,
  path: string,
  init: { signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${apiBaseUrl}${path}`, {
    ...init,
    headers: {
      authorization: `token ${token}`,
      accept: 'application/vnd.github+json',
    },
  });
}

/**
 * GET /repos/{owner}/{repo}/collaborators/{login}/permission: the login's
 * permission on the repository (admin, write, read or none). A user GitHub
 * does not know there (404) has none.
 */
export async function readCollaboratorPermission(
  apiBaseUrl: string,
  token: string,
  { owner, repo, login }: { owner: string; repo: string; login: string },
): Promise<string> {
  const res = await githubGet(
    apiBaseUrl,
    token,
    `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(
      repo,
    )}/collaborators/${encodeURIComponent(login)}/permission`,
    { signal: AbortSignal.timeout(10_000) },
  );
  if (res.status === 404) {
    await res.body?.cancel();
    return 'none';
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(
      `Could not read ${login}'s access to ${owner}/${repo}: GitHub answered ${res.status}`,
    );
  }
  const body = (await res.json()) as { permission?: unknown };
  return typeof body.permission === 'string' ? body.permission : 'none';
}
