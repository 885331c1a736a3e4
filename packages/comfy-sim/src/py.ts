/**
 * The bits of Python semantics that leak into ComfyUI's responses: how `str()`/`repr()` print values,
 * and how `int()`, `float()`, `str()`, `bool()` convert (or fail on) JSON input values.
 */

/** A Python exception as ComfyUI would report it: `full_type_name(type)` and `str(ex)`. */
export class PyError extends Error {
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
    this.name = 'PyError';
  }
}

/** Python's `repr(float)`: always a decimal point or an exponent, exponents with two digits. */
export function pyFloatStr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mantissa, exp] = n.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  const s = String(n);
  return s.includes('.') ? s : `${s}.0`;
}

/** Python's `repr(str)`. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === quote) out += `\\${quote}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/**
 * `repr()` of a JSON-derived value. JSON numbers are ints when integral (Python's json module parses
 * `20` as int and `20.0` as float; JSON.parse cannot tell them apart, so integral values print as ints).
 */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v) : pyFloatStr(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`,
    );
    return `{${entries.join(', ')}}`;
  }
  return String(v);
}

/** `str()` of a JSON-derived value. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** The value after conversion, keeping whether Python would hold an int or a float (for printing). */
export interface PyNumber {
  value: number;
  isFloat: boolean;
}

export function pyNumberStr(n: PyNumber): string {
  return n.isFloat ? pyFloatStr(n.value) : pyRepr(n.value);
}

function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'dict';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'str';
}

const INT_LITERAL = /^[+-]?(\d(_?\d)*)$/;
const FLOAT_LITERAL = /^[+-]?((\d(_?\d)*)?\.?\d(_?\d)*([eE][+-]?\d(_?\d)*)?|\d(_?\d)*\.|inf|infinity|nan)$/i;

/** Python `int(v)`. */
export function pyInt(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new PyError('ValueError', 'cannot convert float NaN to integer');
    if (!Number.isFinite(v)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
    return Math.trunc(v);
  }
  if (typeof v === 'string') {
    const t = v.trim();
    if (!INT_LITERAL.test(t)) {
      throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyStrRepr(v)}`);
    }
    return Number.parseInt(t.replaceAll('_', ''), 10);
  }
  throw new PyError(
    'TypeError',
    `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`,
  );
}

/** Python `float(v)`. */
export function pyFloat(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!FLOAT_LITERAL.test(t) || t === '') {
      throw new PyError('ValueError', `could not convert string to float: ${pyStrRepr(v)}`);
    }
    const lower = t.toLowerCase().replace(/^[+]/, '');
    if (lower.endsWith('inf') || lower.endsWith('infinity'))
      return lower.startsWith('-') ? -Infinity : Infinity;
    if (lower.endsWith('nan')) return Number.NaN;
    return Number.parseFloat(t.replaceAll('_', ''));
  }
  throw new PyError(
    'TypeError',
    `float() argument must be a string or a real number, not '${pyTypeName(v)}'`,
  );
}

/** Python truthiness, i.e. `bool(v)`. */
export function pyBool(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Python `key in container` for the values a JSON body can hold; raises TypeError like Python does. */
export function pyContains(container: unknown, key: string): boolean {
  if (typeof container === 'string') return container.includes(key);
  if (Array.isArray(container)) return container.includes(key);
  if (container !== null && typeof container === 'object') return Object.hasOwn(container, key);
  throw new PyError('TypeError', `argument of type '${pyTypeName(container)}' is not iterable`);
}

/** Python `container[key]` on a JSON value; raises like Python does. */
export function pyGetItem(container: unknown, key: unknown): unknown {
  if (container !== null && typeof container === 'object' && !Array.isArray(container)) {
    if (typeof key === 'string' && Object.hasOwn(container, key))
      return (container as Record<string, unknown>)[key];
    throw new PyError('KeyError', pyRepr(key));
  }
  if (Array.isArray(container) || typeof container === 'string') {
    const kind = Array.isArray(container) ? 'list' : 'string';
    if (typeof key !== 'number' || !Number.isInteger(key)) {
      throw new PyError('TypeError', `${kind} indices must be integers or slices, not ${pyTypeName(key)}`);
    }
    const i = key < 0 ? container.length + key : key;
    if (i < 0 || i >= container.length) throw new PyError('IndexError', `${kind} index out of range`);
    return container[i];
  }
  throw new PyError('TypeError', `'${pyTypeName(container)}' object is not subscriptable`);
}

/** Python tuple indexing (`RETURN_TYPES[slot]`). */
export function pyTupleItem<T>(tuple: readonly T[], index: unknown): T {
  if (typeof index !== 'number' || !Number.isInteger(index)) {
    throw new PyError('TypeError', `tuple indices must be integers or slices, not ${pyTypeName(index)}`);
  }
  const i = index < 0 ? tuple.length + index : index;
  if (i < 0 || i >= tuple.length) throw new PyError('IndexError', 'tuple index out of range');
  return tuple[i] as T;
}
