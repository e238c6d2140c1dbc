import {
  sanitizeEventStreamChunk,
  sanitizeLogMessage,
  sanitizeTaskEvent,
} from './taskLogs';

const stack = `NotAllowedError: Templates may not fetch 'x'
    at Object.handler (/app/node_modules/@internal/x/dist/index.cjs.js:10:5)
    at async /app/node_modules/@backstage/plugin-scaffolder-backend/dist/a.js:1:1`;

describe('task log sanitising', () => {
  it('keeps the message and drops the stack and server paths', () => {
    expect(sanitizeLogMessage(stack, ['/app'])).toBe(
      "NotAllowedError: Templates may not fetch 'x'",
    );
    expect(
      sanitizeLogMessage('wrote /srv/portal/tmp/a.txt', ['/srv/portal']),
    ).toBe('wrote <server>/tmp/a.txt');
  });

  it('cleans events and their errors', () => {
    expect(
      sanitizeTaskEvent({
        type: 'completion',
        body: { message: stack, error: { name: 'E', message: 'm', stack } },
      }),
    ).toEqual({
      type: 'completion',
      body: {
        message: expect.not.stringContaining('    at '),
        error: { name: 'E', message: 'm' },
      },
    });
  });

  it('rewrites the data lines of an event stream chunk', () => {
    const chunk = `event: log\ndata: ${JSON.stringify({
      body: { message: stack },
    })}\n\n`;
    const out = sanitizeEventStreamChunk(chunk);
    expect(out.startsWith('event: log\ndata: ')).toBe(true);
    expect(out).not.toContain('node_modules');
    expect(out.endsWith('\n\n')).toBe(true);
  });
});
