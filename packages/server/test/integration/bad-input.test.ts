import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { BUILTIN_TEXT_TO_VIDEO_ID, BUILTIN_WORKFLOWS, LIMITS, Segment, Workflow } from '@framesmith/core';
import { testDbKind } from '@framesmith/db/testing';
import { assertApiError, assertNothingInternal, startTestApp, type TestApp } from '../support/test-app.ts';

const t2v = BUILTIN_WORKFLOWS.find((w) => w.id === BUILTIN_TEXT_TO_VIDEO_ID)!;

describe(`bad input (${testDbKind()})`, () => {
  let t: TestApp;
  let pid: string;
  before(async () => {
    t = await startTestApp();
    pid = (await t.call('POST', '/api/projects', { name: 'bad input' })).json().id;
  });
  after(() => t.close());

  const segment = (body: unknown) => t.call('POST', `/api/projects/${pid}/segments`, body);
  /** A 400 whose message and details name the field. */
  const rejects = async (body: unknown, field: string, message?: RegExp) => {
    const err = assertApiError(await segment(body), 400, 'VALIDATION_ERROR');
    assert.ok(err.message.includes(`${field}:`), `"${err.message}" names ${field}`);
    const fields = (err.details as { fields: { field: string; message: string }[] }).fields;
    assert.ok(
      fields.some((f) => f.field === field),
      `details name ${field}: ${JSON.stringify(fields)}`,
    );
    if (message) assert.match(err.message, message);
  };

  test('wrong types name the field', async () => {
    await rejects({ prompt: 42 }, 'prompt', /must be a string/);
    await rejects({ prompt: 'x', params: { width: '512' } }, 'params.width');
    await rejects({ prompt: 'x', params: { frames: 1.5 } }, 'params.frames', /integer/);
    await rejects({ prompt: 'x', params: 'big' }, 'params');
    await rejects({ prompt: 'x', negativePrompt: ['no'] }, 'negativePrompt');
    await rejects({ prompt: 'x', position: -1 }, 'position');
    await rejects({ prompt: 'x', workflowId: 'not-a-uuid' }, 'workflowId');
  });

  test('empty, blank and too-long prompts', async () => {
    await rejects({ prompt: '' }, 'prompt', /must not be empty/);
    await rejects({ prompt: '   ' }, 'prompt', /must not be empty/);
    await rejects({}, 'prompt');
    await rejects({ prompt: 'x'.repeat(LIMITS.promptMax + 1) }, 'prompt', /at most 2000/);
    assert.equal((await segment({ prompt: 'x'.repeat(LIMITS.promptMax) })).statusCode, 201);
  });

  test('unknown fields, at the top and nested', async () => {
    await rejects({ prompt: 'x', colour: 'red' }, 'colour', /not a known field/);
    await rejects({ prompt: 'x', params: { width: 512, zoom: 2 } }, 'params.zoom', /not a known field/);
    assertApiError(
      await t.call('POST', '/api/projects', { name: 'p', owner: 'me' }),
      400,
      'VALIDATION_ERROR',
      'owner',
    );
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'w', graph: t2v.graph, x: 1 }),
      400,
      'VALIDATION_ERROR',
      'x',
    );
  });

  test('width and height outside 64–4096 or not multiples of 8', async () => {
    await rejects({ prompt: 'x', params: { width: 56 } }, 'params.width', /at least 64/);
    await rejects({ prompt: 'x', params: { height: 4104 } }, 'params.height', /at most 4096/);
    await rejects({ prompt: 'x', params: { width: 100 } }, 'params.width', /multiple of 8/);
    await rejects({ prompt: 'x', params: { height: 513 } }, 'params.height', /multiple of 8/);
    for (const ok of [64, 4096, 520]) {
      assert.equal((await segment({ prompt: 'x', params: { width: ok, height: ok } })).statusCode, 201);
    }
    assertApiError(
      await t.call('POST', '/api/projects', { name: 'p', settings: { width: 30 } }),
      400,
      'VALIDATION_ERROR',
      'settings.width',
    );
  });

  test('length (frames) and fps out of range', async () => {
    await rejects({ prompt: 'x', params: { frames: 0 } }, 'params.frames', /at least 1/);
    await rejects({ prompt: 'x', params: { frames: LIMITS.framesMax + 1 } }, 'params.frames', /at most/);
    await rejects({ prompt: 'x', params: { fps: 0 } }, 'params.fps');
    await rejects({ prompt: 'x', params: { fps: 121 } }, 'params.fps');
  });

  test('a workflow that is not an object, or is in UI format', async () => {
    await rejects({ prompt: 'x', workflow: 'graph' }, 'workflow', /JSON object/);
    await rejects({ prompt: 'x', workflow: [1, 2] }, 'workflow', /JSON object/);
    await rejects({ prompt: 'x', workflow: 7 }, 'workflow');
    await rejects({ prompt: 'x', workflow: null }, 'workflow');
    await rejects(
      { prompt: 'x', workflow: { nodes: [], links: [], version: 0.4 } },
      'workflow',
      /Export \(API\)/,
    );
    await rejects({ prompt: 'x', workflow: { '1': { inputs: {} } } }, 'workflow', /class_type/);
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'ui', graph: { nodes: [{ id: 1 }], links: [] } }),
      400,
      'VALIDATION_ERROR',
      /API/,
    );
  });

  test('bodies that are not JSON objects', async () => {
    await rejects([], 'body');
    const jsonString = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${pid}/segments`,
      headers: { 'content-type': 'application/json' },
      payload: '"prompt"',
    });
    assertApiError(jsonString, 400, 'VALIDATION_ERROR', 'body:');
    const noBody = await t.app.inject({ method: 'POST', url: `/api/projects/${pid}/segments` });
    assertApiError(noBody, 400, 'VALIDATION_ERROR', 'body');
    const malformed = await t.app.inject({
      method: 'POST',
      url: `/api/projects/${pid}/segments`,
      headers: { 'content-type': 'application/json' },
      payload: '{"prompt": "x",',
    });
    assertApiError(malformed, 400, 'VALIDATION_ERROR', 'body: is not valid JSON');
    const empty = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    assertApiError(empty, 400, 'VALIDATION_ERROR', 'body');
    const poisoned = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "p", "__proto__": {"admin": true}}',
    });
    assertApiError(poisoned, 400, 'VALIDATION_ERROR');
    const text = await t.app.inject({
      method: 'POST',
      url: '/api/projects',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=p',
    });
    assert.ok(text.statusCode === 400 || text.statusCode === 415, text.body);
    assertNothingInternal(text.body);
  });

  test('text the database cannot store is a 400 naming the field', async () => {
    await rejects({ prompt: 'a\u0000b' }, 'prompt', /cannot be stored/);
    await rejects({ prompt: 'ok', negativePrompt: 'x\ud800' }, 'negativePrompt');
    assertApiError(
      await t.call('POST', '/api/workflows', {
        name: 'w',
        graph: { ...t2v.graph, '12': { class_type: 'X\u0000', inputs: {} } },
      }),
      400,
      'VALIDATION_ERROR',
      'graph.12.class_type',
    );
  });

  test('links and bindings to a node named like an Object property ("constructor") are 400s', async () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const linked = { ...t2v.graph, '99': { class_type: 'Note', inputs: { a: [name, 0] } } };
      assertApiError(
        await t.call('POST', '/api/workflows', { name: 'w', graph: linked }),
        400,
        'VALIDATION_ERROR',
        'graph',
      );
      await rejects({ prompt: 'x', workflow: linked }, 'workflow');
      assertApiError(
        await t.call('POST', '/api/workflows', {
          name: 'w',
          graph: t2v.graph,
          bindings: { prompt: { nodeId: name, input: 'text' } },
        }),
        400,
        'VALIDATION_ERROR',
        'bindings.prompt',
      );
      await rejects(
        { prompt: 'x', workflow: t2v.graph, bindings: { seed: { nodeId: '3', input: name } } },
        'bindings.seed',
      );
    }
  });

  test('a body nested thousands of levels deep is a 400 naming where, not a 500', async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const send = (method: 'POST' | 'PATCH', url: string, payload: string) =>
      t.app.inject({ method, url, payload, headers: { 'content-type': 'application/json' } });
    const graph = `{"1":{"class_type":"SaveVideo","inputs":{"a":${deep(10_000)}}}}`;
    const err = assertApiError(
      await send('POST', '/api/workflows', `{"name":"w","graph":${graph}}`),
      400,
      'VALIDATION_ERROR',
      /^graph\.1\.inputs\.a\.a\.[a.]+: is nested too deeply/,
    );
    assert.ok(err.message.length < 400, 'the path is cut where the limit is');
    assertApiError(
      await send('PATCH', `/api/projects/${pid}`, `{"settings":${deep(10_000)}}`),
      400,
      'VALIDATION_ERROR',
      /^settings\.a\.[a.]+: is nested too deeply/,
    );
    // Graphs as deep as real ones still go through.
    const nested = `{"name":"w","graph":{"1":{"class_type":"SaveVideo","inputs":{"a":${deep(40)}}}}}`;
    assert.equal((await send('POST', '/api/workflows', nested)).statusCode, 201);
  });

  test('bodies over the limit are 413', async () => {
    const big = {
      prompt: 'x',
      workflow: {
        ...t2v.graph,
        pad: { class_type: 'Note', inputs: { text: 'y'.repeat(LIMITS.bodyLimitBytes) } },
      },
    };
    assertApiError(await segment(big), 413, 'PAYLOAD_TOO_LARGE');
    assertApiError(
      await t.call('POST', '/api/workflows', { name: 'big', graph: big.workflow }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  test('property: random bodies at create-segment never get a 5xx', async (ctx) => {
    const tally: Record<number, number> = {};
    // Mostly valid values with the odd bad one, so bodies reach the database as well as the validator.
    const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
    const dimension = mostly(
      fc.integer({ min: 8, max: 512 }).map((n) => n * 8),
      fc.oneof(fc.integer(), fc.double(), fc.anything()),
    );
    const nearValid = fc.record(
      {
        prompt: mostly(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(fc.constant(''), fc.anything())),
        negativePrompt: mostly(fc.string({ maxLength: 20 }), fc.anything()),
        params: mostly(
          fc.record(
            {
              width: dimension,
              height: dimension,
              frames: mostly(fc.integer({ min: 1, max: 1000 }), fc.oneof(fc.integer(), fc.anything())),
              fps: mostly(fc.integer({ min: 1, max: 120 }), fc.integer({ min: -5, max: 200 })),
              seed: mostly(fc.maxSafeNat(), fc.oneof(fc.integer(), fc.double())),
              steps: fc.integer({ min: -1, max: 300 }),
              cfg: mostly(fc.double({ min: 0, max: 50, noNaN: true }), fc.double()),
              inputImage: fc.string({ maxLength: 300 }),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        position: mostly(fc.nat(50), fc.oneof(fc.integer({ min: -3, max: 1e9 }), fc.anything())),
      },
      { requiredKeys: ['prompt'] },
    );
    const workflowPart = fc.oneof(
      fc.constant({}),
      fc.record({
        workflowId: mostly(
          fc.constant(BUILTIN_TEXT_TO_VIDEO_ID),
          fc.oneof(fc.uuid(), fc.string({ maxLength: 40 })),
        ),
      }),
      fc.record(
        {
          workflow: mostly(
            fc.constant(t2v.graph),
            fc.oneof(
              fc.anything(),
              fc.dictionary(
                fc.string({ maxLength: 4 }),
                fc.record({ class_type: fc.string(), inputs: fc.anything() }),
              ),
            ),
          ),
          bindings: fc.dictionary(
            fc.constantFrom('prompt', 'seed', 'width', 'frames', 'bogus'),
            fc.oneof(
              fc.constant(null),
              fc.record({
                nodeId: fc.constantFrom('4', '6', '8', '99'),
                input: fc.constantFrom('text', 'seed', 'width', 'length', 'x'),
              }),
            ),
          ),
        },
        { requiredKeys: ['workflow'] },
      ),
    );
    const segmentBody = fc.tuple(nearValid, workflowPart).map(([a, b]) => ({ ...a, ...b }));
    const body = fc.oneof({ arbitrary: segmentBody, weight: 4 }, fc.jsonValue(), fc.anything(), fc.object());
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await segment(b);
        tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1;
        assert.ok(
          res.statusCode < 500,
          `${res.statusCode} for ${JSON.stringify(b)?.slice(0, 300)}: ${res.body}`,
        );
        assertNothingInternal(res.body);
        if (res.statusCode === 201) Segment.parse(res.json());
        else assert.equal(typeof res.json().error.code, 'string');
      }),
      { numRuns: 100 },
    );
    ctx.diagnostic(`statuses: ${JSON.stringify(tally)}`);
  });

  test('property: random bodies at create-workflow never get a 5xx', async (ctx) => {
    const node = fc.record(
      {
        class_type: fc.oneof(
          fc.constantFrom('KSampler', 'SaveVideo', 'CLIPTextEncode', 'EmptyLatentImage'),
          fc.anything(),
        ),
        inputs: fc.oneof(
          fc.dictionary(
            fc.string({ maxLength: 6 }),
            fc.oneof(
              fc.integer(),
              fc.string({ maxLength: 6 }),
              fc.tuple(fc.constantFrom('1', '2', '3', '9'), fc.nat(2)),
            ),
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    );
    const mostly = <T, U>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<U>) =>
      fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: bad, weight: 1 });
    const nearValid = fc.record(
      {
        name: mostly(fc.string({ minLength: 1, maxLength: 30 }), fc.anything()),
        description: mostly(fc.string({ maxLength: 30 }), fc.anything()),
        category: mostly(
          fc.string({ minLength: 1, maxLength: 20 }),
          fc.oneof(fc.string({ maxLength: 70 }), fc.anything()),
        ),
        graph: fc.oneof(
          { arbitrary: fc.constant(t2v.graph), weight: 3 },
          fc.dictionary(fc.constantFrom('1', '2', '3'), node),
          fc.anything(),
        ),
        bindings: fc.oneof(
          fc.dictionary(
            fc.constantFrom('prompt', 'seed', 'fps', 'other'),
            fc.oneof(
              fc.constant(null),
              fc.record({
                nodeId: fc.constantFrom('1', '4', '8', '10'),
                input: fc.constantFrom('text', 'seed', 'fps', 'x'),
              }),
            ),
          ),
          fc.anything(),
        ),
        generationTimeoutMs: mostly(fc.integer({ min: 1000, max: 86_400_000 }), fc.anything()),
      },
      { requiredKeys: ['name', 'graph'] },
    );
    const tally: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: nearValid, weight: 4 }, fc.jsonValue(), fc.anything()),
        async (b) => {
          const res = await t.call('POST', '/api/workflows', b);
          tally[res.statusCode] = (tally[res.statusCode] ?? 0) + 1;
          assert.ok(
            res.statusCode < 500,
            `${res.statusCode} for ${JSON.stringify(b)?.slice(0, 300)}: ${res.body}`,
          );
          assertNothingInternal(res.body);
          if (res.statusCode === 201) Workflow.parse(res.json());
          else assert.equal(typeof res.json().error.code, 'string');
        },
      ),
      { numRuns: 100 },
    );
    ctx.diagnostic(`statuses: ${JSON.stringify(tally)}`);
  });

  test('property: random raw text as a JSON body never gets a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.json()), async (raw) => {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/projects/${pid}/segments`,
          headers: { 'content-type': 'application/json' },
          payload: raw,
        });
        assert.ok(res.statusCode < 500, `${res.statusCode} for ${raw.slice(0, 200)}: ${res.body}`);
        assertNothingInternal(res.body);
      }),
      { numRuns: 100 },
    );
  });
});
