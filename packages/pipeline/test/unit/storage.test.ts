import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalStorage, storageKeys } from '../../src/storage.ts';

const dir = mkdtempSync(join(tmpdir(), 'storage-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const storage = new LocalStorage(join(dir, 'store'));

test('put moves a file in; read, range read, stat and delete', async () => {
  const src = join(dir, 'src.bin');
  writeFileSync(src, '0123456789');
  const key = storageKeys.clip('p1', 's1', 2);
  assert.equal(key, 'projects/p1/clips/s1-2.mp4');
  assert.deepEqual(await storage.putFile(key, src), { sizeBytes: 10 });
  assert.equal(existsSync(src), false);
  assert.equal(await text(storage.createReadStream(key)), '0123456789');
  assert.equal(await text(storage.createReadStream(key, { start: 2, end: 4 })), '234');
  assert.deepEqual(await storage.stat(key), { sizeBytes: 10 });
  await storage.delete(key);
  assert.equal(await storage.stat(key), null);
});

test('deleteProjectFiles removes only that project', async () => {
  for (const p of ['pa', 'pb']) {
    const src = join(dir, `${p}.bin`);
    writeFileSync(src, p);
    await storage.putFile(storageKeys.final(p, 'r1'), src);
  }
  await storage.deleteProjectFiles('pa');
  assert.equal(await storage.stat(storageKeys.final('pa', 'r1')), null);
  assert.deepEqual(await storage.stat(storageKeys.final('pb', 'r1')), { sizeBytes: 2 });
});

test('keys cannot escape the storage directory', () => {
  for (const bad of ['../x', '/etc/passwd', 'a/../../x', 'a\0b']) {
    assert.throws(() => storage.localPath(bad), /Invalid storage key/);
  }
});
