/*
 * Pure transform: one Cloud Storage object (its listing entry and bytes) to
 * one API entity, or the reason it yields none. No I/O here; the provider
 * (provider.ts) lists, downloads and applies.
 */
import {
  ApiEntity,
  KubernetesValidatorFunctions,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Kind, parse as parseGraphql } from 'graphql';
import { parse as parseYaml } from 'yaml';

/** Annotations the provider writes on every API entity it emits. */
export const ANNOTATION_SOURCE = 'api-docs/source';
export const ANNOTATION_GENERATION = 'api-docs/generation';
export const ANNOTATION_VERSION = 'api-docs/version';
/** Comma-separated entity refs of the components providing / consuming the API. */
export const ANNOTATION_PROVIDED_BY = 'api-docs/provided-by';
export const ANNOTATION_CONSUMED_BY = 'api-docs/consumed-by';

/** What the listing says about an object. */
export interface SpecObject {
  bucket: string;
  /** Full object name, prefix included. */
  name: string;
  generation: string;
  /** Bytes, as listed. */
  size: number;
  /** Custom object metadata (`gcloud storage objects update --custom-metadata`). */
  metadata?: Record<string, string>;
}

export interface TransformOptions {
  /** The listed prefix; the path convention applies to the name below it. */
  prefix: string;
  namespace: string;
  defaults: {
    owner?: string;
    system?: string;
    lifecycle: string;
  };
  /** Bytes; a larger object is refused. */
  maxSpecSize: number;
  /** YAML alias resolutions allowed (the `yaml` package's maxAliasCount). */
  maxYamlAliases: number;
}

export type TransformResult =
  | { type: 'entity'; entity: ApiEntity }
  | { type: 'ignored'; reason: string }
  | { type: 'problem'; reason: string };

type Format = 'json' | 'yaml' | 'graphql';

const FORMATS: Record<string, Format> = {
  '.json': 'json',
  '.yaml': 'yaml',
  '.yml': 'yaml',
  '.graphql': 'graphql',
  '.graphqls': 'graphql',
  '.gql': 'graphql',
};

const EXTENSION = /\.[A-Za-z0-9]+$/;

/** The spec format an object name promises, or undefined for other objects. */
export function formatOf(name: string): Format | undefined {
  const ext = EXTENSION.exec(name)?.[0].toLowerCase();
  return ext ? FORMATS[ext] : undefined;
}

/** Fields a spec (or object metadata) may set, with their metadata keys. */
const FIELDS = [
  'name',
  'title',
  'description',
  'version',
  'owner',
  'system',
  'lifecycle',
  'provided-by',
  'consumed-by',
] as const;
type Field = (typeof FIELDS)[number];
type Fields = Partial<Record<Field, string | string[]>>;

interface ParsedSpec {
  type: 'openapi' | 'asyncapi' | 'graphql';
  /** From the spec's own fields (info.title, info.version, ...). */
  own: { title?: string; version?: string; description?: string };
  /** x-backstage-* fields (OpenAPI/AsyncAPI: root or info; GraphQL: header comments). */
  extensions: Fields;
}

class Refused extends Error {}

/**
 * Turns an object and its bytes into an API entity. Everything a spec
 * author or bucket owner can get wrong comes back as `problem` with the
 * reason; objects that are not specs come back as `ignored`.
 */
export function specToEntity(
  object: SpecObject,
  content: Buffer,
  options: TransformOptions,
): TransformResult {
  const format = formatOf(object.name);
  if (!format) {
    return {
      type: 'ignored',
      reason: 'not a .json, .yaml, .yml or .graphql object',
    };
  }
  try {
    if (content.length > options.maxSpecSize) {
      throw new Refused(
        `is ${content.length} bytes, more than the limit of ${options.maxSpecSize} (maxSpecSize)`,
      );
    }
    const text = decodeText(content);
    if (!text.trim()) throw new Refused('is empty');
    const spec =
      format === 'graphql'
        ? parseGraphqlSpec(text)
        : parseDocumentSpec(text, format, options.maxYamlAliases);
    if (!spec) {
      return {
        type: 'ignored',
        reason: 'not an API spec (no openapi, swagger or asyncapi field)',
      };
    }
    return { type: 'entity', entity: toEntity(object, text, spec, options) };
  } catch (error) {
    if (error instanceof Refused) {
      return { type: 'problem', reason: error.message };
    }
    throw error;
  }
}

function decodeText(content: Buffer): string {
  if (content.includes(0)) {
    throw new Refused('is binary, not text (it contains NUL bytes)');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
      content,
    );
  } catch {
    throw new Refused('is not UTF-8 text');
  }
}

function parseDocumentSpec(
  text: string,
  format: 'json' | 'yaml',
  maxAliasCount: number,
): ParsedSpec | undefined {
  let doc: unknown;
  if (format === 'json') {
    try {
      doc = JSON.parse(text);
    } catch (error) {
      throw new Refused(`is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    try {
      doc = parseYaml(text, { maxAliasCount, prettyErrors: true });
    } catch (error) {
      const message = (error as Error).message;
      if (
        /alias/i.test(message) &&
        /resource exhaustion|excessive/i.test(message)
      ) {
        throw new Refused(
          `is refused: its YAML aliases expand beyond the limit of ${maxAliasCount} (maxYamlAliases)`,
        );
      }
      throw new Refused(`is not valid YAML: ${firstLine(message)}`);
    }
  }
  if (!isRecord(doc)) return undefined;

  for (const key of ['openapi', 'swagger', 'asyncapi']) {
    if (typeof doc[key] === 'number') {
      throw new Refused(
        `has ${key}: ${
          doc[key]
        } as a number; write the version as a string (${key}: "${
          key === 'swagger' ? '2.0' : doc[key]
        }")`,
      );
    }
  }
  const version = (key: string) =>
    typeof doc[key] === 'string' ? doc[key] : undefined;
  let type: ParsedSpec['type'];
  if (version('openapi') !== undefined) {
    if (!/^3\.\d+(\.\d+)?$/.test(version('openapi')!)) {
      throw new Refused(
        `declares openapi ${version(
          'openapi',
        )}; supported are OpenAPI 2.0 (swagger) and 3.x`,
      );
    }
    type = 'openapi';
  } else if (version('swagger') !== undefined) {
    if (version('swagger') !== '2.0') {
      throw new Refused(
        `declares swagger ${version(
          'swagger',
        )}; supported are OpenAPI 2.0 (swagger) and 3.x`,
      );
    }
    type = 'openapi';
  } else if (version('asyncapi') !== undefined) {
    if (!/^[23]\.\d+(\.\d+)?$/.test(version('asyncapi')!)) {
      throw new Refused(
        `declares asyncapi ${version(
          'asyncapi',
        )}; supported are AsyncAPI 2.x and 3.x`,
      );
    }
    type = 'asyncapi';
  } else {
    return undefined;
  }
  if (!isRecord(doc.info)) {
    throw new Refused(`is an ${type} document without an info object`);
  }
  rejectRemoteRefs(doc);

  const info = doc.info;
  const str = (value: unknown) => {
    if (typeof value === 'number') return String(value);
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const extensions: Fields = {};
  for (const field of FIELDS) {
    const value = doc[`x-backstage-${field}`] ?? info[`x-backstage-${field}`];
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') {
      if (value.trim()) extensions[field] = value.trim();
    } else if (typeof value === 'number' && field === 'version') {
      extensions[field] = String(value);
    } else if (isStringArray(value)) {
      extensions[field] = value;
    } else {
      throw new Refused(`has x-backstage-${field} that is not a string`);
    }
  }
  return {
    type,
    own: {
      title: str(info.title),
      version: str(info.version),
      description: str(info.description),
    },
    extensions,
  };
}

/**
 * The portal never resolves `$ref`s, and a spec that needs another document
 * (another host, another file) would make the browser fetch it when the
 * definition renders. Only references inside the document are accepted.
 */
function rejectRemoteRefs(doc: Record<string, unknown>) {
  const seen = new Set<object>();
  const stack: Array<{ node: unknown; path: string }> = [
    { node: doc, path: '' },
  ];
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      const at = `${path}/${key}`;
      if (isRemoteReference(key, value)) {
        throw new Refused(
          `refers to another document (${key} "${value}" at ${at}); only references inside the spec (#/...) are accepted, so bundle it first (e.g. redocly bundle)`,
        );
      }
      stack.push({ node: value, path: at });
    }
  }
}

/**
 * `$ref` (and JSON Schema 2019+/2020-12's `$dynamicRef`, `$recursiveRef`)
 * to another document, or an `$id` that rebases references onto a URL.
 */
function isRemoteReference(key: string, value: unknown) {
  if (typeof value !== 'string') return false;
  if (key === '$ref' || key === '$dynamicRef' || key === '$recursiveRef') {
    return !value.startsWith('#');
  }
  return key === '$id' && /^[a-z][a-z0-9+.-]*:|^\/\//i.test(value);
}

const GRAPHQL_HEADER = /^#\s*x-backstage-([a-z-]+)\s*:\s*(.*?)\s*$/;

function parseGraphqlSpec(text: string): ParsedSpec {
  let document;
  try {
    document = parseGraphql(text, { noLocation: true });
  } catch (error) {
    throw new Refused(
      `is not a valid GraphQL schema: ${firstLine((error as Error).message)}`,
    );
  }
  const executable = document.definitions.find(
    d =>
      d.kind === Kind.OPERATION_DEFINITION ||
      d.kind === Kind.FRAGMENT_DEFINITION,
  );
  if (executable) {
    throw new Refused(
      'is a GraphQL query document, not a schema (it contains operations or fragments)',
    );
  }
  // Fields come from leading comment lines: `# x-backstage-owner: team-a`.
  const extensions: Fields = {};
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith('#')) break;
    const match = GRAPHQL_HEADER.exec(trimmed);
    if (match && (FIELDS as readonly string[]).includes(match[1]) && match[2]) {
      extensions[match[1] as Field] = match[2];
    }
  }
  const schema = document.definitions.find(
    d => d.kind === Kind.SCHEMA_DEFINITION,
  );
  const description =
    schema && 'description' in schema ? schema.description?.value : undefined;
  return {
    type: 'graphql',
    own: { description: description?.trim() || undefined },
    extensions,
  };
}

function toEntity(
  object: SpecObject,
  text: string,
  spec: ParsedSpec,
  options: TransformOptions,
): ApiEntity {
  const path = pathConvention(object.name, options.prefix);
  const metadata = object.metadata ?? {};
  // Object metadata first, then the spec's x-backstage-* fields.
  const pick = (field: Field): string | string[] | undefined =>
    nonEmpty(metadata[`backstage-${field}`]) ?? spec.extensions[field];
  const one = (field: Field): string | undefined => {
    const value = pick(field);
    return Array.isArray(value) ? value.join(',') : value;
  };

  const explicitName = one('name');
  const name = explicitName ?? path.name;
  if (!name || !KubernetesValidatorFunctions.isValidObjectName(name)) {
    throw new Refused(
      explicitName
        ? `sets the entity name "${explicitName}", which is not a valid name (letters, digits, -, _ and . ; at most 63; starting and ending with a letter or digit)`
        : `has a file name that gives no valid entity name; set backstage-name (object metadata) or x-backstage-name`,
    );
  }
  const owner = one('owner') ?? options.defaults.owner;
  if (!owner) {
    throw new Refused(
      'has no owner: set the object metadata backstage-owner, x-backstage-owner in the spec, or the provider default (defaults.owner)',
    );
  }
  checkRef(owner, 'owner', 'group', options.namespace);
  const system = one('system') ?? path.system ?? options.defaults.system;
  if (system) checkRef(system, 'system', 'system', options.namespace);
  const lifecycle = one('lifecycle') ?? options.defaults.lifecycle;

  const refs = (field: 'provided-by' | 'consumed-by') => {
    const value = pick(field);
    const list = (Array.isArray(value) ? value : (value ?? '').split(','))
      .map(s => s.trim())
      .filter(Boolean);
    return list.map(ref =>
      stringifyEntityRef(checkRef(ref, field, 'component', options.namespace)),
    );
  };
  const providedBy = refs('provided-by');
  const consumedBy = refs('consumed-by');

  const title = one('title') ?? spec.own.title;
  const description = one('description') ?? spec.own.description;
  const version = one('version') ?? spec.own.version;
  const url = `https://storage.cloud.google.com/${object.bucket}/${encodeURI(
    object.name,
  )}`;
  const annotations: Record<string, string> = {
    'backstage.io/managed-by-location': `url:${url}`,
    'backstage.io/managed-by-origin-location': `url:${url}`,
    'backstage.io/view-url': `https://console.cloud.google.com/storage/browser/_details/${
      object.bucket
    }/${encodeURI(object.name)}`,
    [ANNOTATION_SOURCE]: `gs://${object.bucket}/${object.name}`,
    [ANNOTATION_GENERATION]: object.generation,
  };
  if (version) annotations[ANNOTATION_VERSION] = version;
  if (providedBy.length)
    annotations[ANNOTATION_PROVIDED_BY] = providedBy.join(',');
  if (consumedBy.length)
    annotations[ANNOTATION_CONSUMED_BY] = consumedBy.join(',');

  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'API',
    metadata: {
      name,
      namespace: options.namespace,
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      annotations,
    },
    spec: {
      type: spec.type,
      lifecycle,
      owner,
      ...(system ? { system } : {}),
      definition: text,
    },
  };
}

/**
 * `<prefix><system>/<api>.<ext>`: the first folder below the prefix names
 * the system, the file name (without extension) the API. A file right under
 * the prefix gives only the name.
 */
export function pathConvention(
  objectName: string,
  prefix: string,
): { name?: string; system?: string } {
  const relative = objectName.startsWith(prefix)
    ? objectName.slice(prefix.length)
    : objectName;
  const parts = relative.split('/').filter(Boolean);
  const file = parts.pop() ?? '';
  const base = file.replace(EXTENSION, '');
  const name = toEntityName(base);
  const system = parts.length ? toEntityName(parts[0]) : undefined;
  return { name, system };
}

/** A file or folder name made into a valid entity name, or undefined. */
function toEntityName(value: string): string | undefined {
  const name = value
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/[^A-Za-z0-9]+$/, '');
  return name || undefined;
}

function checkRef(
  ref: string,
  field: string,
  defaultKind: string,
  defaultNamespace: string,
) {
  let parsed;
  try {
    parsed = parseEntityRef(ref, { defaultKind, defaultNamespace });
  } catch (error) {
    throw new Refused(
      `has an invalid ${field} "${ref}": ${(error as Error).message}`,
    );
  }
  if (
    !KubernetesValidatorFunctions.isValidObjectName(parsed.name) ||
    !KubernetesValidatorFunctions.isValidNamespace(parsed.namespace)
  ) {
    throw new Refused(
      `has an invalid ${field} "${ref}": not a valid entity name or namespace`,
    );
  }
  if (
    (field === 'provided-by' || field === 'consumed-by') &&
    parsed.kind.toLocaleLowerCase('en-US') !== 'component'
  ) {
    throw new Refused(
      `has ${field} "${ref}", which is not a component (APIs are provided and consumed by components)`,
    );
  }
  return parsed;
}

function nonEmpty(value: string | undefined) {
  return value && value.trim() ? value.trim() : undefined;
}

function firstLine(message: string) {
  return message.split('\n')[0].replace(/:$/, '');
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(v => typeof v === 'string');
}
