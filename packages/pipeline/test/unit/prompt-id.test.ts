import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promptIdFor } from '../../src/prompt-id.ts';

test('prompt ids are canonical UUIDs, stable per (segment, attempt), distinct otherwise', () => {
  const seg = '2b1c3d4e-0000-4000-8000-000000000001';
  const id = promptIdFor(seg, 1);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(promptIdFor(seg, 1), id);
  assert.notEqual(promptIdFor(seg, 2), id);
  assert.notEqual(promptIdFor('2b1c3d4e-0000-4000-8000-000000000002', 1), id);
});
