/**
 * ComfyUI's prompt validation (execution.py validate_prompt / validate_inputs, v0.3.64), re-expressed
 * over the simulator's node catalog so that every error has ComfyUI's own type, message, details and
 * extra_info. Exceptions that ComfyUI does not catch (a malformed graph shape) escape as PyError and
 * become the plain-text 500 in the HTTP layer.
 */
import type { InputSpec, NodeClass } from './node-catalog.ts';
import {
  PyError,
  pyBool,
  pyContains,
  pyFloat,
  pyFloatStr,
  pyGetItem,
  pyInt,
  pyRepr,
  pyStr,
  pyTupleItem,
} from './py.ts';

export interface ValidationError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeError {
  errors: ValidationError[];
  dependent_outputs: string[];
  class_type: string;
}

export type ValidationResult =
  | { ok: true; outputs: string[]; nodeErrors: Record<string, NodeError> }
  | { ok: false; error: ValidationError; nodeErrors: Record<string, NodeError> };

/** A node's VALIDATE_INPUTS: true when fine, a string (or false) when not. */
export type CustomValidator = (inputs: Record<string, unknown>) => true | false | string;

export interface ValidationEnv {
  catalog: Record<string, NodeClass>;
  /** Custom validators by class name, for classes whose NodeClass.validateInputs is set. */
  customValidators?: Record<string, CustomValidator>;
}

type Validated = Map<string, [boolean, ValidationError[], string]>;

/** ComfyUI `validate_node_input`: exact match, '*' matches anything, comma unions match on overlap. */
export function typesCompatible(received: unknown, input: unknown): boolean {
  if (typeof received !== 'string' || typeof input !== 'string') {
    return JSON.stringify(received) === JSON.stringify(input);
  }
  if (received === input || received === '*' || input === '*') return true;
  const a = new Set(received.split(',').map((t) => t.trim()));
  return input.split(',').some((t) => a.has(t.trim()));
}

function fakeTraceback(fn: string, line: string): string[] {
  return [
    `  File "/ComfyUI/execution.py", line 1010, in validate_prompt\n    m = await validate_inputs(prompt_id, prompt, o, validated)\n`,
    `  File "/ComfyUI/execution.py", line 788, in ${fn}\n    ${line}\n`,
  ];
}

function inputInfo(cls: NodeClass, name: string): { spec: InputSpec; category: 'required' | 'optional' } {
  const req = cls.input.required[name];
  if (req) return { spec: req, category: 'required' };
  return { spec: cls.input.optional![name]!, category: 'optional' };
}

function inputConfig(spec: InputSpec): [unknown, Record<string, unknown>] {
  return [spec[0], spec[1] ?? {}];
}

function toPyException(ex: unknown): PyError {
  if (ex instanceof PyError) return ex;
  return new PyError('Exception', ex instanceof Error ? ex.message : String(ex));
}

function validateInputs(
  env: ValidationEnv,
  prompt: Record<string, unknown>,
  uniqueId: string,
  validated: Validated,
): [boolean, ValidationError[], string] {
  const known = validated.get(uniqueId);
  if (known) return known;

  const node = pyGetItem(prompt, uniqueId);
  const inputs = pyGetItem(node, 'inputs') as Record<string, unknown>;
  const classType = pyGetItem(node, 'class_type') as string;
  const cls = env.catalog[classType];
  if (!cls) throw new PyError('KeyError', pyRepr(classType));

  const validInputs = [...Object.keys(cls.input.required), ...Object.keys(cls.input.optional ?? {})];
  const validateFnInputs = cls.validateInputs ?? [];
  const errors: ValidationError[] = [];
  let valid = true;

  for (const x of validInputs) {
    const { spec, category } = inputInfo(cls, x);
    const inputType = spec[0];
    const extra = spec[1] ?? {};
    const info = inputConfig(spec);
    if (!pyContains(inputs, x)) {
      if (category === 'required') {
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: x,
          extra_info: { input_name: x },
        });
      }
      continue;
    }

    let val = inputs[x];
    if (Array.isArray(val)) {
      if (val.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: x,
          extra_info: { input_name: x, input_config: info, received_value: val },
        });
        continue;
      }
      const oId = val[0];
      const oClassType = pyGetItem(pyGetItem(prompt, oId), 'class_type') as string;
      const oCls = env.catalog[oClassType];
      if (!oCls) throw new PyError('KeyError', pyRepr(oClassType));
      const receivedType = pyTupleItem(oCls.output, val[1]);
      if (!typesCompatible(receivedType, inputType)) {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${x}, received_type(${pyStr(receivedType)}) mismatch input_type(${pyStr(inputType)})`,
          extra_info: { input_name: x, input_config: info, received_type: receivedType, linked_node: val },
        });
        continue;
      }
      try {
        const r = validateInputs(env, prompt, String(oId), validated);
        if (!r[0]) valid = false;
      } catch (raw) {
        const ex = toPyException(raw);
        valid = false;
        const reasons: ValidationError[] = [
          {
            type: 'exception_during_inner_validation',
            message: 'Exception when validating inner node',
            details: ex.message,
            extra_info: {
              input_name: x,
              input_config: info,
              exception_message: ex.message,
              exception_type: ex.pyType,
              traceback: fakeTraceback('validate_inputs', "o_class_type = prompt[o_id]['class_type']"),
              linked_node: val,
            },
          },
        ];
        validated.set(String(oId), [false, reasons, String(oId)]);
      }
      continue;
    }

    if (val !== null && typeof val === 'object' && Object.hasOwn(val, '__value__')) {
      val = (val as Record<string, unknown>)['__value__'];
      inputs[x] = val;
    }
    let isFloat = false;
    try {
      if (inputType === 'INT') val = pyInt(val);
      else if (inputType === 'FLOAT') {
        val = pyFloat(val);
        isFloat = true;
      } else if (inputType === 'STRING') val = pyStr(val);
      else if (inputType === 'BOOLEAN') val = pyBool(val);
      inputs[x] = val;
    } catch (raw) {
      const ex = toPyException(raw);
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(inputType)} value`,
        details: `${x}, ${pyStr(val)}, ${ex.message}`,
        extra_info: { input_name: x, input_config: info, received_value: val, exception_message: ex.message },
      });
      continue;
    }

    if (validateFnInputs.includes(x)) continue;
    const show = (n: unknown) => (isFloat && typeof n === 'number' ? pyFloatStr(n) : pyRepr(n));
    if (typeof val === 'number' && typeof extra['min'] === 'number' && val < extra['min']) {
      errors.push({
        type: 'value_smaller_than_min',
        message: `Value ${show(val)} smaller than min of ${show(extra['min'])}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      });
      continue;
    }
    if (typeof val === 'number' && typeof extra['max'] === 'number' && val > extra['max']) {
      errors.push({
        type: 'value_bigger_than_max',
        message: `Value ${show(val)} bigger than max of ${show(extra['max'])}`,
        details: x,
        extra_info: { input_name: x, input_config: info, received_value: val },
      });
      continue;
    }
    if (Array.isArray(inputType) && !inputType.includes(val as string)) {
      const long = inputType.length > 20;
      errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${x}: '${pyStr(val)}' not in ${long ? `(list of length ${inputType.length})` : pyRepr(inputType)}`,
        extra_info: { input_name: x, input_config: long ? null : info, received_value: val },
      });
    }
  }

  const validator = env.customValidators?.[classType];
  if (validateFnInputs.length > 0 && validator) {
    const args: Record<string, unknown> = {};
    for (const x of validateFnInputs) {
      const v = Object.hasOwn(inputs, x) ? inputs[x] : undefined;
      if (v === undefined || Array.isArray(v)) {
        throw new PyError(
          'TypeError',
          `${classType}.VALIDATE_INPUTS() missing 1 required positional argument: '${x}'`,
        );
      }
      args[x] = v;
    }
    const ret = validator(args);
    if (ret !== true) {
      for (const x of validateFnInputs) {
        errors.push({
          type: 'custom_validation_failed',
          message: 'Custom validation failed for node',
          details: ret === false ? x : `${x} - ${ret}`,
          extra_info: { input_name: x },
        });
      }
    }
  }

  const result: [boolean, ValidationError[], string] =
    errors.length > 0 || !valid ? [false, errors, uniqueId] : [true, [], uniqueId];
  validated.set(uniqueId, result);
  return result;
}

/**
 * Validates an API-format prompt. Mutates it the way ComfyUI does (widget values converted to their
 * types, `{"__value__": …}` unwrapped), so the queued copy matches what ComfyUI stores.
 */
export function validatePrompt(
  env: ValidationEnv,
  prompt: unknown,
  partialExecutionTargets: unknown = null,
): ValidationResult {
  const outputs: string[] = [];
  if (prompt === null || typeof prompt !== 'object') {
    throw new PyError(
      'TypeError',
      `'${prompt === null ? 'NoneType' : typeof prompt}' object is not iterable`,
    );
  }
  if (Array.isArray(prompt))
    throw new PyError('TypeError', 'list indices must be integers or slices, not dict');
  const graph = prompt as Record<string, unknown>;
  for (const x of Object.keys(graph)) {
    const node = graph[x];
    if (!pyContains(node, 'class_type')) {
      return {
        ok: false,
        error: {
          type: 'invalid_prompt',
          message: 'Cannot execute because a node is missing the class_type property.',
          details: `Node ID '#${x}'`,
          extra_info: {},
        },
        nodeErrors: {},
      };
    }
    const classType = pyGetItem(node, 'class_type');
    if (classType !== null && typeof classType === 'object') {
      throw new PyError('TypeError', `unhashable type: '${Array.isArray(classType) ? 'list' : 'dict'}'`);
    }
    const cls = typeof classType === 'string' ? env.catalog[classType] : undefined;
    if (!cls) {
      return {
        ok: false,
        error: {
          type: 'invalid_prompt',
          message: `Cannot execute because node ${pyStr(classType)} does not exist.`,
          details: `Node ID '#${x}'`,
          extra_info: {},
        },
        nodeErrors: {},
      };
    }
    if (cls.output_node) {
      if (partialExecutionTargets === null || pyContains(partialExecutionTargets, x)) outputs.push(x);
    }
  }

  if (outputs.length === 0) {
    return {
      ok: false,
      error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
      nodeErrors: {},
    };
  }

  const goodOutputs: string[] = [];
  const failed: [string, ValidationError[]][] = [];
  const nodeErrors = new Map<string, NodeError>();
  const validated: Validated = new Map();
  for (const o of outputs) {
    let ok = false;
    let reasons: ValidationError[] = [];
    try {
      const m = validateInputs(env, graph, o, validated);
      ok = m[0];
      reasons = m[1];
    } catch (raw) {
      const ex = toPyException(raw);
      reasons = [
        {
          type: 'exception_during_validation',
          message: 'Exception when validating node',
          details: ex.message,
          extra_info: {
            exception_type: ex.pyType,
            traceback: fakeTraceback('validate_inputs', "o_class_type = prompt[o_id]['class_type']"),
          },
        },
      ];
      validated.set(o, [false, reasons, o]);
    }
    if (ok) {
      goodOutputs.push(o);
      continue;
    }
    failed.push([o, reasons]);
    // As in ComfyUI: every invalid node validated so far gets this output appended, upstream or not.
    for (const [nodeId, [nodeOk, nodeReasons]] of validated) {
      if (nodeOk || nodeReasons.length === 0) continue;
      let entry = nodeErrors.get(nodeId);
      if (!entry) {
        entry = {
          errors: nodeReasons,
          dependent_outputs: [],
          class_type: pyGetItem(pyGetItem(graph, nodeId), 'class_type') as string,
        };
        nodeErrors.set(nodeId, entry);
      }
      entry.dependent_outputs.push(o);
    }
  }

  const nodeErrorsObj = Object.fromEntries(nodeErrors);
  if (goodOutputs.length === 0) {
    const lines = failed.flatMap(([, errs]) => errs.map((e) => `${e.message}: ${e.details}`));
    return {
      ok: false,
      error: {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details: lines.join('\n'),
        extra_info: {},
      },
      nodeErrors: nodeErrorsObj,
    };
  }
  return { ok: true, outputs: goodOutputs, nodeErrors: nodeErrorsObj };
}
