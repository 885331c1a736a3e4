import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mediaTypeOf } from '../../src/segment-worker.ts';

test("an output's extension and content type follow its file name", () => {
  assert.deepEqual(mediaTypeOf('clip_00001_.mp4'), { extension: 'mp4', contentType: 'video/mp4' });
  assert.deepEqual(mediaTypeOf('clip.WEBM'), { extension: 'webm', contentType: 'video/webm' });
  assert.deepEqual(mediaTypeOf('anim.gif'), { extension: 'gif', contentType: 'image/gif' });
  assert.deepEqual(mediaTypeOf('odd.xyz'), { extension: 'xyz', contentType: 'application/octet-stream' });
  assert.deepEqual(mediaTypeOf('no-extension'), { extension: 'mp4', contentType: 'video/mp4' });
});
