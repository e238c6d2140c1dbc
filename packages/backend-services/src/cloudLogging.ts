/*
 * Logs for Cloud Logging. In production the root logger writes one JSON
 * object per line in Cloud Logging's structured format
 * (https://cloud.google.com/logging/docs/structured-logging): `severity` from
 * the level, `message`, the request's trace from `X-Cloud-Trace-Context` or
 * `traceparent`, `httpRequest` on request logs, errors with their stack in a
 * form Error Reporting picks up, and the plugin as a label. Secrets are
 * redacted (Backstage's redacter runs over the finished line). Elsewhere the
 * readable coloured lines of Backstage stay.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHandler } from 'express';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { createConfigSecretEnumerator } from '@backstage/backend-defaults/rootConfig';
import { WinstonLogger } from '@backstage/backend-defaults/rootLogger';
import { Config } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import * as winston from 'winston';
import { secretValuesOf } from './secrets';

/** The trace of the request a log line belongs to. */
export interface RequestTrace {
  traceId: string;
  /** 16 hex digits. */
  spanId?: string;
  sampled?: boolean;
}

/**
 * Reads `traceparent` (W3C) or, failing that, `X-Cloud-Trace-Context`
 * (`TRACE_ID/SPAN_ID;o=1`, span in decimal). Undefined when neither is valid.
 */
export function parseTraceHeaders(
  headers: IncomingHttpHeaders,
): RequestTrace | undefined {
  const traceparent = header(headers, 'traceparent');
  const w3c = traceparent
    ? /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/i.exec(
        traceparent.trim(),
      )
    : null;
  if (w3c && !/^0+$/.test(w3c[1])) {
    return {
      traceId: w3c[1].toLowerCase(),
      spanId: w3c[2].toLowerCase(),
      sampled: (parseInt(w3c[3], 16) & 1) === 1,
    };
  }
  const cloud = header(headers, 'x-cloud-trace-context');
  const match = cloud
    ? /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?$/i.exec(cloud.trim())
    : null;
  if (!match) return undefined;
  let spanId: string | undefined;
  if (match[2]) {
    try {
      spanId = BigInt(match[2]).toString(16).padStart(16, '0').slice(-16);
    } catch {
      spanId = undefined;
    }
  }
  return {
    traceId: match[1].toLowerCase(),
    spanId,
    sampled: match[3] === undefined ? undefined : match[3] === '1',
  };
}

function header(headers: IncomingHttpHeaders, name: string) {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const traceStorage = new AsyncLocalStorage<RequestTrace>();

/** The trace of the request being handled, if any. */
export function currentRequestTrace(): RequestTrace | undefined {
  return traceStorage.getStore();
}

/**
 * Express middleware (first in the root router): everything logged while a
 * request is handled, the request log included, carries its trace.
 */
export const requestTraceMiddleware: RequestHandler = (req, _res, next) => {
  const trace = parseTraceHeaders(req.headers);
  if (trace) traceStorage.run(trace, next);
  else next();
};

const SEVERITY: Record<string, string> = {
  error: 'ERROR',
  warn: 'WARNING',
  info: 'INFO',
  http: 'INFO',
  verbose: 'DEBUG',
  debug: 'DEBUG',
  silly: 'DEBUG',
};

/** Fields that become labels (strings Cloud Logging indexes). */
const LABELS = ['plugin', 'service', 'module', 'task', 'type'];

export interface CloudLoggingOptions {
  /** For the trace's resource name `projects/<id>/traces/<trace>`. */
  projectId?: string;
  /** Error Reporting groups errors by service and version (Cloud Run: K_SERVICE, K_REVISION). */
  serviceContext?: { service: string; version?: string };
}

/**
 * One winston log record as a Cloud Logging structured entry. Fields that
 * are not mapped stay in the JSON payload.
 */
export function toCloudLoggingEntry(
  info: Record<string, unknown>,
  options: CloudLoggingOptions,
  trace: RequestTrace | undefined = currentRequestTrace(),
): Record<string, unknown> {
  const { level, message, stack, error, ...rest } = info;
  const entry: Record<string, unknown> = {
    severity: SEVERITY[String(level)] ?? 'DEFAULT',
  };

  // The message, with the stack of an error logged as the message, as
  // winston's meta (`stack`), or as `{ error }`.
  let text = messageText(message);
  const errorStack =
    (typeof stack === 'string' && stack) ||
    stackOf(message) ||
    stackOf(error) ||
    undefined;
  if (error !== undefined && !errorStack) rest.error = error;
  if (errorStack) {
    // Error Reporting reads the stack from `stack_trace` (or a message that
    // is one); the type makes it report an entry of any severity.
    if (!text.includes(errorStack.split('\n')[0])) {
      text = text ? `${text}\n${errorStack}` : errorStack;
    }
    entry.stack_trace = errorStack;
    if (entry.severity === 'ERROR') {
      entry['@type'] =
        'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent';
      if (options.serviceContext) entry.serviceContext = options.serviceContext;
    }
  }
  entry.message = text;
  if (rest.timestamp === undefined) entry.time = new Date().toISOString();

  const labels: Record<string, string> = {};
  for (const key of LABELS) {
    if (typeof rest[key] === 'string') labels[key] = rest[key] as string;
  }
  if (Object.keys(labels).length) {
    entry['logging.googleapis.com/labels'] = labels;
  }

  if (rest.type === 'incomingRequest') {
    entry.httpRequest = httpRequestOf(rest);
  }

  if (trace) {
    entry['logging.googleapis.com/trace'] = options.projectId
      ? `projects/${options.projectId}/traces/${trace.traceId}`
      : trace.traceId;
    if (trace.spanId) entry['logging.googleapis.com/spanId'] = trace.spanId;
    if (trace.sampled !== undefined) {
      entry['logging.googleapis.com/trace_sampled'] = trace.sampled;
    }
  }
  // The rest of the record (plugin, task, counts, ...) as it was.
  return { ...rest, ...entry };
}

function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Error) return message.message;
  if (message && typeof message === 'object' && 'message' in message) {
    return String((message as { message: unknown }).message);
  }
  return message === undefined ? '' : JSON.stringify(message);
}

function stackOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && 'stack' in value) {
    const stack = (value as { stack: unknown }).stack;
    if (typeof stack === 'string' && stack) return stack;
  }
  return undefined;
}

/** Backstage's request log fields as Cloud Logging's HttpRequest. */
function httpRequestOf(record: Record<string, unknown>) {
  const request: Record<string, unknown> = {};
  if (typeof record.method === 'string') request.requestMethod = record.method;
  if (typeof record.url === 'string') request.requestUrl = record.url;
  const status = Number(record.status);
  if (Number.isFinite(status)) request.status = status;
  const size = Number(record.contentLength);
  if (Number.isFinite(size)) request.responseSize = String(size);
  if (typeof record.userAgent === 'string')
    request.userAgent = record.userAgent;
  if (typeof record.referrer === 'string') request.referer = record.referrer;
  if (typeof record.remoteAddr === 'string')
    request.remoteIp = record.remoteAddr;
  if (typeof record.httpVersion === 'string') {
    request.protocol = `HTTP/${record.httpVersion}`;
  }
  return request;
}

/** Logging must not throw: an entry that cannot be built is written plainly. */
function safeEntry(
  info: Record<string, unknown>,
  options: CloudLoggingOptions,
) {
  try {
    return toCloudLoggingEntry(info, options);
  } catch {
    let message: string;
    try {
      message = String(info.message);
    } catch {
      message = '[message not printable]';
    }
    return { severity: SEVERITY[String(info.level)] ?? 'DEFAULT', message };
  }
}

/** A winston format writing Cloud Logging entries as JSON lines. */
export function cloudLoggingFormat(options: CloudLoggingOptions) {
  return winston.format.combine(
    winston.format(
      info =>
        Object.assign(
          // Keep winston's symbol keys (level, message) on the object.
          Object.fromEntries(
            Object.getOwnPropertySymbols(info).map(s => [s, (info as any)[s]]),
          ),
          safeEntry(info as Record<string, unknown>, options),
        ) as any,
    )(),
    winston.format.json(),
  );
}

/** Cloud Logging options from the environment (Cloud Run sets K_SERVICE, K_REVISION). */
export function cloudLoggingOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): CloudLoggingOptions {
  return {
    projectId: env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT || undefined,
    serviceContext: {
      service: env.K_SERVICE || 'developer-portal',
      ...(env.K_REVISION ? { version: env.K_REVISION } : {}),
    },
  };
}

/**
 * For what is said before the root logger exists (configuration checks at
 * start-up, a failed start): a Cloud Logging line in production, plain text
 * otherwise.
 */
export function writeStartupLog(
  severity: 'INFO' | 'WARNING' | 'ERROR',
  message: string,
  error?: unknown,
) {
  const toStderr = severity === 'ERROR';
  if (process.env.NODE_ENV !== 'production') {
    // eslint-disable-next-line no-console
    (toStderr ? console.error : console.log)(
      error ? `${message} ${error}` : message,
    );
    return;
  }
  const level = { INFO: 'info', WARNING: 'warn', ERROR: 'error' }[severity];
  const record: Record<string, unknown> = {
    level,
    message,
    service: 'backstage',
  };
  if (error instanceof Error) record.stack = error.stack ?? String(error);
  else if (error !== undefined) record.error = String(error);
  const entry = toCloudLoggingEntry(record, cloudLoggingOptionsFromEnv());
  (toStderr ? process.stderr : process.stdout).write(
    `${JSON.stringify(entry)}\n`,
  );
}

/**
 * The config's secrets as they appear in a JSON line too (newlines, quotes
 * and backslashes escaped: PEM keys, JSON credentials), plus the Redis URL,
 * which may hold a password and which the schema does not mark secret.
 */
export function redactionsOf(
  config: Config,
  enumerate: (config: Config) => Iterable<string>,
): string[] {
  // Values from Secret Manager, whatever config key they landed in.
  const secrets = [...enumerate(config), ...secretValuesOf(config)];
  const connection = config.getOptional('backend.cache.connection');
  const url =
    typeof connection === 'string'
      ? connection
      : (connection as { url?: unknown } | undefined)?.url;
  if (typeof url === 'string' && url) secrets.push(url);
  return [
    ...secrets,
    ...secrets.map(secret => JSON.stringify(secret).slice(1, -1)),
  ];
}

function readLoggerConfig(config: Config) {
  return {
    level: config.getOptionalString('backend.logger.level'),
    meta: config.getOptionalConfig('backend.logger.meta')?.get<JsonObject>(),
    overrides: (
      config.getOptionalConfigArray('backend.logger.overrides') ?? []
    ).map(o => ({
      matchers: o.getConfig('matchers').get<JsonObject>() as any,
      level: o.getString('level'),
    })),
  };
}

/**
 * Backstage's root logger, with Cloud Logging's format when NODE_ENV is
 * production (the container) and the readable format otherwise.
 */
export const portalRootLoggerServiceFactory = createServiceFactory({
  service: coreServices.rootLogger,
  deps: { config: coreServices.rootConfig },
  async factory({ config }) {
    const settings = readLoggerConfig(config);
    const logger = WinstonLogger.create({
      meta: { service: 'backstage', ...settings.meta },
      level: process.env.LOG_LEVEL || settings.level || 'info',
      format:
        process.env.NODE_ENV === 'production'
          ? cloudLoggingFormat(cloudLoggingOptionsFromEnv())
          : WinstonLogger.colorFormat(),
      transports: [new winston.transports.Console()],
    });
    const enumerate = await createConfigSecretEnumerator({ logger });
    const redact = () => logger.addRedactions(redactionsOf(config, enumerate));
    redact();
    config.subscribe?.(redact);
    logger.setLevelOverrides(settings.overrides);
    return logger;
  },
});
