import { Storage } from '@google-cloud/storage';
import { GcsApiDocsConfig } from './config';

/** A listed object: what the transform needs plus the metadata generation. */
export interface ListedObject {
  name: string;
  generation: string;
  metageneration: string;
  size: number;
  metadata?: Record<string, string>;
}

/** The two calls the provider makes; the real one is {@link gcsSpecBucket}. */
export interface SpecBucket {
  readonly bucket: string;
  list(prefix: string): Promise<ListedObject[]>;
  /** The bytes of exactly this generation. */
  read(name: string, generation: string): Promise<Buffer>;
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
  const storage = new Storage({
    ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
    useAuthWithCustomEndpoint: config.authenticate,
    retryOptions: {
      autoRetry: config.retries > 0,
      maxRetries: config.retries,
      totalTimeout: 120,
      maxRetryDelay: 16,
    },
  });
  const bucket = storage.bucket(config.bucket);
  return {
    bucket: config.bucket,
    async list(prefix) {
      const [files] = await bucket.getFiles({
        prefix: prefix || undefined,
        autoPaginate: true,
        maxResults: 1000,
        fields:
          'items(name,generation,metageneration,size,metadata),nextPageToken',
      });
      return files.map(file => ({
        name: file.name,
        generation: String(file.metadata.generation),
        metageneration: String(file.metadata.metageneration ?? '1'),
        size: Number(file.metadata.size ?? 0),
        metadata: stringMap(file.metadata.metadata),
      }));
    },
    async read(name, generation) {
      const [content] = await bucket.file(name, { generation }).download();
      return content;
    },
  };
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
  return `${code}${e?.message ?? String(error)}`.split('\n')[0];
}
