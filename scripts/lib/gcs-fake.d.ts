// Types for gcs-fake.js (used from TypeScript tests).
/** An object as the fake stores it: its content, or content with options. */
export type FakeGcsObject =
  | string
  | Buffer
  | {
      content: string | Buffer;
      metadata?: Record<string, string>;
      contentType?: string;
    };
/** The JSON API object resource (`storage#object`). */
export interface ObjectInfo {
  kind: 'storage#object';
  /** `<bucket>/<name>/<generation>` */
  id: string;
  selfLink: string;
  mediaLink: string;
  name: string;
  bucket: string;
  generation: string;
  metageneration: string;
  contentType: string;
  storageClass: 'STANDARD';
  size: string;
  /** base64 */
  md5Hash: string;
  /** base64, big-endian */
  crc32c: string;
  etag: string;
  timeCreated: string;
  updated: string;
  timeStorageClassUpdated: string;
  contentEncoding?: string;
  /** Custom metadata; absent when there is none. */
  metadata?: Record<string, string>;
}
export type GcsFaultKind = 'list' | 'media' | 'get';
export interface GcsFakeRequest {
  method: string;
  /** As received (still URL-encoded), e.g. `/storage/v1/b/x/o/a%2Fb.yaml`. */
  path: string;
  query: Record<string, string>;
  authorization?: string;
}
export interface GcsFake {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Creates or overwrites (new generation, metageneration 1). */
  put(
    bucket: string,
    name: string,
    content: string | Buffer,
    opts?: {
      metadata?: Record<string, string>;
      contentType?: string;
      /** `gzip`: `content` is gzip data, served as GCS serves such objects. */
      contentEncoding?: string;
    },
  ): ObjectInfo;
  /** Replaces the custom metadata; metageneration + 1. Throws if missing. */
  setMetadata(
    bucket: string,
    name: string,
    metadata: Record<string, string> | undefined,
  ): ObjectInfo;
  remove(bucket: string, name: string): void;
  /**
   * The next `times` (default 1; Infinity for all) calls of `kind` (for
   * `media`/`get` only those of `object`, when given) answer `status` in
   * Google's error shape (after the auth check).
   */
  fault(
    kind: GcsFaultKind,
    opts: { status: number; times?: number; object?: string; message?: string },
  ): void;
  /** Calls served, failed ones included (`token`: metadata token calls). */
  counts: { list: number; media: number; get: number; token: number };
  /** Every HTTP request, metadata server ones included. */
  requests: GcsFakeRequest[];
  /** Access tokens the metadata server handed out, oldest first. */
  tokensIssued: string[];
  /** Zeroes `counts` and empties `requests`. */
  resetCounts(): void;
  stop(): Promise<void>;
}
export function startGcsFake(options?: {
  /** Default: a free port on 127.0.0.1. */
  port?: number;
  /** bucket -> object name -> object. */
  buckets?: Record<string, Record<string, FakeGcsObject>>;
  /**
   * Also be the GCE metadata server (GCE_METADATA_HOST=127.0.0.1:<port>)
   * and require its Bearer tokens, valid for `tokenLifetimeSeconds`.
   */
  auth?: {
    tokenLifetimeSeconds: number;
    /** expires_in told to the client (default tokenLifetimeSeconds). */
    advertisedLifetimeSeconds?: number;
  };
  /** Largest page a list returns (and the default maxResults); 1000. */
  pageSize?: number;
}): Promise<GcsFake>;
/**
 * The files under `dir` as a bucket's objects: name = `prefix` + the path
 * relative to `dir`; `.gcs-metadata.json` there gives custom metadata.
 */
export function seedFromDir(
  dir: string,
  options?: { prefix?: string },
): Record<string, { content: Buffer; metadata?: Record<string, string> }>;
