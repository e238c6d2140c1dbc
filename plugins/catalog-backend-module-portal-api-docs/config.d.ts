import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

/** One bucket (and prefix) whose spec objects become API entities. */
interface GcsApiDocsProviderConfig {
  /** Bucket name (API_DOCS_BUCKET). Without it the instance is off. */
  bucket?: string;
  /** Only objects whose names start with this (API_DOCS_PREFIX), e.g. `apis/`. */
  prefix?: string;
  /** Namespace of the entities. Default `default`. */
  namespace?: string;
  /** Used when neither the object metadata, the spec nor the path says. */
  defaults?: {
    /** Owner entity ref. Without it, a spec that names no owner is refused. */
    owner?: string;
    /** System entity ref. */
    system?: string;
    /** Default `production`. */
    lifecycle?: string;
  };
  /** Bytes; larger objects are skipped with a logged reason. Default 5 MiB. */
  maxSpecSize?: number;
  /** YAML alias resolutions allowed per spec (alias bombs). Default 100. */
  maxYamlAliases?: number;
  /**
   * Custom Cloud Storage endpoint (a local server, Private Service Connect).
   * The environment variable STORAGE_EMULATOR_HOST does the same.
   */
  apiEndpoint?: string;
  /** Send credentials to a custom endpoint. Default false. */
  authenticate?: boolean;
  /** Retries of one failed request (exponential backoff). Default 3. */
  retries?: number;
  /** Downloads in flight at once. Default 16. */
  concurrency?: number;
  /** Default: every 5 minutes, timeout 3 minutes. */
  schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
}

export interface Config {
  catalog?: {
    providers?: {
      /**
       * API specs in Cloud Storage (docs/api-docs.md): one instance
       * (`bucket` at this level, id `default`) or a map of id -> instance.
       */
      gcsApiDocs?:
        | GcsApiDocsProviderConfig
        | { [id: string]: GcsApiDocsProviderConfig };
    };
  };
}
