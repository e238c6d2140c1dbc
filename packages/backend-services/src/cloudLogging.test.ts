import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as winston from 'winston';
import { ConfigReader } from '@backstage/config';
import { WinstonLogger } from '@backstage/backend-defaults/rootLogger';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import {
  cloudLoggingFormat,
  parseTraceHeaders,
  redactionsOf,
  requestTraceMiddleware,
  writeStartupLog,
} from './cloudLogging';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A root logger in the production format whose lines are parsed back. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = WinstonLogger.create({
    meta: { service: 'backstage' },
    level: 'debug',
    format: cloudLoggingFormat({
      projectId: 'acme-portal',
      serviceContext: { service: 'developer-portal', version: 'rev-7' },
    }),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines, entries: () => lines.map(l => JSON.parse(l)) };
}

describe('parseTraceHeaders', () => {
  it('reads traceparent (W3C)', () => {
    expect(
      parseTraceHeaders({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }),
    ).toEqual({ traceId: TRACE, spanId: '00f067aa0ba902b7', sampled: true });
  });

  it("reads X-Cloud-Trace-Context, the span id from decimal to Cloud Logging's hex", () => {
    expect(
      parseTraceHeaders({ 'x-cloud-trace-context': `${TRACE}/1;o=1` }),
    ).toEqual({ traceId: TRACE, spanId: '0000000000000001', sampled: true });
    expect(
      parseTraceHeaders({
        'x-cloud-trace-context': `${TRACE}/18446744073709551615;o=0`,
      }),
    ).toEqual({ traceId: TRACE, spanId: 'ffffffffffffffff', sampled: false });
    expect(parseTraceHeaders({ 'x-cloud-trace-context': TRACE })).toEqual({
      traceId: TRACE,
      spanId: undefined,
      sampled: undefined,
    });
  });

  it('prefers traceparent and ignores malformed headers', () => {
    const other = 'a'.repeat(32);
    expect(
      parseTraceHeaders({
        traceparent: `00-${TRACE}-00f067aa0ba902b7-00`,
        'x-cloud-trace-context': `${other}/5`,
      })?.traceId,
    ).toBe(TRACE);
    expect(parseTraceHeaders({ traceparent: 'garbage' })).toBeUndefined();
    expect(
      parseTraceHeaders({
        traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      }),
    ).toBeUndefined();
    expect(
      parseTraceHeaders({ 'x-cloud-trace-context': 'xyz/1' }),
    ).toBeUndefined();
    expect(parseTraceHeaders({})).toBeUndefined();
  });
});

describe('the Cloud Logging format', () => {
  it('writes one JSON object per line with severity, message, labels and the other fields', () => {
    const { logger, lines, entries } = capture();
    const catalog = logger.child({ plugin: 'catalog' });
    catalog.debug('d');
    catalog.info('Scanned 4 APIs', {
      apis: 4,
      task: 'gcs-api-docs:default:refresh',
    });
    catalog.warn('w');
    catalog.error('e');
    expect(lines).toHaveLength(4);
    const [debug, info, warn, error] = entries();
    expect([debug, info, warn, error].map(e => e.severity)).toEqual([
      'DEBUG',
      'INFO',
      'WARNING',
      'ERROR',
    ]);
    expect(info).toMatchObject({
      message: 'Scanned 4 APIs',
      apis: 4,
      'logging.googleapis.com/labels': {
        plugin: 'catalog',
        service: 'backstage',
        task: 'gcs-api-docs:default:refresh',
      },
    });
    expect(new Date(info.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(info.level).toBeUndefined();
    // No request, no trace.
    expect(info['logging.googleapis.com/trace']).toBeUndefined();
  });

  it("puts an error's stack where Error Reporting finds it", () => {
    const { logger, entries } = capture();
    const failure = new Error('connect ECONNREFUSED 10.0.0.3:5432');
    logger.child({ plugin: 'catalog' }).error('Processing failed', failure);
    logger.error('Task failed', { error: failure } as any);
    const [withMeta, withField] = entries();
    for (const entry of [withMeta, withField]) {
      expect(entry.severity).toBe('ERROR');
      expect(entry['@type']).toBe(
        'type.googleapis.com/google.devtools.clouderrorreporting.v1beta1.ReportedErrorEvent',
      );
      expect(entry.stack_trace).toMatch(
        /^Error: connect ECONNREFUSED 10\.0\.0\.3:5432\n\s+at /,
      );
      expect(entry.message).toContain('\n    at ');
      expect(entry.serviceContext).toEqual({
        service: 'developer-portal',
        version: 'rev-7',
      });
    }
    expect(withMeta.message).toMatch(/^Processing failed connect ECONNREFUSED/);
    expect(withField.message).toMatch(
      /^Task failed\nError: connect ECONNREFUSED/,
    );
  });

  it('reports only errors to Error Reporting; a warning keeps its stack', () => {
    const { logger, entries } = capture();
    logger.warn('Retrying', new Error('socket hang up') as any);
    const [warning] = entries();
    expect(warning.severity).toBe('WARNING');
    expect(warning.stack_trace).toMatch(/^Error: socket hang up/);
    expect(warning['@type']).toBeUndefined();
  });

  it('never throws from logging, whatever the message', () => {
    const { logger, entries } = capture();
    const weird = Object.create(null);
    expect(() => logger.info(weird as any)).not.toThrow();
    expect(entries()[0].severity).toBe('INFO');
  });

  it('redacts secrets in the message and in fields', () => {
    const { logger, lines } = capture();
    logger.addRedactions(['hunter2-session-secret']);
    logger.info('token hunter2-session-secret used', {
      header: 'Bearer hunter2-session-secret',
    });
    expect(lines[0]).not.toContain('hunter2');
    // A multi-line secret appears escaped in a JSON line; the Redis URL
    // (it may hold a password) is not marked secret by the schema.
    const pem = '-----BEGIN KEY-----\nsecretline\n-----END KEY-----';
    const config = new ConfigReader({
      backend: { cache: { connection: { url: 'redis://:pw-xyz@10.0.0.3' } } },
    });
    logger.addRedactions(redactionsOf(config, () => [pem]));
    logger.info(`key: ${pem}`, { url: 'redis://:pw-xyz@10.0.0.3' });
    expect(lines[1]).not.toContain('secretline');
    expect(lines[1]).not.toContain('pw-xyz');
    expect(JSON.parse(lines[0])).toMatchObject({
      message: 'token *** used',
      header: 'Bearer ***',
    });
  });

  it("gives request-scoped lines the request's trace, and request logs an httpRequest", async () => {
    const { logger, entries } = capture();
    const app = express();
    app.use(requestTraceMiddleware);
    app.use(
      MiddlewareFactory.create({
        config: new ConfigReader({}),
        logger,
      }).logging(),
    );
    app.get('/api/things', async (_req, res) => {
      await new Promise(r => setTimeout(r, 5));
      logger.child({ plugin: 'things' }).info('looking things up');
      res.json({ things: [] });
    });
    const server = app.listen(0);
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/things?x=1`, {
        headers: {
          'x-cloud-trace-context': `${TRACE}/42;o=1`,
          'user-agent': 'trace-test',
        },
      });
      expect(res.status).toBe(200);
      await fetch(`http://127.0.0.1:${port}/api/things`); // no trace
      await new Promise(r => setTimeout(r, 50));
    } finally {
      server.close();
    }
    const [inHandler, request, untraced] = entries().filter(
      e => e.message === 'looking things up' || e.type === 'incomingRequest',
    );
    const trace = {
      'logging.googleapis.com/trace': `projects/acme-portal/traces/${TRACE}`,
      'logging.googleapis.com/spanId': '000000000000002a',
      'logging.googleapis.com/trace_sampled': true,
    };
    expect(inHandler).toMatchObject(trace);
    expect(request).toMatchObject({
      ...trace,
      severity: 'INFO',
      httpRequest: {
        requestMethod: 'GET',
        requestUrl: '/api/things?x=1',
        status: 200,
        userAgent: 'trace-test',
        protocol: 'HTTP/1.1',
      },
    });
    expect(Number(request.httpRequest.responseSize)).toBeGreaterThan(0);
    expect(untraced['logging.googleapis.com/trace']).toBeUndefined();
  });
});

describe('writeStartupLog', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = saved;
    jest.restoreAllMocks();
  });

  it('writes Cloud Logging lines in production: info to stdout, a failed start with its stack to stderr', () => {
    process.env.NODE_ENV = 'production';
    const out = jest.spyOn(process.stdout, 'write').mockReturnValue(true);
    const err = jest.spyOn(process.stderr, 'write').mockReturnValue(true);
    writeStartupLog('INFO', "GitHub org data 'github' is off");
    writeStartupLog(
      'ERROR',
      'Backend failed to start up:',
      new Error('Missing required environment variable APP_BASE_URL'),
    );
    expect(JSON.parse(String(out.mock.calls[0][0]))).toMatchObject({
      severity: 'INFO',
      message: "GitHub org data 'github' is off",
    });
    const failure = JSON.parse(String(err.mock.calls[0][0]));
    expect(failure.severity).toBe('ERROR');
    expect(failure.message).toMatch(
      /^Backend failed to start up:\nError: Missing required environment variable APP_BASE_URL\n\s+at /,
    );
    expect(failure.stack_trace).toMatch(/^Error: Missing required/);
  });

  it('writes plain text elsewhere', () => {
    process.env.NODE_ENV = 'development';
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    writeStartupLog('INFO', 'plain');
    expect(log).toHaveBeenCalledWith('plain');
  });
});
