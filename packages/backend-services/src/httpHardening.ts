/*
 * Error responses of every plugin, made at the root HTTP router:
 *
 * - An oversized request body is 413 with a JSON message naming the limit.
 *   Plugins parse bodies with body-parser, whose error is a 413, but the
 *   routers of @backstage/backend-openapi-utils (catalog, scaffolder, search,
 *   events bus, ...) turn every error ahead of their validator into an
 *   InputError, answered 400 with body-parser's message. The body limits are
 *   the plugins' own (express.json's 100 kB unless a plugin sets more); a
 *   request whose Content-Length is above its plugin's limit is answered 413
 *   before anything reads the body.
 * - In production (NODE_ENV=production) a 5xx response carries no details of
 *   the failure: the message is replaced by one with a log id, under which
 *   the answer that was withheld is logged. Backstage's error handler already
 *   leaves stacks out outside development, but the message of an unexpected
 *   error (a file path, a SQL statement, a host name) would reach the client.
 *
 * Every plugin's router (Backstage's httpRouter service) ends with its own
 * error handler, so plugin errors never reach the root router's: both are
 * handled here where the answer is written (res.json, Backstage's error
 * body shape), by a middleware ahead of all routes.
 */
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { LoggerService } from '@backstage/backend-plugin-api';

/** Per plugin id (`/api/<id>/...`): the largest request body, in bytes. */
export type BodyLimits = Readonly<Record<string, number>> & {
  readonly default: number;
};

/**
 * The limits the installed plugins apply (body-parser's units: 1 kb = 1024
 * bytes): express.json()'s default for most, `10MB` for the scaffolder
 * (dry-runs upload templates), `5mb` for events (bus and HTTP ingress).
 */
export const PLUGIN_BODY_LIMITS: BodyLimits = {
  default: 100 * 1024,
  scaffolder: 10 * 1024 * 1024,
  events: 5 * 1024 * 1024,
};

/** The plugin a request path belongs to, if it is a plugin route. */
export function pluginIdOf(path: string): string | undefined {
  return /^\/api\/([^/?#]+)/.exec(path)?.[1];
}

export function bodyLimitFor(
  path: string,
  limits: BodyLimits = PLUGIN_BODY_LIMITS,
): number {
  const pluginId = pluginIdOf(path);
  return (pluginId !== undefined && limits[pluginId]) || limits.default;
}

/** `102400 bytes (100 kB)`, `10485760 bytes (10 MB)`. */
export function describeLimit(bytes: number): string {
  const units: Array<[number, string]> = [
    [1024 * 1024, 'MB'],
    [1024, 'kB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size && bytes % size === 0) {
      return `${bytes} bytes (${bytes / size} ${unit})`;
    }
  }
  return `${bytes} bytes`;
}

export class PayloadTooLargeError extends Error {
  readonly statusCode = 413;
  constructor(readonly limit: number) {
    super(`Request body is larger than the limit of ${describeLimit(limit)}`);
    this.name = 'PayloadTooLargeError';
  }
}

/**
 * body-parser's error for a body over its limit, also as the InputError that
 * @backstage/backend-openapi-utils makes of it (same message, 400). Returns
 * the limit when the error still carries it.
 */
export function asTooLarge(
  error: unknown,
): { limit: number | undefined } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as {
    type?: unknown;
    name?: unknown;
    message?: unknown;
    limit?: unknown;
  };
  const limit = typeof e.limit === 'number' ? e.limit : undefined;
  if (e.type === 'entity.too.large') return { limit };
  if (
    e.name === 'InputError' &&
    typeof e.message === 'string' &&
    /^request entity too large$/i.test(e.message)
  ) {
    return { limit };
  }
  return undefined;
}

/**
 * A request that announces a body over its plugin's limit (Content-Length)
 * is answered 413 at once; its body is not read, and the connection is
 * closed after the response.
 */
export function bodyLimitPrecheck(
  limits: BodyLimits = PLUGIN_BODY_LIMITS,
): RequestHandler {
  return (req, res, next) => {
    const header = req.headers['content-length'];
    if (header === undefined) {
      next();
      return;
    }
    const length = Number(header);
    const limit = bodyLimitFor(req.path, limits);
    if (Number.isFinite(length) && length > limit) {
      res.shouldKeepAlive = false;
      next(new PayloadTooLargeError(limit));
      return;
    }
    next();
  };
}

/** 5xx errors a plugin raises on purpose: their message is meant for clients. */
const DELIBERATE_5XX = new Set([
  'NotImplementedError',
  'ServiceUnavailableError',
]);

export interface ErrorResponseOptions {
  /** Hide the details of 5xx errors (default: NODE_ENV is production). */
  production?: boolean;
  limits?: BodyLimits;
  logger: LoggerService;
}

type ErrorBody = {
  error: Record<string, unknown> & { name?: unknown; message?: unknown };
  response?: { statusCode?: number };
  [key: string]: unknown;
};

/** Backstage's ErrorResponseBody: `{ error: { name, message }, request, response }`. */
function isErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return false;
  }
  const error = (body as { error?: unknown }).error;
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

/** The error without stack traces, its causes' included. */
function withoutStacks(
  error: Record<string, unknown>,
): Record<string, unknown> {
  const { stack: _stack, cause, ...rest } = error;
  if (typeof cause === 'object' && cause !== null && !Array.isArray(cause)) {
    return { ...rest, cause: withoutStacks(cause as Record<string, unknown>) };
  }
  return cause === undefined ? rest : { ...rest, cause };
}

/**
 * Rewrites error answers as they are written (every plugin's error handler
 * and the root's answer with res.json): a body-too-large error becomes 413
 * naming the limit; in production a 5xx error says only that an internal
 * error occurred, with the id under which the withheld answer is logged, and
 * no error answer carries a stack.
 */
export function errorResponseFilter(
  options: ErrorResponseOptions,
): RequestHandler {
  const production =
    options.production ?? process.env.NODE_ENV === 'production';
  const limits = options.limits ?? PLUGIN_BODY_LIMITS;
  const logger = options.logger.child({ type: 'errorHandler' });
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      if (res.statusCode < 400 || !isErrorBody(body)) return json(body);
      const tooLarge = asTooLarge(body.error);
      if (tooLarge && (res.statusCode === 400 || res.statusCode === 413)) {
        const error = new PayloadTooLargeError(
          tooLarge.limit ?? bodyLimitFor(req.originalUrl, limits),
        );
        res.status(413);
        return json({
          ...body,
          error: {
            name: error.name,
            message: error.message,
            limit: error.limit,
            statusCode: 413,
          },
          response: { statusCode: 413 },
        });
      }
      if (!production) return json(body);
      const name = String(body.error.name ?? 'Error');
      if (res.statusCode < 500 || DELIBERATE_5XX.has(name)) {
        return json({ ...body, error: withoutStacks(body.error) });
      }
      const logId = randomBytes(10).toString('hex');
      logger.error(
        `Internal error answered ${res.statusCode} with logId=${logId}; withheld from the response: ${name}: ${body.error.message}`,
      );
      return json({
        ...body,
        error: {
          name: 'Error',
          message: `An internal error occurred logId=${logId}`,
        },
      });
    };
    next();
  };
}

/** The part of Backstage's MiddlewareFactory that applyDefaults() uses here. */
export interface HardenableMiddleware {
  rateLimit(): RequestHandler;
}

/**
 * Installs the rewriting of error answers ({@link errorResponseFilter}) on
 * `app` (call it ahead of every route), and makes the root router's defaults
 * (rootHttpRouterServiceFactory's applyDefaults(), which takes its
 * middleware from this factory) check body sizes right after rate limiting,
 * so after the request log, ahead of every plugin's routes. Call before
 * applyDefaults().
 */
export function hardenRootRouter(
  app: { use(handler: RequestHandler): unknown },
  middleware: HardenableMiddleware,
  options: ErrorResponseOptions,
): void {
  app.use(errorResponseFilter(options));
  const rateLimit = middleware.rateLimit.bind(middleware);
  const precheck = bodyLimitPrecheck(options.limits);
  middleware.rateLimit = () => {
    const limiter = rateLimit();
    return (req, res, next) =>
      limiter(req, res, (err?: unknown) =>
        err ? next(err) : precheck(req, res, next),
      );
  };
}
