import { Storage } from '@google-cloud/storage';
import { gunzipSync } from 'node:zlib';
import { GcsApiDocsConfig } from './config';

/** Content that was read but cannot be used (refused, not retried). */
export class UnreadableSpecError extends Error {}

/** A listed object: what the transform needs plus the metadata generation. */
export interface ListedObject {
  name: string;
  generation: string;
  metageneration: string;
  /** Bytes as stored (compressed ones: the compressed size). */
  size: number;
  metadata?: Record<string, string>;
  /** `gzip` for objects stored compressed. */
  contentEncoding?: string;
}

/** The two calls the provider makes; the real one is {@link gcsSpecBucket}. */
export interface SpecBucket {
  readonly bucket: string;
  list(prefix: string): Promise<ListedObject[]>;
  /**
   * The bytes of exactly this generation, unpacked when stored with gzip.
   * Throws a RangeError when they would be more than `maxBytes`.
   */
  read(object: ListedObject, maxBytes: number): Promise<Buffer>;
}

/**
 * Cloud Storage through `@google-cloud/storage`: Application Default
 * Credentials (on Cloud Run the metadata server; the library refreshes the
 * token before it expires), or no credentials for a custom endpoint unless
 * `authenticate` is set. STORAGE_EMULATOR_HOST is honoured by the library.
 */
export function gcsSpecBucket(
  config: Pick<
    GcsApiDocsConfig,
    'bucket' | 'apiEndpoint' | 'authenticate' | 'retries'
  >,
): SpecBucket {
  const client = (autoRetry: boolean) =>
    new Storage({
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
      useAuthWithCustomEndpoint: config.authenticate,
      retryOptions: {
        autoRetry: autoRetry && config.retries > 0,
        maxRetries: config.retries,
        totalTimeout: 120,
        maxRetryDelay: 16,
      },
    });
  const lister = client(true).bucket(config.bucket);
  // The client's own retry of a download crashes Node 24 (an unhandled
  // ERR_STREAM_UNABLE_TO_PIPE in teeny-request), so downloads are retried here.
  const reader = client(false).bucket(config.bucket);
  return {
    bucket: config.bucket,
    async list(prefix) {
      // No maxResults: the client takes it as a total and stops paging.
      // With `fields` the client returns the raw items (no File objects).
      const [items] = (await lister.getFiles({
        prefix: prefix || undefined,
        autoPaginate: true,
        fields:
          'items(name,generation,metageneration,size,metadata,contentEncoding),nextPageToken',
      })) as unknown as [RawItem[]];
      return items.map(item => ({
        name: item.name,
        generation: String(item.generation),
        metageneration: String(item.metageneration ?? '1'),
        size: Number(item.size ?? 0),
        metadata: stringMap(item.metadata),
        contentEncoding: item.contentEncoding,
      }));
    },
    async read(object, maxBytes) {
      for (let attempt = 0; ; attempt++) {
        try {
          // Never let the client unpack: a small gzip object can unpack to
          // gigabytes. Unpacked here, up to the limit.
          const [content] = await reader
            .file(object.name, { generation: object.generation })
            .download({ decompress: false });
          return isGzip(content) ? gunzip(content, maxBytes) : content;
        } catch (error) {
          if (
            attempt >= config.retries ||
            error instanceof UnreadableSpecError ||
            !isRetryable(error)
          ) {
            throw error;
          }
          await new Promise(r => setTimeout(r, 250 * 2 ** attempt));
        }
      }
    },
  };
}

/** An item of a listing restricted by `fields`. */
interface RawItem {
  name: string;
  generation: string | number;
  metageneration?: string | number;
  size?: string | number;
  metadata?: unknown;
  contentEncoding?: string;
}

function gunzip(content: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(content, { maxOutputLength: maxBytes + 1 });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new UnreadableSpecError(
        `unpacks (gzip) to more than the limit of ${maxBytes} bytes (maxSpecSize)`,
      );
    }
    throw new UnreadableSpecError(
      `is gzip data that does not unpack: ${(error as Error).message}`,
    );
  }
}

function isGzip(content: Buffer) {
  return content.length > 2 && content[0] === 0x1f && content[1] === 0x8b;
}

/** Timeouts, throttling, server errors and network failures. */
function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number')
    return code === 408 || code === 429 || code >= 500;
  return typeof code === 'string'; // ECONNRESET, ETIMEDOUT, ...
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== null && v !== undefined) out[k] = String(v);
  }
  return out;
}

/** "403 Forbidden: ..." from a client error, for log lines. */
export function describeStorageError(error: unknown): string {
  const e = error as { code?: unknown; message?: string };
  const code = typeof e?.code === 'number' ? `${e.code} ` : '';
  let message = e?.message ?? String(error);
  // A failed download carries Google's raw JSON error body as its message.
  if (message.trimStart().startsWith('{')) {
    try {
      message = JSON.parse(message).error?.message ?? message;
    } catch {
      // not JSON after all
    }
  }
  return `${code}${message}`.split('\n')[0];
}
