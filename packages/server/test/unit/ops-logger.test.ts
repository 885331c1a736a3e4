import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { childLogger, createLogger, maskSecrets, PROMPT_LOG_MAX } from '@framesmith/server/logger';

/** A logger writing into an array of parsed lines. */
function capture(level: 'info' | 'debug' | 'warn' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: level }, { role: 'api', destination }), lines };
}

describe('logger', () => {
  test('JSON lines with level names, role and LOG_LEVEL honoured', () => {
    const { logger, lines } = capture('info');
    logger.debug('not shown');
    logger.info({ renderJobId: 'r1' }, 'render started');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'info');
    assert.equal(lines[0]!.role, 'api');
    assert.equal(lines[0]!.msg, 'render started');
    assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT/);
  });

  test('child loggers carry segment, job, backend and prompt ids on every line', () => {
    const { logger, lines } = capture();
    const log = childLogger(logger, {
      segmentId: 's1',
      jobId: 'j1',
      backend: 'gpu-a',
      promptId: 'p1',
      attempt: undefined,
    });
    log.warn('retrying');
    assert.equal(lines[0]!.segmentId, 's1');
    assert.equal(lines[0]!.jobId, 'j1');
    assert.equal(lines[0]!.backend, 'gpu-a');
    assert.equal(lines[0]!.promptId, 'p1');
    assert.ok(!('attempt' in lines[0]!));
  });

  test('secrets are redacted: authorization headers, webhook secrets, database passwords', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc123', cookie: 'sid=1', host: 'x' } },
        webhook: { url: 'https://hooks.example/x', secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0' },
        DATABASE_URL: 'postgres://app:hunter2@db:5432/framesmith',
      },
      'configured',
    );
    logger.error({ err: new Error('connect to postgres://app:hunter2@db/fs failed') }, 'db down');
    logger.info(`secret is whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0 and url postgresql://u:pw@h/d`);
    const text = JSON.stringify(lines);
    for (const leaked of ['abc123', 'sid=1', 'hunter2', 'c2VjcmV0c2VjcmV0', ':pw@']) {
      assert.ok(!text.includes(leaked), `${leaked} must not be logged`);
    }
    const first = lines[0] as { req: { headers: Record<string, string> }; webhook: { url: string } };
    assert.equal(first.req.headers.authorization, '[redacted]');
    assert.equal(first.req.headers.host, 'x');
    assert.equal(first.webhook.url, 'https://hooks.example/x');
    assert.match(
      String((lines[1] as { err: { message: string } }).err.message),
      /postgres:\/\/app:\*\*\*@db/,
    );
  });

  test('long prompts are cut with their length noted', () => {
    const { logger, lines } = capture();
    const prompt = 'a cat walking '.repeat(100);
    logger.info({ prompt, negativePrompt: 'short' }, 'submitting');
    const logged = String(lines[0]!.prompt);
    assert.ok(logged.length < PROMPT_LOG_MAX + 30);
    assert.ok(logged.startsWith('a cat walking'));
    assert.match(logged, new RegExp(`\\(${prompt.length} chars\\)$`));
    assert.equal(lines[0]!.negativePrompt, 'short');
  });

  test('maskSecrets leaves ordinary text alone', () => {
    assert.equal(maskSecrets('http://127.0.0.1:8188/prompt ok'), 'http://127.0.0.1:8188/prompt ok');
    assert.equal(maskSecrets('redis://:pw@h'), 'redis://:***@h');
    assert.equal(maskSecrets('see http://a.b/c?x=1:2@3'), 'see http://a.b/c?x=1:2@3');
  });
});
