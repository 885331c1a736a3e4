// Preload (--import) that times every protocol message the embedded database executes, to see
// what ran on the server's thread while a segment waited. Written as JSON to $PGLITE_TRACE at
// exit: [epochMs, durationMs, messageType, sqlHead] (SQL of Parse and Query messages only).
//   PGLITE_TRACE=.tmp/pglite.json npx node --import ./bench/diagnostics/pglite-trace.ts bench/pipeline.ts …
import { writeFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

type Entry = [at: number, ms: number, type: string, sql: string];
const target = process.env.PGLITE_TRACE ?? '.tmp/pglite-trace.json';
const entries: Entry[] = [];
const decoder = new TextDecoder();
const clock = () => performance.timeOrigin + performance.now();

/** The SQL a Parse ('P': name, then text) or Query ('Q': text) message carries. */
function sqlOf(type: string, message: Uint8Array): string {
  const body = decoder.decode(message.subarray(5, 2005));
  const text = type === 'P' ? body.slice(body.indexOf('\0') + 1) : type === 'Q' ? body : '';
  return text.replace(/\0.*$/s, '').replace(/\s+/g, ' ').trim().slice(0, 300);
}

// Every query, ours and pg-boss's, ends in this synchronous call into the WebAssembly build.
const proto = PGlite.prototype as unknown as { execProtocolRawSync: (m: Uint8Array, o?: unknown) => unknown };
const execute = proto.execProtocolRawSync;
proto.execProtocolRawSync = function (this: unknown, message: Uint8Array, options?: unknown) {
  const at = clock();
  try {
    return execute.call(this, message, options);
  } finally {
    const type = String.fromCharCode(message[0] ?? 0);
    entries.push([at, clock() - at, type, sqlOf(type, message)]);
  }
};

process.on('exit', () => {
  // A benchmark that re-runs itself (server-flags.ts) loads this twice: only the run that used
  // the database writes.
  if (entries.length > 0) writeFileSync(target, JSON.stringify(entries));
});
