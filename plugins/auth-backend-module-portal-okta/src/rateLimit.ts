import { isIP } from 'node:net';
import { Config } from '@backstage/config';
import { LoggerService } from '@backstage/backend-plugin-api';

/** `portal.auth.startRateLimit`. */
export interface StartRateLimitOptions {
  /** Sign-in starts allowed per client address and window. */
  limit: number;
  /** The window, in milliseconds. */
  windowMs: number;
  /** Client addresses remembered at most (memory bound). */
  maxClients: number;
}

export const defaultStartRateLimit: StartRateLimitOptions = {
  limit: 30,
  windowMs: 60_000,
  maxClients: 10_000,
};

/** Reads `portal.auth.startRateLimit` (`limit`, `windowSeconds`, `maxClients`). */
export function readStartRateLimit(config: Config): StartRateLimitOptions {
  const c = config.getOptionalConfig('portal.auth.startRateLimit');
  const positive = (key: string, fallback: number) => {
    const value = c?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `portal.auth.startRateLimit.${key}: must be a whole number of at least 1, not ${value}`,
      );
    }
    return value;
  };
  return {
    limit: positive('limit', defaultStartRateLimit.limit),
    windowMs:
      positive('windowSeconds', defaultStartRateLimit.windowMs / 1000) * 1000,
    maxClients: positive('maxClients', defaultStartRateLimit.maxClients),
  };
}

/** What a limiter decided for one request. */
export type RateLimitDecision =
  | { allowed: true }
  | {
      allowed: false;
      /** Seconds until the client's window ends. */
      retryAfterSeconds: number;
      /** True for the first refusal of this client in its window. */
      firstRefusal: boolean;
    };

interface Window {
  start: number;
  count: number;
}

/**
 * Fixed-window counters per client key, in this process's memory. At most
 * `maxClients` keys are kept: past that, ended windows are dropped, then the
 * oldest windows.
 */
export class StartRateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly options: StartRateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request of `key`. */
  take(key: string): RateLimitDecision {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.options.windowMs) {
      this.windows.delete(key); // re-inserted: Map order = window start order
      window = { start: now, count: 0 };
      this.windows.set(key, window);
      this.prune(now);
    }
    window.count += 1;
    if (window.count <= this.options.limit) {
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(
        1,
        Math.ceil((window.start + this.options.windowMs - now) / 1000),
      ),
      firstRefusal: window.count === this.options.limit + 1,
    };
  }

  /** Number of client keys held (tests). */
  get size(): number {
    return this.windows.size;
  }

  private prune(now: number) {
    if (this.windows.size <= this.options.maxClients) return;
    // Oldest first: windows are kept in the order they started.
    for (const [key, window] of this.windows) {
      if (this.windows.size <= this.options.maxClients) return;
      if (now - window.start >= this.options.windowMs) {
        this.windows.delete(key);
      } else {
        break;
      }
    }
    // Still too many live windows (a flood from many addresses): forget the
    // oldest; those clients start a new window.
    for (const key of this.windows.keys()) {
      if (this.windows.size <= this.options.maxClients) return;
      this.windows.delete(key);
    }
  }
}

/** The parts of a request the limiter reads. */
export interface ClientRequest {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}

/**
 * The client address of a request behind Cloud Run: the LAST entry of
 * `X-Forwarded-For`. Google's front end appends the address it received the
 * connection from to whatever header the client sent, so entries before the
 * last are the client's own claims (free to forge, one new "address" per
 * request), while the last is the one Google saw. Without the header (direct
 * connections, local runs): the socket's address.
 */
export function clientAddress(req: ClientRequest): string {
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header.join(',') : header ?? '';
  const last = value.split(',').pop()?.trim();
  if (last && isIP(stripMapped(last))) return stripMapped(last);
  return stripMapped(req.socket?.remoteAddress ?? 'unknown');
}

/** `::ffff:1.2.3.4` (IPv4 on an IPv6 socket) as `1.2.3.4`. */
function stripMapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/**
 * The key an address is counted under: IPv4 addresses as they are, IPv6
 * addresses by their /64 network (one subscriber usually holds a whole /64
 * and could otherwise use a new address per request).
 */
export function rateLimitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = expandIPv6(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : address;
}

function expandIPv6(address: string): string[] | undefined {
  let text = address.split('%')[0].toLowerCase();
  // A trailing dotted IPv4 part becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${(
      (c << 8) |
      d
    ).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail ? tail.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, missing)).fill('0'), ...right];
  return groups.length === 8
    ? groups.map(g => parseInt(g || '0', 16).toString(16))
    : undefined;
}

/** The minimal response the middleware writes. */
export interface ClientResponse {
  status(code: number): ClientResponse;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
}

const START_PATH = /^\/[^/]+\/start\/?$/i;

/**
 * Middleware for the auth plugin's router: limits `/<provider>/start` (the
 * unauthenticated request that begins a sign-in and makes the portal contact
 * the identity provider) per client address. Over the limit: 429 with
 * Retry-After and a JSON message; the first refusal of a client in a window
 * logs one warning.
 */
export function createStartRateLimitMiddleware(
  options: StartRateLimitOptions,
  logger: Pick<LoggerService, 'warn'>,
  now: () => number = Date.now,
) {
  const limiter = new StartRateLimiter(options, now);
  return (
    req: ClientRequest & { path: string },
    res: ClientResponse,
    next: () => void,
  ) => {
    if (!START_PATH.test(req.path)) {
      next();
      return;
    }
    const address = clientAddress(req);
    const key = rateLimitKey(address);
    const decision = limiter.take(key);
    if (decision.allowed) {
      next();
      return;
    }
    if (decision.firstRefusal) {
      logger.warn(
        `Sign-in starts from ${key} exceed ${options.limit} per ${
          options.windowMs / 1000
        } s; refusing with 429 for ${
          decision.retryAfterSeconds
        } s (portal.auth.startRateLimit)`,
        { client: key, limit: options.limit },
      );
    }
    res.setHeader('Retry-After', String(decision.retryAfterSeconds));
    res.status(429).json({
      error: {
        name: 'TooManyRequestsError',
        message: `Too many sign-in attempts from your address; try again in ${decision.retryAfterSeconds} seconds.`,
      },
    });
  };
}
