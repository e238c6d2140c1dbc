import type {
  IncomingHttpHeaders,
  IncomingMessage,
  ServerResponse,
} from 'node:http';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { GithubDeliveryLedger, MAX_DELIVERY_ID_LENGTH } from './deliveries';
import { isValidGithubSignature } from './signature';

/** The largest delivery body accepted (GitHub's own cap is 25 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The path under the events plugin (`/api/events`); any case, optional trailing slash, as Express matches. */
const WEBHOOK_PATH = /^\/http\/github\/?$/i;

export const UNSIGNED_MESSAGE =
  'Invalid or missing X-Hub-Signature-256: the delivery is not signed with the webhook secret';

export interface GithubWebhookHandlerOptions {
  /** The webhook secrets as configured now (read on every delivery). */
  getSecrets: () => string[];
  deliveries: GithubDeliveryLedger;
  /** Publishes an accepted delivery (topic `github`, headers as metadata). */
  publish: (event: {
    eventPayload: unknown;
    metadata: IncomingHttpHeaders;
  }) => Promise<void>;
  logger: LoggerService;
  maxBodyBytes?: number;
}

type Next = (error?: unknown) => void;

const header = (value: string | string[] | undefined) =>
  (Array.isArray(value) ? value.join(',') : value ?? '').trim();

function send(
  response: ServerResponse,
  status: number,
  body: object,
  extraHeaders: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(text));
  for (const [name, value] of Object.entries(extraHeaders)) {
    response.setHeader(name, value);
  }
  response.end(text);
}

/** Whether a request is a POST to the GitHub webhook path (relative to the events plugin). */
export function isGithubWebhookRequest(request: IncomingMessage): boolean {
  if (request.method !== 'POST') return false;
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return WEBHOOK_PATH.test(query === -1 ? url : url.slice(0, query));
}

/**
 * Checks a Content-Type: JSON only (GitHub's `application/json` webhook
 * content type), UTF-8 if a charset is given. Returns the reason for a
 * refusal, or undefined.
 */
export function contentTypeProblem(
  contentType: string | undefined,
): string | undefined {
  if (!contentType?.trim()) {
    return 'Missing Content-Type: GitHub webhooks must be sent as application/json';
  }
  const [type, ...parameters] = contentType.split(';');
  if (type.trim().toLowerCase() !== 'application/json') {
    return `Unsupported Content-Type ${type.trim()}: GitHub webhooks must be sent as application/json`;
  }
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=');
    const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
    if (
      name.trim().toLowerCase() === 'charset' &&
      charset !== 'utf-8' &&
      charset !== 'utf8'
    ) {
      return `Unsupported charset ${charset}: GitHub webhooks are UTF-8`;
    }
  }
  return undefined;
}

export type CappedBody =
  | { kind: 'body'; body: Buffer }
  | { kind: 'too-large' }
  | { kind: 'aborted' };

/**
 * Reads a request body, but never more than `maxBytes`: a declared
 * Content-Length above it is refused before reading anything, and a body
 * that grows beyond it stops being read at once (the request is paused and
 * left for the caller to answer and close).
 */
export function readCappedBody(
  request: IncomingMessage,
  maxBytes: number,
): Promise<CappedBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.pause();
    return Promise.resolve({ kind: 'too-large' });
  }
  if (request.readableEnded) {
    return Promise.reject(
      new Error('The request body was already read before the GitHub webhook'),
    );
  }
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    let size = 0;
    const listeners = {
      data: (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          request.pause();
          chunks.length = 0;
          settle({ kind: 'too-large' });
          return;
        }
        chunks.push(chunk);
      },
      end: () => settle({ kind: 'body', body: Buffer.concat(chunks) }),
      error: () => settle({ kind: 'aborted' }),
      close: () => settle({ kind: 'aborted' }),
    };
    function settle(result: CappedBody) {
      for (const [event, listener] of Object.entries(listeners)) {
        request.off(event, listener);
      }
      resolve(result);
    }
    for (const [event, listener] of Object.entries(listeners)) {
      request.on(event, listener);
    }
  });
}

/**
 * The GitHub webhook endpoint, `POST /api/events/http/github`, as a
 * middleware of the events plugin's router. In order, each refusal logged
 * once as a warning and changing nothing:
 * - no webhook secret configured (now): 404, webhooks are off;
 * - no `X-Hub-Signature-256`: 401, before anything is read;
 * - not `application/json`: 415;
 * - a body over the cap (declared or read): 413, reading stops there;
 * - a signature that is not the HMAC-SHA256 of the raw body with one of the
 *   secrets: 401 (the body is not parsed before this);
 * - no usable `X-GitHub-Delivery`: 400; a body that is not JSON: 400;
 * - a delivery id already accepted (by any instance): 200, not published again.
 * Otherwise the delivery is recorded, published on topic `github` with its
 * headers as metadata, and answered 202.
 */
export function createGithubWebhookHandler(
  options: GithubWebhookHandlerOptions,
) {
  const { getSecrets, deliveries, publish, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;

  return (request: IncomingMessage, response: ServerResponse, next: Next) => {
    if (!isGithubWebhookRequest(request)) {
      next();
      return;
    }
    handle(request, response).catch(next);
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const headers = request.headers;
    const deliveryId = header(headers['x-github-delivery']);
    const event = header(headers['x-github-event']);
    const refuse = (
      status: number,
      reason: string,
      message: string,
      extraHeaders?: Record<string, string>,
    ) => {
      logger.warn(
        `Rejected GitHub webhook delivery ${deliveryId || '(no id)'} (event ${
          event || 'unknown'
        }): ${reason}`,
      );
      send(response, status, { message }, extraHeaders);
    };

    const secrets = getSecrets();
    if (secrets.length === 0) {
      refuse(
        404,
        'GitHub webhooks are off (no webhook secret configured)',
        'GitHub webhooks are off: no webhook secret is configured',
      );
      return;
    }
    if (!headers['x-hub-signature-256']) {
      refuse(401, 'no X-Hub-Signature-256 header', UNSIGNED_MESSAGE);
      return;
    }
    const typeProblem = contentTypeProblem(headers['content-type']);
    if (typeProblem) {
      refuse(415, typeProblem, typeProblem);
      return;
    }

    const read = await readCappedBody(request, maxBodyBytes);
    if (read.kind === 'aborted') {
      logger.warn(
        `Rejected GitHub webhook delivery ${deliveryId || '(no id)'} (event ${
          event || 'unknown'
        }): the request ended before its body was complete`,
      );
      return;
    }
    if (read.kind === 'too-large') {
      // Nothing more is read: the connection is closed once answered.
      response.once('finish', () => request.destroy());
      refuse(
        413,
        `body larger than ${maxBodyBytes} bytes`,
        `The delivery is larger than the limit of ${maxBodyBytes} bytes (1 MB)`,
        { Connection: 'close' },
      );
      return;
    }

    // The secrets as they are after reading (a rotation may have landed).
    if (
      !isValidGithubSignature(
        getSecrets(),
        read.body,
        headers['x-hub-signature-256'],
      )
    ) {
      refuse(
        401,
        'X-Hub-Signature-256 does not match the webhook secret',
        UNSIGNED_MESSAGE,
      );
      return;
    }
    if (!deliveryId) {
      refuse(
        400,
        'no X-GitHub-Delivery header',
        'Missing X-GitHub-Delivery: every GitHub delivery has an id',
      );
      return;
    }
    if (
      deliveryId.length > MAX_DELIVERY_ID_LENGTH ||
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u001f\u007f]/.test(deliveryId)
    ) {
      refuse(
        400,
        'malformed X-GitHub-Delivery header',
        'Malformed X-GitHub-Delivery',
      );
      return;
    }
    let eventPayload: unknown;
    try {
      eventPayload = JSON.parse(read.body.toString('utf8'));
    } catch {
      refuse(400, 'the body is not JSON', 'The body is not valid JSON');
      return;
    }

    if (!(await deliveries.claim(deliveryId, event))) {
      logger.warn(
        `Ignored GitHub webhook delivery ${deliveryId} (event ${
          event || 'unknown'
        }): already processed (a redelivery or a replay)`,
      );
      send(response, 200, {
        status: 'ignored',
        message: `Delivery ${deliveryId} was already processed`,
      });
      return;
    }
    try {
      await publish({ eventPayload, metadata: headers });
    } catch (error) {
      // Not published: let GitHub's redelivery through.
      await deliveries.release(deliveryId).catch(() => {});
      throw error;
    }
    send(response, 202, { status: 'accepted' });
  }
}
