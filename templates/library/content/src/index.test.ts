import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from './index.ts';

test('greets', () => {
  assert.equal(greet('Ada'), 'Hello Ada, from ${{ values.name }}');
});
