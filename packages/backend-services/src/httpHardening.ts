/*
 * Error responses of the root HTTP router (every plugin's routes):
 *
 * - An oversized request body is 413 with a JSON message naming the limit.
 *   Plugins parse bodies with body-parser, whose error is a 413, but the
 *   routers of @backstage/backend-openapi-utils (catalog, scaffolder, search,
 *   events bus, ...) turn every error ahead of their validator into an
 *   InputError (400) with body-parser's message. The body limits are the
 *   plugins' own (express.json's 100 kB unless a plugin sets more); a request
 *   whose Content-Length is above its plugin's limit is answered 413 before
 *   anything reads the body.
 * - In production (NODE_ENV=production) a 5xx response carries no details of
 *   the failure: the message is replaced by one with a log id, and the error
 *   (message, stack, cause) goes to the log under that id. Backstage's error
 *   handler already leaves stacks out outside development, but the message
 *   and causes of an unexpected error (a file path, a SQL statement, a host
 *   name) would still reach the client.
 */
import { randomBytes } from 'node:crypto';
import type {
  ErrorRequestHandler,
  Request,
  RequestHandler,
  Response,
} from 'express';
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

/** The status Backstage's error handler answers an error with. */
export function statusOf(error: unknown): number {
  const e = (error ?? {}) as Record<string, unknown>;
  for (const field of ['statusCode', 'status']) {
    const code = e[field];
    if (
      typeof code === 'number' &&
      Number.isInteger(code) &&
      code >= 100 &&
      code <= 599
    ) {
      return code;
    }
  }
  switch (e.name) {
    case 'NotModifiedError':
      return 304;
    case 'InputError':
      return 400;
    case 'AuthenticationError':
      return 401;
    case 'NotAllowedError':
      return 403;
    case 'NotFoundError':
      return 404;
    case 'ConflictError':
      return 409;
    case 'NotImplementedError':
      return 501;
    case 'ServiceUnavailableError':
      return 503;
    default:
      return 500;
  }
}

/** 5xx errors a plugin raises on purpose: their message is meant for clients. */
const DELIBERATE_5XX = new Set([
  'NotImplementedError',
  'ServiceUnavailableError',
]);

export interface PortalErrorHandlerOptions {
  /** Hide the details of 5xx errors (default: NODE_ENV is production). */
  production?: boolean;
  limits?: BodyLimits;
  logger: LoggerService;
}

function sendError(
  req: Request,
  res: Response,
  statusCode: number,
  error: { name: string; message: string },
) {
  res.status(statusCode).json({
    error,
    request: { method: req.method, url: req.url },
    response: { statusCode },
  });
}

/**
 * Wraps Backstage's error handler (MiddlewareFactory.error): oversized
 * bodies become 413 naming the limit; in production a 5xx answer says only
 * that an internal error occurred, with the id under which it was logged.
 * Everything else is Backstage's (same body shape).
 */
export function portalErrorHandler(
  backstageHandler: ErrorRequestHandler,
  options: PortalErrorHandlerOptions,
): ErrorRequestHandler {
  const production =
    options.production ?? process.env.NODE_ENV === 'production';
  const limits = options.limits ?? PLUGIN_BODY_LIMITS;
  const logger = options.logger.child({ type: 'errorHandler' });
  return (error, req, res, next) => {
    const tooLarge = asTooLarge(error);
    if (tooLarge) {
      const limit = tooLarge.limit ?? bodyLimitFor(req.originalUrl, limits);
      backstageHandler(new PayloadTooLargeError(limit), req, res, next);
      return;
    }
    const statusCode = statusOf(error);
    if (!production || statusCode < 500 || res.headersSent) {
      backstageHandler(error, req, res, next);
      return;
    }
    const name = (error as Error)?.name;
    if (DELIBERATE_5XX.has(name)) {
      logger.error(`Request failed with status ${statusCode}`, error);
      sendError(req, res, statusCode, {
        name,
        message: String((error as Error).message),
      });
      return;
    }
    const logId = randomBytes(10).toString('hex');
    logger.error(
      `Request failed with status ${statusCode}; details withheld from the response under logId=${logId}`,
      error instanceof Error ? error : new Error(String(error)),
    );
    sendError(req, res, statusCode, {
      name: 'Error',
      message: `An internal error occurred logId=${logId}`,
    });
  };
}

/** The part of Backstage's MiddlewareFactory that applyDefaults() uses here. */
export interface HardenableMiddleware {
  rateLimit(): RequestHandler;
  error(options?: {
    showStackTraces?: boolean;
    logAllErrors?: boolean;
  }): ErrorRequestHandler;
}

/**
 * Makes the root router's defaults (rootHttpRouterServiceFactory's
 * applyDefaults(), which takes its middleware from this factory) check body
 * sizes right after rate limiting, ahead of every plugin's routes, and answer
 * errors through {@link portalErrorHandler}. Call before applyDefaults().
 */
export function hardenMiddleware(
  middleware: HardenableMiddleware,
  options: PortalErrorHandlerOptions,
): void {
  const rateLimit = middleware.rateLimit.bind(middleware);
  const error = middleware.error.bind(middleware);
  const precheck = bodyLimitPrecheck(options.limits);
  middleware.rateLimit = () => {
    const limiter = rateLimit();
    return (req, res, next) =>
      limiter(req, res, (err?: unknown) =>
        err ? next(err) : precheck(req, res, next),
      );
  };
  middleware.error = errorOptions =>
    portalErrorHandler(error(errorOptions), options);
}
