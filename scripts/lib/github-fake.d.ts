// Types for github-fake.js (used from TypeScript tests).
export interface FakeUser {
  login: string;
  id?: string;
  name?: string;
  email?: string;
  bio?: string;
  avatarUrl?: string;
  verifiedEmails?: string[];
}
export interface FakeTeam {
  slug: string;
  name?: string;
  description?: string;
  parent?: string;
  members?: string[];
}
export interface FakeRepo {
  name: string;
  defaultBranch?: string;
  visibility?: 'public' | 'private' | 'internal';
  topics?: string[];
  isArchived?: boolean;
  isFork?: boolean;
  files?: Record<string, string>;
  /** Permission per login on this repository (GET …/collaborators/{login}/permission); org members default to read. */
  collaborators?: Record<string, 'admin' | 'write' | 'read' | 'none'>;
}
export interface FakeOrg {
  org: string;
  users: FakeUser[];
  teams: FakeTeam[];
  repos: FakeRepo[];
}
export interface FakeRequest {
  method: string;
  path: string;
  at: number;
  status: number;
  operation?: string;
  cursor?: string | null;
  /** Set when a fault answered with a rate limit. */
  rateLimited?: 'rate-limit' | 'secondary-rate-limit';
}
export interface FakeFault {
  /** A GraphQL operation, `contents`, `create-repo` or `branch-protection`. */
  operation: string;
  kind: 'bad-gateway' | 'rate-limit' | 'secondary-rate-limit';
  paged?: boolean;
  times?: number;
  resetSeconds?: number;
}
/** A repository created through the fake's REST API (github-fake-repos.js). */
export interface FakeCreatedRepo {
  id: number;
  /** The body of POST /orgs/<org>/repos. */
  request: Record<string, any>;
  topics: string[];
  /** Bodies of PUT /repos/<o>/<r>/branches/<branch>/protection, by branch. */
  protection: Record<string, any>;
  pulls: any[];
  /** The bare git repository pushes go to. */
  gitDir: string;
}
/** A pull request opened through the Git Data API on an existing repository. */
export interface FakePullRequest {
  number: number;
  html_url: string;
  head: string;
  base: string;
  title: string;
  body: string;
  /** The files of the head commit's tree that the pull request adds or changes. */
  files: Record<string, string>;
  state: 'open';
}
export interface GithubFake {
  url: string;
  created: Record<string, FakeCreatedRepo>;
  /** Blobs, trees, commits, branches and pull requests, by repository. */
  gitData: Record<
    string,
    { refs: Record<string, string>; pulls: FakePullRequest[] }
  >;
  token: string;
  state: FakeOrg;
  installationTokens: Set<string>;
  requests: FakeRequest[];
  addFault(fault: FakeFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}
export function startGithubFake(options?: {
  state?: FakeOrg;
  port?: number;
  token?: string;
  htmlBaseUrl?: string;
  latencyMs?: number;
  app?: { appId: number | string; publicKey: string };
}): Promise<GithubFake>;
export function generateOrg(options?: {
  org?: string;
  repos?: number;
  users?: number;
  teams?: number;
  catalogEvery?: number;
  emailDomain?: string;
}): FakeOrg;
export function catalogInfo(
  name: string,
  owner: string,
  extra?: string,
): string;
export function signWebhook(secret: string, body: string): string;
/** The files of a branch of a bare repository: path -> text. */
export function filesOf(
  gitDir: string,
  branch?: string,
): Record<string, string>;
