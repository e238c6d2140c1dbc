// Types for secret-manager-fake.js (used from TypeScript tests).
export interface SecretManagerFakeCall {
  method: 'AccessSecretVersion' | 'GetSecretVersion' | string;
  /** The resource name asked for, e.g. projects/p/secrets/s/versions/latest. */
  name: string;
  /** `<project>/<secret>`, or null for a malformed name. */
  key: string | null;
  /** With `auth`: whether the call carried a valid metadata-server token. */
  authorized?: boolean;
}
export interface SecretManagerFake {
  /** host:port: 127.0.0.1:<port> in plaintext, localhost:<port> with TLS. */
  endpoint: string;
  port: number;
  /** With `tls`: the certificate to trust (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH). */
  caFile?: string;
  /** With `auth`: the metadata server for GCE_METADATA_HOST. */
  metadataHost?: string;
  project: { id: string; number: string };
  calls: SecretManagerFakeCall[];
  /** With `auth`: access tokens issued, oldest first. */
  tokensIssued?: string[];
  /** Adds a version (the new latest) to `<project>/<secret>`; returns its number. */
  set(key: string, value: string): number;
  /** Disables a version (default: the latest). */
  disable(key: string, version?: number): void;
  /** Refuses the secret to the caller (PERMISSION_DENIED). */
  deny(key: string, denied?: boolean): void;
  remove(key: string): void;
  accessCount(key: string): number;
  close(): Promise<void>;
}
export function startSecretManagerFake(options?: {
  port?: number;
  tls?: boolean;
  auth?: { tokenLifetimeSeconds: number; advertisedLifetimeSeconds?: number };
  /** `<project>/<secret>` -> the value of its version 1. */
  secrets?: Record<string, string>;
}): Promise<SecretManagerFake>;
