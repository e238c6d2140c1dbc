/*
 * The production server's log is Cloud Logging's structured format: one JSON
 * object per line with a severity; a request's lines carry its trace; the
 * request log carries httpRequest.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const portal = require('../../../scripts/lib/portal');

const TRACE = '105445aa7843bc8bf206b12000100000';

test('every line is a Cloud Logging entry; a request carries its trace to its log lines', async () => {
  const res = await fetch(
    `${process.env.PORTAL_URL}/api/catalog/entities?limit=1`,
    {
      headers: {
        Authorization: `Bearer ${process.env.PORTAL_API_TOKEN}`,
        'X-Cloud-Trace-Context': `${TRACE}/12345;o=1`,
      },
    },
  );
  expect(res.status).toBe(200);

  const logFile = path.join(portal.workDir, 'e2e-server.log');
  const request = await portal.waitFor('the request log line', async () =>
    fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(line => line.includes(TRACE))
      .map(line => JSON.parse(line))
      .find(entry => entry.httpRequest),
  );
  expect(request).toMatchObject({
    severity: 'INFO',
    'logging.googleapis.com/trace': `projects/portal-e2e/traces/${TRACE}`,
    'logging.googleapis.com/spanId': (12345).toString(16).padStart(16, '0'),
    'logging.googleapis.com/trace_sampled': true,
    httpRequest: {
      requestMethod: 'GET',
      requestUrl: '/api/catalog/entities?limit=1',
      status: 200,
    },
  });

  const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
  const entries = lines.map(line => JSON.parse(line));
  const severities = new Set(entries.map(e => e.severity));
  expect(
    [...severities].every(s =>
      ['DEBUG', 'INFO', 'WARNING', 'ERROR'].includes(s),
    ),
  ).toBe(true);
  expect(
    entries.some(e => e['logging.googleapis.com/labels']?.plugin === 'catalog'),
  ).toBe(true);
});
