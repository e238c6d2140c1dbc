/*
 * Test helper: a raw HTTP POST that reports the answer even when the server
 * answers (and closes) before the whole body was sent, as it does for a body
 * over the cap.
 */
import http from 'node:http';
import { createHmac } from 'node:crypto';

export interface PostResult {
  status: number;
  body: any;
  /** Bytes of the body the client managed to hand to the socket. */
  written: number;
}

export function signWebhook(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs to `http://127.0.0.1:<port><path>`. `body` as one Buffer (sent with
 * a Content-Length) or as chunks (sent chunked, no Content-Length).
 */
export function post(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let settled = false;
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: Buffer.isBuffer(body)
          ? { ...headers, 'content-length': String(body.length) }
          : headers,
        agent: false,
      },
      response => {
        const chunks: Buffer[] = [];
        response.on('data', c => chunks.push(c));
        response.on('end', () => {
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: response.statusCode ?? 0, body: parsed, written });
        });
        response.on('error', error => {
          if (!settled) reject(error);
        });
      },
    );
    request.on('error', error => {
      // EPIPE / ECONNRESET after the answer arrived are expected for a
      // refused large body; before it, they are the result.
      setTimeout(() => {
        if (!settled) reject(error);
      }, 200);
    });
    const chunks = Buffer.isBuffer(body) ? [body] : body;
    (async () => {
      for (const chunk of chunks) {
        if (request.destroyed) return;
        const ok = request.write(chunk);
        written += chunk.length;
        if (!ok) {
          await new Promise<void>(r => {
            const done = () => {
              request.off('drain', done);
              request.off('close', done);
              r();
            };
            request.on('drain', done);
            request.on('close', done);
          });
        }
      }
      if (!request.destroyed) request.end();
    })();
  });
}
