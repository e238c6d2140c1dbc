import type { Server, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { requestTraceMiddleware } from './cloudLogging';
import { hardenRootRouter } from './httpHardening';
import type {
  LoggerService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';

/**
 * Cloud Run sends SIGTERM and kills the instance 10 s later. In-flight
 * requests get this long to finish before their connections are cut.
 */
export const DRAIN_LIMIT_MS = 8_000;

/**
 * Long-polls that only wait for a notification: ended (as their own timeout
 * would end them) as soon as draining starts, instead of holding the exit.
 * The events bus subscription poll of @backstage/plugin-events-backend is one
 * (the catalog keeps one open against its own process).
 */
export const DEFAULT_LONG_POLLS: RegExp[] = [
  /^\/api\/events\/bus\/v1\/subscriptions\/[^/]+\/events(\?|$)/,
];

/**
 * Makes the HTTP server drain on shutdown: responses still being produced are
 * sent with `Connection: close` so their sockets close once they are done
 * (instead of idling for the keep-alive timeout), and after `drainLimitMs`
 * whatever is left is closed so the process can exit in time.
 * Returns a function to call when shutdown begins.
 */
export function installDrain(
  app: Express,
  server: Server,
  logger: LoggerService,
  options: { drainLimitMs?: number; longPolls?: RegExp[] } = {},
): () => void {
  const drainLimitMs = options.drainLimitMs ?? DRAIN_LIMIT_MS;
  const longPolls = options.longPolls ?? DEFAULT_LONG_POLLS;
  const inFlight = new Map<
    ServerResponse,
    { url: string; longPoll: boolean }
  >();
  let draining = false;
  app.use((req, res, next) => {
    if (draining) {
      res.shouldKeepAlive = false;
    }
    const longPoll = longPolls.some(pattern => pattern.test(req.originalUrl));
    if (longPoll) {
      // A long-poll that starts waiting (flushes its headers) while draining
      // is ended right away.
      const flushHeaders = res.flushHeaders.bind(res);
      res.flushHeaders = () => {
        flushHeaders();
        if (draining) res.end();
      };
    }
    inFlight.set(res, { url: req.originalUrl, longPoll });
    res.on('close', () => inFlight.delete(res));
    next();
  });
  return () => {
    if (draining) return;
    draining = true;
    for (const [res, { longPoll }] of inFlight) {
      if (!res.headersSent) {
        res.shouldKeepAlive = false;
      } else if (longPoll) {
        res.end();
      }
    }
    server.closeIdleConnections();
    logger.info(
      `Shutting down: draining ${inFlight.size} in-flight request(s)`,
    );
    const timer = setTimeout(() => {
      if (inFlight.size > 0) {
        logger.warn(
          `Shutdown: ${
            inFlight.size
          } request(s) still running after ${drainLimitMs} ms; closing their connections: ${[
            ...inFlight.values(),
          ]
            .map(r => r.url)
            .join(', ')}`,
        );
      }
      server.closeAllConnections();
    }, drainLimitMs);
    timer.unref();
  };
}

/**
 * Backstage's root HTTP router with connection draining on SIGTERM
 * (see {@link installDrain}), body limits and production error responses
 * (see {@link hardenRootRouter}).
 */
export const portalRootHttpRouterServiceFactory = rootHttpRouterServiceFactory({
  configure({ app, server, applyDefaults, lifecycle, logger, middleware }) {
    // First: the request's trace for every line logged while handling it.
    app.use(requestTraceMiddleware);
    const beginDrain = installDrain(app, server, logger);
    // The router's factory is root-scoped, so this is the root lifecycle,
    // whose before-shutdown hooks run ahead of the server's own stop.
    const root = lifecycle as Partial<RootLifecycleService>;
    if (root.addBeforeShutdownHook) {
      root.addBeforeShutdownHook(beginDrain);
    } else {
      lifecycle.addShutdownHook(beginDrain);
    }
    // Oversized bodies answered 413 naming the limit (checked ahead of every
    // plugin's routes); in production, 5xx answers without the error's
    // details (httpHardening.ts).
    hardenRootRouter(app, middleware, { logger });
    applyDefaults();
  },
});
