import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FaultBook,
  FaultSpecError,
  parseFaultArg,
  parseFaultList,
  parseFaultSpec,
} from '../../src/faults.ts';

test('parseFaultSpec accepts known kinds and fields, and names what is wrong', () => {
  assert.deepEqual(parseFaultSpec({ kind: 'oom', count: 2, variant: 'cuda' }), {
    kind: 'oom',
    count: 2,
    variant: 'cuda',
  });
  assert.throws(() => parseFaultSpec({ kind: 'meteor' }), FaultSpecError);
  assert.throws(() => parseFaultSpec({ kind: 'oom', count: 0 }), /"count"/);
  assert.throws(() => parseFaultSpec({ kind: 'oom', variant: 'disk' }), /"variant"/);
  assert.throws(() => parseFaultSpec({ kind: 'slow', ms: -1 }), /"ms"/);
  assert.throws(() => parseFaultSpec({ kind: 'slow', colour: 'red' }), /unknown fault field "colour"/);
});

test('parseFaultList takes {faults}, a list, or one fault', () => {
  assert.equal(parseFaultList({ faults: [{ kind: 'oom' }, { kind: 'slow' }] }).length, 2);
  assert.equal(parseFaultList([{ kind: 'oom' }]).length, 1);
  assert.equal(parseFaultList({ kind: 'oom' }).length, 1);
});

test('parseFaultArg reads kind[:count[:key=value,…]]', () => {
  assert.deepEqual(parseFaultArg('oom'), { kind: 'oom' });
  assert.deepEqual(parseFaultArg('oom:3'), { kind: 'oom', count: 3 });
  assert.deepEqual(parseFaultArg('slow::ms=2500,route=/prompt'), {
    kind: 'slow',
    ms: 2500,
    route: '/prompt',
  });
  assert.throws(() => parseFaultArg('oom:x'), FaultSpecError);
});

test('FaultBook consumes counts and drops spent faults', () => {
  const book = new FaultBook();
  book.set([{ kind: 'oom', count: 2 }, { kind: 'node_error' }]);
  assert.equal(book.drawOne(['oom'], {})?.kind, 'oom');
  assert.equal(book.list().find((f) => f.kind === 'oom')?.remaining, 1);
  assert.equal(book.drawOne(['oom'], {})?.kind, 'oom');
  assert.equal(book.drawOne(['oom'], {}), null);
  assert.deepEqual(
    book.list().map((f) => f.kind),
    ['node_error'],
  );
  for (let i = 0; i < 5; i++) assert.equal(book.drawOne(['node_error'], {})?.fired, i + 1);
});

test('FaultBook honours probability, promptId and applicability without consuming skipped faults', () => {
  const rolls = [0.9, 0.1];
  const book = new FaultBook({ random: () => rolls.shift() ?? 0 });
  book.add({ kind: 'oom', probability: 0.5, count: 1 });
  assert.equal(book.drawOne(['oom'], {}), null);
  assert.equal(book.drawOne(['oom'], {})?.kind, 'oom');
  book.add({ kind: 'interrupt', promptId: 'p1' });
  assert.equal(book.drawOne(['interrupt'], { promptId: 'p2' }), null);
  assert.equal(book.drawOne(['interrupt'], { promptId: 'p1' })?.kind, 'interrupt');
  book.set([
    { kind: 'value_not_in_list', count: 1 },
    { kind: 'missing_node', count: 1 },
  ]);
  assert.equal(
    book.drawOne(['value_not_in_list', 'missing_node'], {}, (f) => f.kind === 'missing_node')?.kind,
    'missing_node',
  );
  assert.equal(book.list().length, 1);
});
