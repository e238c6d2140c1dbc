// Types for cloud-sql-fake.js (used from TypeScript tests).
export interface CloudSqlFake {
  /** The SQL Admin API and the metadata server: http://127.0.0.1:<port> */
  url: string;
  /** For GCE_METADATA_HOST (Application Default Credentials). */
  metadataHost: string;
  /** The instance's address; its proxy listens on <ip>:3307. */
  ip: string;
  /** The IAM database user of the fake service account (<sa>@<project>.iam). */
  iamUser: string;
  counts: {
    connectSettings: number;
    ephemeralCerts: number;
    /** Connections piped to PostgreSQL. */
    connections: number;
    /** Connections refused (no certificate of ours, wrong user). */
    refused: number;
  };
  /** Admin API requests, `${method} ${path}`. */
  requests: string[];
  /** Messages sent to refused connections. */
  refusals: string[];
  tokensIssued: string[];
  stop(): Promise<void>;
}
export function startCloudSqlFake(options: {
  instanceConnectionName: string;
  postgres: { host?: string; port: number; path?: string };
  ip?: string;
  tokenLifetimeSeconds?: number;
}): Promise<CloudSqlFake>;
export const PROXY_PORT: number;
