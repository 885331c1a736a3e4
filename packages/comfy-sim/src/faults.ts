/**
 * The active fault list: parsing specs (from options, the CLI, a file or POST /sim/faults), and
 * drawing them for a prompt or a request with their count and probability.
 */
import { type ActiveFault, FAULT_KINDS, type FaultKind, type FaultSpec } from './types.ts';

export class FaultSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultSpecError';
  }
}

const STRING_FIELDS = [
  'node',
  'input',
  'promptId',
  'variant',
  'route',
  'exceptionType',
  'message',
] as const satisfies readonly (keyof FaultSpec)[];

const VARIANTS: Partial<Record<FaultKind, readonly string[]>> = {
  oom: ['torch', 'cuda', 'accelerator', 'hip'],
  missing_model: ['validation', 'runtime'],
  hang: ['http', 'generation'],
};

/** Checks one fault spec (unknown JSON) and returns a clean copy, or throws FaultSpecError naming the field. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new FaultSpecError('a fault must be an object with a "kind"');
  }
  const raw = input as Record<string, unknown>;
  const kind = raw['kind'];
  if (typeof kind !== 'string' || !(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new FaultSpecError(
      `unknown fault kind ${JSON.stringify(kind)}; known kinds: ${FAULT_KINDS.join(', ')}`,
    );
  }
  const spec: FaultSpec = { kind: kind as FaultKind };
  for (const key of Object.keys(raw)) {
    const v = raw[key];
    if (key === 'kind' || v === undefined || v === null) continue;
    if (key === 'count' || key === 'atStep') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (key === 'count' ? 1 : 0)) {
        throw new FaultSpecError(`"${key}" must be an integer ≥ ${key === 'count' ? 1 : 0}`);
      }
      spec[key] = v;
    } else if (key === 'ms') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new FaultSpecError('"ms" must be a number ≥ 0');
      spec.ms = v;
    } else if (key === 'probability') {
      if (typeof v !== 'number' || v < 0 || v > 1)
        throw new FaultSpecError('"probability" must be between 0 and 1');
      spec.probability = v;
    } else if (key === 'process') {
      if (typeof v !== 'boolean') throw new FaultSpecError('"process" must be a boolean');
      spec.process = v;
    } else if ((STRING_FIELDS as readonly string[]).includes(key)) {
      if (typeof v !== 'string') throw new FaultSpecError(`"${key}" must be a string`);
      (spec as unknown as Record<string, string>)[key] = v;
    } else if (key !== 'id' && key !== 'fired' && key !== 'remaining') {
      throw new FaultSpecError(`unknown fault field "${key}"`);
    }
  }
  const variants = VARIANTS[spec.kind];
  if (spec.variant !== undefined && variants && !variants.includes(spec.variant)) {
    throw new FaultSpecError(`"variant" of ${spec.kind} must be one of ${variants.join(', ')}`);
  }
  return spec;
}

/** `{faults:[…]}`, `[…]` or one fault → a list of specs. */
export function parseFaultList(body: unknown): FaultSpec[] {
  if (Array.isArray(body)) return body.map(parseFaultSpec);
  if (body !== null && typeof body === 'object' && Array.isArray((body as { faults?: unknown }).faults)) {
    return ((body as { faults: unknown[] }).faults ?? []).map(parseFaultSpec);
  }
  return [parseFaultSpec(body)];
}

/** CLI form: `kind`, `kind:count`, or `kind:count:key=value,key=value`. */
export function parseFaultArg(arg: string): FaultSpec {
  const [kind, count, extra] = arg.split(':', 3);
  const raw: Record<string, unknown> = { kind };
  if (count) {
    if (!/^\d+$/.test(count)) throw new FaultSpecError(`fault count must be a whole number, got "${count}"`);
    raw['count'] = Number(count);
  }
  for (const pair of extra ? extra.split(',') : []) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new FaultSpecError(`expected key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    raw[key] =
      key === 'ms' || key === 'probability' || key === 'atStep'
        ? Number(value)
        : key === 'process'
          ? value === 'true'
          : value;
  }
  return parseFaultSpec(raw);
}

export interface FaultContext {
  promptId?: string;
}

export class FaultBook {
  #faults: ActiveFault[] = [];
  #nextId = 1;
  readonly #random: () => number;
  readonly #onFire: (fault: ActiveFault) => void;

  constructor(opts: { random?: () => number; onFire?: (fault: ActiveFault) => void } = {}) {
    this.#random = opts.random ?? Math.random;
    this.#onFire = opts.onFire ?? (() => {});
  }

  set(specs: readonly FaultSpec[]): void {
    this.#faults = [];
    for (const s of specs) this.add(s);
  }

  add(spec: FaultSpec): ActiveFault {
    const clean = parseFaultSpec(spec);
    const active: ActiveFault = { ...clean, id: this.#nextId++, fired: 0, remaining: clean.count ?? null };
    this.#faults.push(active);
    return active;
  }

  clear(): void {
    this.#faults = [];
  }

  remove(predicate: (f: ActiveFault) => boolean): void {
    this.#faults = this.#faults.filter((f) => !predicate(f));
  }

  list(): ActiveFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Active faults of these kinds (not drawn, nothing consumed). */
  peek(kinds: readonly FaultKind[], applies: (f: ActiveFault) => boolean = () => true): ActiveFault[] {
    return this.#faults.filter((f) => kinds.includes(f.kind) && applies(f));
  }

  /**
   * Every fault of these kinds that applies and wins its probability draw, in list order; each
   * one fired is consumed (its count goes down, and it leaves the list at zero).
   */
  draw(
    kinds: readonly FaultKind[],
    ctx: FaultContext,
    applies: (f: ActiveFault) => boolean = () => true,
    limit = Number.POSITIVE_INFINITY,
  ): ActiveFault[] {
    const fired: ActiveFault[] = [];
    for (const f of [...this.#faults]) {
      if (fired.length >= limit) break;
      if (!kinds.includes(f.kind)) continue;
      if (f.promptId !== undefined && f.promptId !== ctx.promptId) continue;
      if (!applies(f)) continue;
      if (f.probability !== undefined && this.#random() >= f.probability) continue;
      f.fired += 1;
      if (f.remaining !== null) {
        f.remaining -= 1;
        if (f.remaining <= 0) this.#faults = this.#faults.filter((x) => x !== f);
      }
      this.#onFire(f);
      fired.push({ ...f });
    }
    return fired;
  }

  /** The first fault of these kinds that fires, or null. */
  drawOne(
    kinds: readonly FaultKind[],
    ctx: FaultContext,
    applies: (f: ActiveFault) => boolean = () => true,
  ): ActiveFault | null {
    return this.draw(kinds, ctx, applies, 1)[0] ?? null;
  }
}
