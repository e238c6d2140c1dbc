import { ConfigReader } from '@backstage/config';
import {
  clientAddress,
  createStartRateLimitMiddleware,
  rateLimitKey,
  readStartRateLimit,
  StartRateLimiter,
} from './rateLimit';

function fakeResponse() {
  const res = {
    statusCode: 200,
    headers: {} as Record<string, string>,
    body: undefined as unknown,
    status(code: number) {
      res.statusCode = code;
      return res;
    },
    setHeader(name: string, value: string) {
      res.headers[name.toLowerCase()] = value;
    },
    json(body: unknown) {
      res.body = body;
    },
  };
  return res;
}

function harness(limit = 3, windowSeconds = 60) {
  let now = 5_000_000;
  const warnings: string[] = [];
  const middleware = createStartRateLimitMiddleware(
    { limit, windowMs: windowSeconds * 1000, maxClients: 100 },
    { warn: (message: string) => void warnings.push(message) },
    () => now,
  );
  const request = (
    options: { path?: string; xff?: string | string[]; socket?: string } = {},
  ) => {
    const res = fakeResponse();
    let passed = false;
    middleware(
      {
        path: options.path ?? '/okta/start',
        headers: options.xff ? { 'x-forwarded-for': options.xff } : {},
        socket: { remoteAddress: options.socket ?? '10.0.0.1' },
      },
      res,
      () => {
        passed = true;
      },
    );
    return { passed, res };
  };
  return {
    request,
    warnings,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('the sign-in start rate limit', () => {
  it('answers 429 with Retry-After and a JSON message after the limit, logging one warning', () => {
    const h = harness(3);
    for (let i = 0; i < 3; i++) expect(h.request().passed).toBe(true);
    h.advance(20_000);
    const refused = h.request();
    expect(refused.passed).toBe(false);
    expect(refused.res.statusCode).toBe(429);
    expect(refused.res.headers['retry-after']).toBe('40');
    expect(refused.res.body).toEqual({
      error: {
        name: 'TooManyRequestsError',
        message:
          'Too many sign-in attempts from your address; try again in 40 seconds.',
      },
    });
    expect(h.request().res.statusCode).toBe(429);
    expect(h.request().res.statusCode).toBe(429);
    expect(h.warnings).toEqual([
      'Sign-in starts from 10.0.0.1 exceed 3 per 60 s; refusing with 429 for 40 s (portal.auth.startRateLimit)',
    ]);
    // A new window.
    h.advance(40_000);
    expect(h.request().passed).toBe(true);
  });

  it('counts every provider and only /start', () => {
    const h = harness(1);
    expect(h.request({ path: '/okta/start' }).passed).toBe(true);
    expect(h.request({ path: '/GitHub/start/' }).passed).toBe(false);
    expect(h.request({ path: '/okta/handler/frame' }).passed).toBe(true);
    expect(h.request({ path: '/okta/refresh' }).passed).toBe(true);
    expect(h.request({ path: '/v1/userinfo' }).passed).toBe(true);
  });

  it('keeps addresses apart', () => {
    const h = harness(2);
    for (const ip of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2']) {
      expect(h.request({ socket: ip }).passed).toBe(true);
    }
    expect(h.request({ socket: '10.0.0.1' }).passed).toBe(false);
    expect(h.request({ socket: '10.0.0.2' }).passed).toBe(false);
    expect(h.request({ socket: '10.0.0.3' }).passed).toBe(true);
  });

  it("counts by the last X-Forwarded-For entry (the one Google's front end added), not the client's own", () => {
    const h = harness(2);
    // A client forging a new first entry each time is still one client.
    for (let i = 0; i < 2; i++) {
      expect(h.request({ xff: `198.51.100.${i}, 203.0.113.7` }).passed).toBe(
        true,
      );
    }
    expect(h.request({ xff: '198.51.100.99, 203.0.113.7' }).passed).toBe(false);
    // Another real client behind the same proxy (socket) is counted apart.
    expect(h.request({ xff: '203.0.113.8' }).passed).toBe(true);
  });

  it('counts IPv6 clients by their /64', () => {
    const h = harness(1);
    expect(h.request({ xff: '2001:db8:1:2::1' }).passed).toBe(true);
    expect(h.request({ xff: '2001:db8:1:2:ffff::9' }).passed).toBe(false);
    expect(h.request({ xff: '2001:db8:1:3::1' }).passed).toBe(true);
  });
});

describe('clientAddress and rateLimitKey', () => {
  const req = (xff?: string | string[], socket?: string) => ({
    headers: xff === undefined ? {} : { 'x-forwarded-for': xff },
    socket: { remoteAddress: socket },
  });

  it('takes the last X-Forwarded-For entry, else the socket', () => {
    expect(clientAddress(req('1.1.1.1, 2.2.2.2 , 3.3.3.3'))).toBe('3.3.3.3');
    expect(clientAddress(req(['1.1.1.1', '4.4.4.4, 5.5.5.5']))).toBe('5.5.5.5');
    expect(clientAddress(req(undefined, '::ffff:10.1.2.3'))).toBe('10.1.2.3');
    // Not an address: the socket's.
    expect(clientAddress(req('1.1.1.1, garbage', '10.9.9.9'))).toBe('10.9.9.9');
    expect(clientAddress(req('', '10.9.9.9'))).toBe('10.9.9.9');
  });

  it('keys IPv4 as is and IPv6 by /64', () => {
    expect(rateLimitKey('192.0.2.1')).toBe('192.0.2.1');
    expect(rateLimitKey('2001:DB8:0:0:1:2:3:4')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitKey('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
  });
});

describe('StartRateLimiter memory', () => {
  it('keeps at most maxClients addresses, dropping ended windows first', () => {
    let now = 0;
    const limiter = new StartRateLimiter(
      { limit: 1, windowMs: 1000, maxClients: 3 },
      () => now,
    );
    limiter.take('a');
    limiter.take('b');
    now = 1500; // a and b ended
    limiter.take('c');
    limiter.take('d');
    expect(limiter.size).toBe(3);
    limiter.take('e');
    expect(limiter.size).toBe(3);
    // A flood of live addresses: the oldest are forgotten, the bound holds.
    for (let i = 0; i < 1000; i++) limiter.take(`x${i}`);
    expect(limiter.size).toBe(3);
    expect(limiter.take('x999').allowed).toBe(false);
  });
});

describe('readStartRateLimit', () => {
  it('defaults to 30 per minute', () => {
    expect(readStartRateLimit(new ConfigReader({}))).toEqual({
      limit: 30,
      windowMs: 60_000,
      maxClients: 10_000,
    });
  });

  it('reads the settings and refuses nonsense', () => {
    const read = (startRateLimit: object) =>
      readStartRateLimit(
        new ConfigReader({ portal: { auth: { startRateLimit } } }),
      );
    expect(read({ limit: 5, windowSeconds: 10 })).toMatchObject({
      limit: 5,
      windowMs: 10_000,
    });
    expect(() => read({ limit: 0 })).toThrow(
      'portal.auth.startRateLimit.limit: must be a whole number of at least 1, not 0',
    );
  });
});
