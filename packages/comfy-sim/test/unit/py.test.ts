import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyError, pyBool, pyFloat, pyFloatStr, pyInt, pyRepr, pyStr } from '../../src/py.ts';

test('pyFloatStr prints like Python repr(float)', () => {
  assert.equal(pyFloatStr(1), '1.0');
  assert.equal(pyFloatStr(-1), '-1.0');
  assert.equal(pyFloatStr(0.1), '0.1');
  assert.equal(pyFloatStr(1e16), '1e+16');
  assert.equal(pyFloatStr(1.5e-5), '1.5e-05');
  assert.equal(pyFloatStr(100), '100.0');
});

test('pyRepr prints lists and strings like Python', () => {
  assert.equal(pyRepr(['a', "it's", 'C:\\x']), `['a', "it's", 'C:\\\\x']`);
  assert.equal(pyRepr(null), 'None');
  assert.equal(pyRepr({ a: true }), "{'a': True}");
  assert.equal(pyStr(5), '5');
});

test('pyInt and pyFloat convert or raise with Python messages', () => {
  assert.equal(pyInt('20'), 20);
  assert.equal(pyInt(' +7 '), 7);
  assert.equal(pyInt(3.9), 3);
  assert.equal(pyInt(true), 1);
  assert.throws(() => pyInt('3.5'), { message: "invalid literal for int() with base 10: '3.5'" });
  assert.throws(
    () => pyInt(null),
    (e: unknown) =>
      e instanceof PyError &&
      e.pyType === 'TypeError' &&
      e.message === "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'",
  );
  assert.equal(pyFloat('2.5'), 2.5);
  assert.throws(() => pyFloat('abc'), { message: "could not convert string to float: 'abc'" });
});

test('pyBool is Python truthiness ("false" is True)', () => {
  assert.equal(pyBool('false'), true);
  assert.equal(pyBool(''), false);
  assert.equal(pyBool([]), false);
  assert.equal(pyBool(0), false);
});
