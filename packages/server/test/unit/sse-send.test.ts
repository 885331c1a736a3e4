import assert from 'node:assert/strict';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { sendEvent } from '../../src/routes/events.ts';

test('an event is handed to the connection at once, not held until the next tick', async () => {
  const seen: { corked: number; buffered: number }[] = [];
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Node corks a response's socket on write and uncorks it on the next tick; the embedded
    // database's queries run in microtasks, so an event written amid them would wait for them.
    sendEvent(res, 'event: segment\ndata: {}\n\n');
    seen.push({ corked: res.socket!.writableCorked, buffered: res.socket!.writableLength });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/`, (res) => {
        let text = '';
        res.on('data', (b: Buffer) => {
          text += b.toString();
        });
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    assert.equal(body, 'event: segment\ndata: {}\n\n');
    assert.deepEqual(seen, [{ corked: 0, buffered: 0 }]);
  } finally {
    server.close();
  }
});
