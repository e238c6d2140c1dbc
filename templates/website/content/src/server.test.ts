import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createApp } from './server.ts';

test('serves the home page and answers health checks', async () => {
  const server = createApp().listen(0);
  const { port } = server.address() as AddressInfo;
  try {
    const home = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<h1>${{ values.name }}<\/h1>/);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    const missing = await fetch(`http://127.0.0.1:${port}/nope.html`);
    assert.equal(missing.status, 404);
  } finally {
    server.close();
  }
});
