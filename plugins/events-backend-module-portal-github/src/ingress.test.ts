import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { mockServices } from '@backstage/backend-test-utils';
import { GithubDeliveryLedger } from './deliveries';
import {
  contentTypeProblem,
  createGithubWebhookHandler,
  GithubWebhookHandlerOptions,
  isGithubWebhookRequest,
  readCappedBody,
} from './ingress';
import { post, signWebhook } from './testHttp';

class MemoryLedger implements GithubDeliveryLedger {
  readonly ids = new Set<string>();
  async claim(id: string) {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    return true;
  }
  async release(id: string) {
    this.ids.delete(id);
  }
}

describe('contentTypeProblem', () => {
  it('accepts JSON, with or without a UTF-8 charset', () => {
    expect(contentTypeProblem('application/json')).toBeUndefined();
    expect(
      contentTypeProblem('Application/JSON; charset=UTF-8'),
    ).toBeUndefined();
    expect(
      contentTypeProblem('application/json;charset="utf8"'),
    ).toBeUndefined();
  });
  it('refuses a missing type, form encoding and other charsets', () => {
    expect(contentTypeProblem(undefined)).toMatch(/Missing Content-Type/);
    expect(contentTypeProblem(' ')).toMatch(/Missing Content-Type/);
    expect(contentTypeProblem('application/x-www-form-urlencoded')).toMatch(
      /Unsupported Content-Type/,
    );
    expect(contentTypeProblem('application/json; charset=latin1')).toMatch(
      /Unsupported charset latin1/,
    );
  });
});

describe('isGithubWebhookRequest', () => {
  const req = (method: string, url: string) =>
    ({ method, url } as http.IncomingMessage);
  it('matches POST /http/github in any case, with a slash or a query', () => {
    expect(isGithubWebhookRequest(req('POST', '/http/github'))).toBe(true);
    expect(isGithubWebhookRequest(req('POST', '/http/GitHub/'))).toBe(true);
    expect(isGithubWebhookRequest(req('POST', '/http/github?x=1'))).toBe(true);
  });
  it('leaves everything else to the events backend', () => {
    expect(isGithubWebhookRequest(req('GET', '/http/github'))).toBe(false);
    expect(isGithubWebhookRequest(req('POST', '/http/gitlab'))).toBe(false);
    expect(isGithubWebhookRequest(req('POST', '/http/github/x'))).toBe(false);
    expect(isGithubWebhookRequest(req('POST', '/bus/v1/events'))).toBe(false);
  });
});

describe('readCappedBody', () => {
  const chunk = Buffer.alloc(16 * 1024, 'a');
  function counting(total: number) {
    const counter = { pulled: 0 };
    const stream = Readable.from(
      (function* gen() {
        for (let sent = 0; sent < total; sent += chunk.length) {
          counter.pulled += chunk.length;
          yield chunk;
        }
      })(),
    ) as unknown as http.IncomingMessage;
    (stream as any).headers = {};
    return { stream, counter };
  }

  it('returns the whole body up to the cap', async () => {
    const { stream } = counting(64 * 1024);
    const read = await readCappedBody(stream, 64 * 1024);
    expect(read.kind).toBe('body');
    expect(read.kind === 'body' && read.body.length).toBe(64 * 1024);
  });

  it('stops reading as soon as the body passes the cap', async () => {
    const { stream, counter } = counting(8 * 1024 * 1024);
    const read = await readCappedBody(stream, 64 * 1024);
    expect(read.kind).toBe('too-large');
    await new Promise(r => setTimeout(r, 50));
    // The cap plus at most what the stream buffers ahead, not 8 MB.
    expect(counter.pulled).toBeLessThan(64 * 1024 + 4 * chunk.length);
  });

  it('refuses a declared Content-Length over the cap without reading', async () => {
    const { stream, counter } = counting(1024 * 1024);
    (stream as any).headers = { 'content-length': String(1024 * 1024) };
    const read = await readCappedBody(stream, 1024);
    expect(read.kind).toBe('too-large');
    await new Promise(r => setTimeout(r, 50));
    expect(counter.pulled).toBe(0);
  });
});

describe('createGithubWebhookHandler', () => {
  const SECRET = 'unit-secret';
  let server: http.Server;
  let port: number;
  let secrets: string[];
  let ledger: MemoryLedger;
  let published: Array<{ eventPayload: unknown; metadata: any }>;
  let publish: GithubWebhookHandlerOptions['publish'];
  let logger: ReturnType<typeof mockServices.logger.mock>;
  let nextCalls: number;

  beforeEach(async () => {
    secrets = [SECRET];
    ledger = new MemoryLedger();
    published = [];
    publish = async event => {
      published.push(event);
    };
    logger = mockServices.logger.mock();
    nextCalls = 0;
    const handler = createGithubWebhookHandler({
      getSecrets: () => secrets,
      deliveries: ledger,
      publish: e => publish(e),
      logger,
      maxBodyBytes: 1024 * 1024,
    });
    server = http.createServer((req, res) =>
      handler(req, res, error => {
        nextCalls += 1;
        res.statusCode = error ? 500 : 404;
        res.end(error ? 'error' : 'not mine');
      }),
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await new Promise(r => server.close(r));
  });

  const deliver = (
    options: {
      id?: string | null;
      event?: string;
      body?: string | Buffer;
      secret?: string | null;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const body = Buffer.from(options.body ?? '{"ref":"refs/heads/main"}');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': options.event ?? 'push',
      ...options.headers,
    };
    if (options.id !== null) headers['x-github-delivery'] = options.id ?? 'd-1';
    if (options.secret !== null) {
      headers['x-hub-signature-256'] = signWebhook(
        options.secret ?? SECRET,
        body,
      );
    }
    return post(port, '/http/github', headers, body);
  };
  const warnings = () => logger.warn.mock.calls.map(c => String(c[0]));

  it('publishes a signed delivery once, with its headers as metadata', async () => {
    const res = await deliver({ id: 'd-ok' });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });
    expect(published).toHaveLength(1);
    expect(published[0].eventPayload).toEqual({ ref: 'refs/heads/main' });
    expect(published[0].metadata['x-github-event']).toBe('push');
    expect(published[0].metadata['x-github-delivery']).toBe('d-ok');
    expect(ledger.ids).toEqual(new Set(['d-ok']));
    expect(warnings()).toEqual([]);
  });

  it('acknowledges a replayed delivery with 200 and does not publish it again', async () => {
    expect((await deliver({ id: 'd-replay' })).status).toBe(202);
    const replay = await deliver({ id: 'd-replay' });
    expect(replay.status).toBe(200);
    expect(replay.body.message).toMatch(/already processed/);
    expect(published).toHaveLength(1);
    expect(warnings()).toEqual([
      expect.stringMatching(/d-replay \(event push\): already processed/),
    ]);
  });

  it('refuses a wrong signature with 401 before parsing; nothing claimed or published', async () => {
    const res = await deliver({
      id: 'd-forged',
      secret: 'not-the-secret',
      body: 'not even json',
    });
    expect(res.status).toBe(401);
    expect(res.body.message).toMatch(/X-Hub-Signature-256/);
    expect(published).toEqual([]);
    expect(ledger.ids.size).toBe(0);
    expect(warnings()).toEqual([
      expect.stringMatching(
        /^Rejected GitHub webhook delivery d-forged \(event push\): X-Hub-Signature-256 does not match/,
      ),
    ]);
  });

  it('refuses an unsigned delivery with 401, even without a Content-Type', async () => {
    const res = await deliver({
      secret: null,
      headers: { 'content-type': '' },
    });
    expect(res.status).toBe(401);
    expect(warnings()).toEqual([
      expect.stringMatching(/d-1 \(event push\): no X-Hub-Signature-256/),
    ]);
    expect(published).toEqual([]);
  });

  it('answers 415 to a signed delivery without a JSON Content-Type', async () => {
    const res = await deliver({ headers: { 'content-type': '' } });
    expect(res.status).toBe(415);
    expect(res.body.message).toMatch(/Missing Content-Type/);
    const form = await deliver({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(published).toEqual([]);
    expect(warnings()).toHaveLength(2);
  });

  it('answers 413 to a body over 1 MB, declared or streamed, and publishes nothing', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1, ' ');
    const declared = await deliver({ id: 'd-big', body: big });
    expect(declared.status).toBe(413);
    expect(declared.body.message).toMatch(/limit of 1048576 bytes \(1 MB\)/);

    const chunk = Buffer.alloc(64 * 1024, ' ');
    const total = 64 * 1024 * 1024;
    const streamed = await post(
      port,
      '/http/github',
      {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'd-big-2',
        'x-hub-signature-256': signWebhook(SECRET, 'whatever'),
      },
      Array.from({ length: total / chunk.length }, () => chunk),
    );
    expect(streamed.status).toBe(413);
    // The connection was closed long before 64 MB went through.
    expect(streamed.written).toBeLessThan(total / 2);
    expect(published).toEqual([]);
    expect(ledger.ids.size).toBe(0);
    expect(warnings()).toEqual([
      expect.stringMatching(/d-big \(event push\): body larger than 1048576/),
      expect.stringMatching(/d-big-2 \(event push\): body larger than/),
    ]);
  });

  it('accepts a body of exactly 1 MB', async () => {
    const body = `{"pad":"${' '.repeat(1024 * 1024 - 10)}"}`;
    expect(Buffer.byteLength(body)).toBe(1024 * 1024);
    expect((await deliver({ id: 'd-1mb', body })).status).toBe(202);
  });

  it('refuses a signed delivery without X-GitHub-Delivery (400), and a body that is not JSON (400)', async () => {
    const noId = await deliver({ id: null });
    expect(noId.status).toBe(400);
    expect(noId.body.message).toMatch(/X-GitHub-Delivery/);
    const notJson = await deliver({ id: 'd-text', body: 'hello' });
    expect(notJson.status).toBe(400);
    expect(published).toEqual([]);
    expect(ledger.ids.size).toBe(0);
    expect(warnings()).toEqual([
      expect.stringMatching(/\(no id\) \(event push\): no X-GitHub-Delivery/),
      expect.stringMatching(/d-text \(event push\): the body is not JSON/),
    ]);
  });

  it('uses the secrets as they are at each delivery (rotation), any of several', async () => {
    secrets = ['old'];
    expect((await deliver({ id: 'r-1', secret: 'old' })).status).toBe(202);
    secrets = ['new', 'app-secret'];
    expect((await deliver({ id: 'r-2', secret: 'old' })).status).toBe(401);
    expect((await deliver({ id: 'r-3', secret: 'new' })).status).toBe(202);
    expect((await deliver({ id: 'r-4', secret: 'app-secret' })).status).toBe(
      202,
    );
    expect(published).toHaveLength(3);
  });

  it('answers 404 while no secret is configured', async () => {
    secrets = [];
    const res = await deliver({ secret: 'anything' });
    expect(res.status).toBe(404);
    expect(published).toEqual([]);
    expect(warnings()).toEqual([expect.stringMatching(/webhooks are off/)]);
  });

  it('forgets the claim when publishing fails, so that a redelivery goes through', async () => {
    publish = async () => {
      throw new Error('bus down');
    };
    expect((await deliver({ id: 'd-fail' })).status).toBe(500);
    expect(ledger.ids.size).toBe(0);
    publish = async e => {
      published.push(e);
    };
    expect((await deliver({ id: 'd-fail' })).status).toBe(202);
    expect(published).toHaveLength(1);
  });

  it('passes other requests on untouched', async () => {
    const res = await post(port, '/http/gitlab', {}, Buffer.from('{}'));
    expect(res.status).toBe(404);
    expect(res.body).toBe('not mine');
    expect(nextCalls).toBe(1);
  });
});
