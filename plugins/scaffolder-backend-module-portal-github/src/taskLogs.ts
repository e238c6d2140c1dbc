import os from 'node:os';
import express, { Response, Router } from 'express';
import { InputError } from '@backstage/errors';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';

/**
 * A task log message as users may see it: the error's message without its
 * stack (`    at ...` lines) and without the server's own paths (working
 * directory, temporary folders).
 */
export function sanitizeLogMessage(
  message: string,
  serverPaths: string[] = defaultServerPaths(),
): string {
  let text = message
    .split('\n')
    .filter(line => !/^\s*at\s/.test(line))
    .join('\n')
    .trimEnd();
  for (const p of serverPaths) {
    if (p && p !== '/') text = text.split(p).join('<server>');
  }
  return text;
}

function defaultServerPaths() {
  return [process.cwd(), os.tmpdir()].sort((a, b) => b.length - a.length);
}

/** A task event with its message (and any error in its body) sanitised. */
export function sanitizeTaskEvent(event: any): any {
  if (!event || typeof event !== 'object') return event;
  const body = event.body;
  if (!body || typeof body !== 'object') return event;
  const clean: any = { ...body };
  if (typeof clean.message === 'string') {
    clean.message = sanitizeLogMessage(clean.message);
  }
  if (clean.error && typeof clean.error === 'object') {
    const { stack: _stack, ...rest } = clean.error;
    clean.error = {
      ...rest,
      ...(typeof rest.message === 'string' && {
        message: sanitizeLogMessage(rest.message),
      }),
    };
  }
  return { ...event, body: clean };
}

/** Rewrites one chunk of the scaffolder's event stream (`event: …\ndata: {…}\n\n`). */
export function sanitizeEventStreamChunk(chunk: string): string {
  return chunk.replace(/^data: (.*)$/gm, (line, json) => {
    try {
      return `data: ${JSON.stringify(sanitizeTaskEvent(JSON.parse(json)))}`;
    } catch {
      return line;
    }
  });
}

/**
 * Middleware for the scaffolder's router, in front of its routes:
 *   - task logs (`GET /v2/tasks/:id/events`, `…/eventstream`) and the
 *     dry-run's `log` carry messages, never stack traces or server paths
 *     (upstream writes a failed step's `err.stack` into the log);
 *   - `POST /v2/dry-run` with an invalid template answers 400 with the
 *     validation message (upstream answers 500).
 */
export function createTaskLogHardening(): Router {
  const router = Router();
  const json = express.json({ limit: '10mb' });

  router.post('/v2/dry-run', json, async (req, res, next) => {
    wrapJson(res, body =>
      body && Array.isArray(body.log)
        ? { ...body, log: body.log.map(sanitizeTaskEvent) }
        : body,
    );
    const template = req.body?.template;
    try {
      if (
        !template ||
        typeof template !== 'object' ||
        Array.isArray(template)
      ) {
        throw new Error('the template must be an object (a Template entity)');
      }
      if (!(await templateEntityV1beta3Validator.check(template))) {
        throw new Error(
          'it is not a scaffolder.backstage.io/v1beta3 Template entity',
        );
      }
    } catch (error) {
      next(
        new InputError(
          `Invalid template: ${sanitizeLogMessage(
            (error as Error).message ?? String(error),
          )}`,
        ),
      );
      return;
    }
    next();
  });

  router.get('/v2/tasks/:taskId/events', (_req, res, next) => {
    wrapJson(res, body =>
      Array.isArray(body) ? body.map(sanitizeTaskEvent) : body,
    );
    next();
  });

  router.get('/v2/tasks/:taskId/eventstream', (_req, res, next) => {
    const write = res.write.bind(res) as (...args: any[]) => boolean;
    (res as any).write = (chunk: any, ...rest: any[]) =>
      write(
        typeof chunk === 'string' || Buffer.isBuffer(chunk)
          ? sanitizeEventStreamChunk(chunk.toString())
          : chunk,
        ...rest,
      );
    next();
  });
  return router;
}

function wrapJson(res: Response, transform: (body: any) => any) {
  const original = res.json.bind(res);
  res.json = ((body: any) => original(transform(body))) as Response['json'];
}
