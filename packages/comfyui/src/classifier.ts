import {
  AppError,
  describeGraphProblem,
  ERROR_TAXONOMY,
  type ErrorCode,
  type ErrorDetail,
  type GraphProblem,
  isRetryable,
  truncate,
} from '@framesmith/core';
import type {
  ExecutionErrorData,
  ExecutionInterruptedData,
  HistoryEntry,
  InputError,
  NodeError,
  PromptErrorBody,
} from './comfy-types.ts';
import { closestNames, displayName, isInputMediaInput, isModelInput } from './names.ts';

/**
 * The one place that reads ComfyUI's error text (ARCHITECTURE §7, reference §2, §3, §5, §9).
 * Any raw outcome becomes `{code, retryable, title, message, tips, detail}`: `message` and `tips`
 * are for people (names only, never URLs, paths, tracebacks or raw exception text); `detail`
 * keeps what an operator needs (node id, class type, input, received value, exception).
 */

/** What the client saw, before any interpretation. */
export type RawOutcome =
  /** fetch or ws threw: refused, reset, DNS, our own deadline. */
  | { kind: 'network'; error: unknown; operation?: string }
  /** A non-2xx answer; `body` is the parsed JSON, or the text when it was not JSON. */
  | { kind: 'http'; status: number; body: unknown; operation: string }
  /** A 200 from POST /prompt whose `node_errors` cover an output we need. */
  | { kind: 'prompt_node_errors'; nodeErrors: Record<string, NodeError> }
  | { kind: 'execution_error'; data: ExecutionErrorData }
  | { kind: 'execution_interrupted'; data: ExecutionInterruptedData }
  /** A finished history entry that did not succeed. */
  | { kind: 'history'; entry: HistoryEntry }
  /** The prompt is in neither /queue nor /history after it was accepted. */
  | { kind: 'prompt_lost'; reason: string }
  | { kind: 'generation_timeout'; timeoutMs: number }
  /** Still waiting in ComfyUI's queue (behind other work) when the wait limit ran out. */
  | { kind: 'queue_timeout'; timeoutMs: number; position?: number }
  /** The socket was lost and the backend stayed unreachable while a job was in flight. */
  | { kind: 'backend_unreachable'; error?: unknown; downForMs: number }
  /** The per-backend circuit breaker is open: fail fast. */
  | { kind: 'circuit_open' }
  /** Finished, but no video among the outputs; `produced` lists what was there instead. */
  | { kind: 'no_output'; produced: string[] }
  /** An output that was fetched but is empty, undecodable, not a video, or has no duration. */
  | { kind: 'output_invalid'; filename: string; reason: string; probeError?: string }
  /** The graph cannot be submitted at all (UI format, no output node, …). */
  | { kind: 'graph_problem'; problem: GraphProblem };

export interface Classification {
  code: ErrorCode;
  retryable: boolean;
  title: string;
  message: string;
  tips: string[];
  detail: ErrorDetail;
}

export interface ClassifyContext {
  backend?: string;
  promptId?: string;
}

interface Verdict {
  code: ErrorCode;
  detail: ErrorDetail;
  message?: string;
  tips?: string[];
}

export function classify(outcome: RawOutcome, context: ClassifyContext = {}): Classification {
  const v = verdict(outcome);
  const copy = ERROR_TAXONOMY[v.code];
  const detail: ErrorDetail = { ...v.detail };
  if (context.backend !== undefined) detail.backend = context.backend;
  if (context.promptId !== undefined) detail.promptId = context.promptId;
  return {
    code: v.code,
    retryable: isRetryable(v.code),
    title: copy.title,
    message: v.message ?? copy.message,
    tips: [...(v.tips ?? []), ...copy.tips],
    detail,
  };
}

/** The classification as the one error type the rest of the system throws. */
export function classifyAsError(outcome: RawOutcome, context: ClassifyContext = {}): AppError {
  const c = classify(outcome, context);
  const cause = outcome.kind === 'network' ? outcome.error : undefined;
  return new AppError(c.code, { detail: c.detail, message: c.message, tips: c.tips, cause });
}

function verdict(o: RawOutcome): Verdict {
  switch (o.kind) {
    case 'network':
      return networkVerdict(o.error, o.operation);
    case 'http':
      return httpVerdict(o.status, o.body, o.operation);
    case 'prompt_node_errors':
      return nodeErrorsVerdict(o.nodeErrors) ?? { code: 'COMFYUI_WORKFLOW_ERROR', detail: {} };
    case 'execution_error':
      return executionErrorVerdict(o.data);
    case 'execution_interrupted':
      return interruptedVerdict(o.data);
    case 'history':
      return historyVerdict(o.entry);
    case 'prompt_lost':
      return { code: 'COMFYUI_PROMPT_LOST', detail: { reason: o.reason } };
    case 'generation_timeout':
      return {
        code: 'COMFYUI_TIMEOUT',
        detail: { reason: 'generation_timeout', timeoutMs: o.timeoutMs },
        message: `The clip did not finish within ${formatDuration(o.timeoutMs)} of starting to generate.`,
      };
    case 'queue_timeout':
      return {
        code: 'COMFYUI_TIMEOUT',
        detail: { reason: 'queue_timeout', timeoutMs: o.timeoutMs, queuePosition: o.position },
        message: `The clip waited more than ${formatDuration(o.timeoutMs)} in the GPU server's queue without starting.`,
      };
    case 'backend_unreachable': {
      const inner = o.error === undefined ? null : networkFacts(o.error);
      return {
        code: 'COMFYUI_CONNECTION_ERROR',
        detail: { reason: 'backend_down_during_generation', downForMs: o.downForMs, ...inner?.detail },
        message: 'The GPU server stopped answering while it was generating this clip.',
      };
    }
    case 'circuit_open':
      return {
        code: 'COMFYUI_CONNECTION_ERROR',
        detail: { reason: 'circuit_open' },
        message: 'The GPU server is failing repeatedly, so it is being skipped for a while.',
      };
    case 'no_output':
      return {
        code: 'COMFYUI_OUTPUT_ERROR',
        detail: { reason: 'no_video_output', produced: o.produced.slice(0, 20) },
        message:
          o.produced.length === 0
            ? 'Generation finished but the workflow saved no output at all.'
            : 'Generation finished but the workflow saved no video, only other kinds of output.',
      };
    case 'output_invalid':
      return {
        code: 'COMFYUI_OUTPUT_ERROR',
        detail: {
          reason: o.reason,
          filename: displayName(o.filename),
          ...(o.probeError ? { exceptionMessage: truncate(o.probeError, 500) } : {}),
        },
        message: outputInvalidMessage(o.reason),
      };
    case 'graph_problem':
      return graphProblemVerdict(o.problem);
  }
}

// --- network -------------------------------------------------------------------------------

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

interface NetworkFacts {
  timeout: boolean;
  detail: ErrorDetail;
}

/** Walks an error and its causes for the facts Node's fetch and ws report (reference §8). */
export function networkFacts(error: unknown): NetworkFacts {
  let timeout = false;
  let errno: string | undefined;
  let name: string | undefined;
  let message: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') break;
    const e = current as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
    if (e.name === 'TimeoutError') timeout = true;
    if (typeof e.code === 'string') {
      errno ??= e.code;
      if (TIMEOUT_CODES.has(e.code)) timeout = true;
    }
    if (typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'TypeError') name = e.name;
    if (typeof e.message === 'string' && e.message !== 'fetch failed') message = e.message;
    current = e.cause;
  }
  const detail: ErrorDetail = {};
  if (errno) detail.errno = errno;
  if (name) detail.exceptionType = name;
  if (message) detail.exceptionMessage = truncate(message, 300);
  return { timeout, detail };
}

/** True for failures that say nothing about the request itself: worth a quick retry. */
export function isTransientNetworkError(error: unknown): boolean {
  if (error instanceof AppError) return false;
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  if (name === 'AbortError') return false;
  if (name === 'TimeoutError') return true;
  if (error instanceof TypeError || (error as { cause?: unknown }).cause !== undefined) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code);
}

function networkVerdict(error: unknown, operation: string | undefined): Verdict {
  const facts = networkFacts(error);
  const detail: ErrorDetail = { ...facts.detail, ...(operation ? { operation } : {}) };
  if (facts.timeout) {
    return {
      code: 'COMFYUI_TIMEOUT',
      detail: { ...detail, reason: 'request_timeout' },
      message: 'The GPU server did not answer in time.',
    };
  }
  return { code: 'COMFYUI_CONNECTION_ERROR', detail: { ...detail, reason: 'unreachable' } };
}

// --- HTTP answers ----------------------------------------------------------------------------

function httpVerdict(status: number, body: unknown, operation: string): Verdict {
  const base: ErrorDetail = { httpStatus: status, operation };
  if (operation === 'submit') {
    if (status === 400 && isPromptErrorBody(body)) {
      const v = validationVerdict(body);
      return { ...v, detail: { httpStatus: status, ...v.detail } };
    }
    if (status === 500 || status === 413) {
      // aiohttp's plain-text 500 on POST /prompt is deterministic for that body (reference §9).
      return {
        code: 'COMFYUI_WORKFLOW_ERROR',
        detail: { ...base, reason: status === 413 ? 'workflow_too_large' : 'server_rejected_workflow' },
        message:
          status === 413
            ? 'The workflow is too large for the GPU server to accept.'
            : 'The GPU server could not read this workflow and rejected it.',
      };
    }
  }
  if (operation === 'view' && status < 500) {
    // The server refused this output (gone, bad name); a 5xx is the server failing, handled below.
    return {
      code: 'COMFYUI_OUTPUT_ERROR',
      detail: { ...base, reason: status === 404 ? 'output_file_missing' : 'output_fetch_refused' },
      message: 'Generation finished but the video file could not be fetched from the GPU server.',
    };
  }
  if (operation === 'upload' && status >= 400 && status < 500 && status !== 403) {
    return {
      code: 'COMFYUI_INPUT_MISSING',
      detail: { ...base, reason: 'upload_refused' },
      message: 'The GPU server refused the input file.',
    };
  }
  if (status === 403) {
    return {
      code: 'COMFYUI_CONNECTION_ERROR',
      detail: { ...base, reason: 'forbidden' },
      message: 'The GPU server refused our requests.',
      tips: ['Ask your operator to check the ComfyUI address and its origin (CORS) settings.'],
    };
  }
  if (status === 404 || status === 405 || status >= 500) {
    return {
      code: 'COMFYUI_CONNECTION_ERROR',
      detail: { ...base, reason: status >= 500 ? 'server_error' : 'not_a_comfyui_route' },
      message:
        status >= 500
          ? 'The GPU server answered with an internal error.'
          : 'The GPU server did not answer like ComfyUI does.',
    };
  }
  return { code: 'INTERNAL_ERROR', detail: { ...base, reason: 'unexpected_status' } };
}

function isPromptErrorBody(body: unknown): body is PromptErrorBody {
  return typeof body === 'object' && body !== null && 'error' in body;
}

const NODE_ID_RE = /Node ID '#([^']+)'/;

/** A 400 from POST /prompt, in every shape old and new servers send (reference §2). */
export function validationVerdict(body: PromptErrorBody): Verdict {
  const err =
    typeof body.error === 'string'
      ? { type: '', message: body.error, details: '', extra_info: {} }
      : { ...body.error, details: body.error.details ?? '', message: body.error.message ?? '' };
  const extra = (err.extra_info ?? {}) as Record<string, unknown>;
  const nodeId = str(extra.node_id) ?? err.details.match(NODE_ID_RE)?.[1];
  const top: ErrorDetail = { errorType: err.type || undefined, exceptionMessage: truncate(err.message, 300) };
  if (nodeId) top.nodeId = nodeId;
  const nodeErrors = body.node_errors ?? {};

  if (err.type === 'missing_node_type' || err.type === 'invalid_prompt') {
    const missing =
      err.type === 'missing_node_type' && !/has no class_type/.test(err.message)
        ? (str(extra.class_type) ?? err.message.match(/^Node '(.+)' not found/)?.[1])
        : err.message.match(/node (.+?) does not exist/)?.[1];
    if (missing) return missingNodeVerdict([missing], { ...top, nodeType: missing });
    return {
      code: 'COMFYUI_WORKFLOW_ERROR',
      detail: { ...top, reason: 'missing_class_type' },
      message: nodeId
        ? `Node ${nodeId} of the workflow has no node type (class_type).`
        : 'A node of the workflow has no node type (class_type).',
    };
  }
  if (err.type === 'no_prompt' || err.type === 'invalid_prompt_id') {
    return { code: 'COMFYUI_WORKFLOW_ERROR', detail: { ...top, reason: err.type } };
  }
  if (err.type === 'prompt_no_outputs') {
    return {
      code: 'COMFYUI_WORKFLOW_ERROR',
      detail: { ...top, reason: 'no_output_node' },
      message: 'The workflow has no output node, so it would produce nothing.',
    };
  }
  const fromNodes = nodeErrorsVerdict(nodeErrors);
  if (fromNodes) return { ...fromNodes, detail: { errorType: err.type || undefined, ...fromNodes.detail } };
  // An old or custom server with an empty node_errors: the text is all there is.
  const fromText = textVerdict(`${err.message}\n${err.details}`);
  if (fromText) return { ...fromText, detail: { ...top, ...fromText.detail } };
  return { code: 'COMFYUI_WORKFLOW_ERROR', detail: { ...top, reason: 'validation_failed' } };
}

// Which code wins when several nodes fail validation: the one a person must fix first.
const PRIORITY: readonly ErrorCode[] = [
  'COMFYUI_MISSING_NODE',
  'COMFYUI_MISSING_MODEL',
  'COMFYUI_INPUT_MISSING',
  'COMFYUI_WORKFLOW_ERROR',
  'COMFYUI_INVALID_PARAMETERS',
];

const WORKFLOW_ERROR_TYPES = new Set([
  'required_input_missing',
  'bad_linked_input',
  'return_type_mismatch',
  'exception_during_inner_validation',
  'exception_during_validation',
  'dependency_cycle',
  'invalid_dynamic_input',
  'prompt_no_outputs',
]);
const PARAMETER_ERROR_TYPES = new Set([
  'value_smaller_than_min',
  'value_bigger_than_max',
  'invalid_input_type',
]);

interface FlatError {
  nodeId: string;
  classType: string;
  error: InputError;
  code: ErrorCode;
  inputName?: string;
  receivedValue?: unknown;
}

function inputErrorCode(classType: string, e: InputError, inputName: string | undefined): ErrorCode {
  if (WORKFLOW_ERROR_TYPES.has(e.type)) return 'COMFYUI_WORKFLOW_ERROR';
  if (PARAMETER_ERROR_TYPES.has(e.type)) return 'COMFYUI_INVALID_PARAMETERS';
  if (e.type === 'value_not_in_list') {
    if (inputName && isModelInput(classType, inputName)) return 'COMFYUI_MISSING_MODEL';
    if (inputName && isInputMediaInput(classType, inputName)) return 'COMFYUI_INPUT_MISSING';
    return 'COMFYUI_INVALID_PARAMETERS';
  }
  if (e.type === 'custom_validation_failed') {
    if (/Invalid (image|video|audio) file/i.test(e.details)) return 'COMFYUI_INPUT_MISSING';
    return 'COMFYUI_INVALID_PARAMETERS';
  }
  return 'COMFYUI_WORKFLOW_ERROR';
}

/** `"ckpt_name: 'x' not in [...]"` or `"image - Invalid image file: x.png"` → input name and value. */
function parseDetails(e: InputError): { inputName?: string; value?: string; options?: string[] } {
  const notInList = e.details.match(/^([\w.-]+): '(.*)' not in (.*)$/s);
  if (notInList) {
    const optionsText = notInList[3] ?? '';
    const options = optionsText.startsWith('[')
      ? [...optionsText.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => (m[1] ?? '').replace(/\\\\/g, '\\'))
      : undefined;
    return { inputName: notInList[1], value: notInList[2], options };
  }
  const custom = e.details.match(/^([\w.-]+) - (?:Invalid (?:image|video|audio) file: )?(.*)$/s);
  if (custom) return { inputName: custom[1], value: custom[2] };
  const first = e.details.match(/^([\w.-]+)(?:,|$)/);
  return first ? { inputName: first[1] } : {};
}

function flatten(nodeErrors: Record<string, NodeError>): FlatError[] {
  const out: FlatError[] = [];
  for (const [nodeId, ne] of Object.entries(nodeErrors)) {
    for (const error of ne.errors ?? []) {
      const extra = (error.extra_info ?? {}) as Record<string, unknown>;
      const parsed = parseDetails(error);
      const inputName = str(extra.input_name) ?? parsed.inputName;
      const receivedValue = extra.received_value !== undefined ? extra.received_value : parsed.value;
      out.push({
        nodeId,
        classType: ne.class_type,
        error,
        code: inputErrorCode(ne.class_type, error, inputName),
        inputName,
        receivedValue,
      });
    }
  }
  return out;
}

function nodeErrorsVerdict(nodeErrors: Record<string, NodeError>): Verdict | null {
  const flat = flatten(nodeErrors);
  if (flat.length === 0) return null;
  flat.sort((a, b) => PRIORITY.indexOf(a.code) - PRIORITY.indexOf(b.code));
  const top = flat[0]!;
  const detail: ErrorDetail = {
    nodeId: top.nodeId,
    nodeType: top.classType,
    errorType: top.error.type,
    exceptionMessage: truncate(`${top.error.message}: ${top.error.details}`, 500),
  };
  if (top.inputName) detail.inputName = top.inputName;
  if (top.receivedValue !== undefined) detail.receivedValue = compactValue(top.receivedValue);
  if (flat.length > 1) {
    detail.errors = flat.slice(0, 10).map((f) => ({
      nodeId: f.nodeId,
      nodeType: f.classType,
      type: f.error.type,
      inputName: f.inputName,
      details: truncate(f.error.details, 200),
    }));
  }
  const where = `${top.classType} (node ${top.nodeId})`;
  const input = top.inputName ? `"${top.inputName}"` : 'an input';
  switch (top.code) {
    case 'COMFYUI_MISSING_MODEL': {
      const wanted = typeof top.receivedValue === 'string' ? top.receivedValue : '';
      const missing = flat.filter((f) => f.code === 'COMFYUI_MISSING_MODEL');
      detail.missing = [...new Set(missing.map((f) => String(f.receivedValue ?? '')))].filter(Boolean);
      const options = listOptions(top);
      const suggestions = wanted && options ? closestNames(wanted, options) : [];
      if (suggestions.length) detail.suggestions = suggestions;
      return {
        code: 'COMFYUI_MISSING_MODEL',
        detail,
        message: wanted
          ? `The GPU server does not have the model "${displayName(wanted)}" needed by ${top.classType}.`
          : `The GPU server does not have a model file needed by ${top.classType}.`,
        tips: suggestions.length
          ? [`Installed models with similar names: ${suggestions.map(displayName).join(', ')}.`]
          : [],
      };
    }
    case 'COMFYUI_INPUT_MISSING': {
      const wanted = typeof top.receivedValue === 'string' ? top.receivedValue : '';
      return {
        code: 'COMFYUI_INPUT_MISSING',
        detail,
        message: wanted
          ? `The input file "${displayName(wanted)}" that ${top.classType} loads is not on the GPU server.`
          : undefined,
      };
    }
    case 'COMFYUI_INVALID_PARAMETERS':
      return {
        code: 'COMFYUI_INVALID_PARAMETERS',
        detail,
        message: `The value of ${input} in ${where} is not accepted: ${parameterReason(top)}.`,
      };
    default:
      return {
        code: 'COMFYUI_WORKFLOW_ERROR',
        detail,
        message: `The workflow is broken at ${where}: ${workflowReason(top)}.`,
      };
  }
}

function listOptions(f: FlatError): string[] | null {
  const config = (f.error.extra_info as Record<string, unknown> | null | undefined)?.input_config;
  if (Array.isArray(config) && Array.isArray(config[0])) return config[0].map(String);
  if (Array.isArray(config) && config[0] === 'COMBO') {
    const options = (config[1] as { options?: unknown } | undefined)?.options;
    if (Array.isArray(options)) return options.map(String);
  }
  return parseDetails(f.error).options ?? null;
}

function parameterReason(f: FlatError): string {
  const m = f.error.message;
  if (f.error.type === 'value_smaller_than_min')
    return m.replace(/^Value (\S+) smaller than min of /, 'the minimum is ');
  if (f.error.type === 'value_bigger_than_max')
    return m.replace(/^Value (\S+) bigger than max of /, 'the maximum is ');
  if (f.error.type === 'invalid_input_type') return 'it has the wrong type';
  if (f.error.type === 'value_not_in_list') return 'it is not one of the allowed choices';
  return 'the node refused it';
}

function workflowReason(f: FlatError): string {
  switch (f.error.type) {
    case 'required_input_missing':
      return `the required input "${f.inputName ?? '?'}" is missing`;
    case 'bad_linked_input':
      return `the link on "${f.inputName ?? '?'}" is malformed`;
    case 'return_type_mismatch':
      return `the link on "${f.inputName ?? '?'}" connects outputs of the wrong type`;
    case 'dependency_cycle':
      return 'its links form a cycle';
    case 'exception_during_validation':
    case 'exception_during_inner_validation':
      return 'a link points at a node or output that does not exist';
    default:
      return 'it failed validation';
  }
}

/** Last resort for servers that leave `node_errors` empty: the joined "message: details" text. */
function textVerdict(text: string): Verdict | null {
  const notInList = text.match(/Value not in list: ([\w.-]+): '([^']*)' not in/);
  if (notInList) {
    const [, inputName = '', value = ''] = notInList;
    const cls = text.match(/(\w+):\s*\n?\s*- Value not in list/)?.[1] ?? '';
    const code: ErrorCode = isModelInput(cls || 'Loader', inputName)
      ? 'COMFYUI_MISSING_MODEL'
      : 'COMFYUI_INVALID_PARAMETERS';
    return {
      code,
      detail: {
        inputName,
        receivedValue: value,
        ...(code === 'COMFYUI_MISSING_MODEL' ? { missing: [value] } : {}),
      },
      message:
        code === 'COMFYUI_MISSING_MODEL'
          ? `The GPU server does not have the model "${displayName(value)}".`
          : `The value of "${inputName}" is not one of the allowed choices.`,
    };
  }
  const file = text.match(/Invalid (image|video|audio) file: ([^\n]+)/);
  if (file) {
    return {
      code: 'COMFYUI_INPUT_MISSING',
      detail: { receivedValue: file[2] },
      message: `The input file "${displayName(file[2] ?? '')}" is not on the GPU server.`,
    };
  }
  if (/smaller than min|bigger than max|Failed to convert/.test(text)) {
    return { code: 'COMFYUI_INVALID_PARAMETERS', detail: {} };
  }
  if (/Required input is missing|Return type mismatch|Bad linked input/.test(text)) {
    return { code: 'COMFYUI_WORKFLOW_ERROR', detail: { reason: 'validation_failed' } };
  }
  return null;
}

function missingNodeVerdict(types: string[], detail: ErrorDetail): Verdict {
  const names = types.map((t) => `"${t}"`).join(', ');
  return {
    code: 'COMFYUI_MISSING_NODE',
    detail: { ...detail, missing: types },
    message:
      types.length === 1
        ? `The node type ${names} is not installed on the GPU server.`
        : `The node types ${names} are not installed on the GPU server.`,
  };
}

/** Preflight's finding of unknown node types, worded like the server's. */
export function missingNodesError(types: string[], nodeId?: string): Verdict {
  return missingNodeVerdict(types, { nodeId, nodeType: types[0], reason: 'preflight' });
}

// --- execution ------------------------------------------------------------------------------

const OOM_TYPES = new Set(['torch.OutOfMemoryError', 'torch.cuda.OutOfMemoryError']);
const OOM_TIP = 'This error means you ran out of memory on your GPU.';
const OOM_RE =
  /out of memory|Allocation on device|cudaErrorMemoryAllocation|CUBLAS_STATUS_ALLOC_FAILED|CUDNN_STATUS_ALLOC_FAILED/i;

/** ComfyUI appends its own tips after a newline; the first line is `str(ex)`. */
function exceptionText(message: string): string {
  const i = message.indexOf(`\n${OOM_TIP}`);
  return (i >= 0 ? message.slice(0, i) : message).trim();
}

export function isOutOfMemory(
  data: Pick<ExecutionErrorData, 'exception_type' | 'exception_message'>,
): boolean {
  const message = data.exception_message ?? '';
  return OOM_TYPES.has(data.exception_type) || message.includes(OOM_TIP) || OOM_RE.test(message);
}

function executionErrorVerdict(data: ExecutionErrorData): Verdict {
  const detail: ErrorDetail = {
    nodeId: str(data.node_id),
    nodeType: str(data.node_type),
    exceptionType: str(data.exception_type),
    exceptionMessage: truncate(exceptionText(data.exception_message ?? ''), 1000),
  };
  const where = data.node_type ? `${data.node_type} (node ${data.node_id})` : 'a node';
  const message = data.exception_message ?? '';
  const type = data.exception_type ?? '';
  if (isOutOfMemory(data)) {
    return {
      code: 'COMFYUI_OUT_OF_MEMORY',
      detail,
      message: `The GPU server ran out of memory while running ${where}.`,
    };
  }
  const modelMissing = message.match(/Model in folder '([^']+)' with filename '([^']+)' not found/);
  if (modelMissing) {
    const name = modelMissing[2] ?? '';
    return {
      code: 'COMFYUI_MISSING_MODEL',
      detail: { ...detail, missing: [name], folder: modelMissing[1] },
      message: `The GPU server does not have the model "${displayName(name)}" needed by ${where}.`,
    };
  }
  if (/SafetensorError|MetadataIncompleteBuffer|HeaderTooLarge/.test(`${type} ${message}`)) {
    return {
      code: 'COMFYUI_MISSING_MODEL',
      detail: { ...detail, reason: 'model_file_unreadable' },
      message: `A model file used by ${where} could not be read; it may be incomplete or damaged.`,
      tips: ['Ask your operator to download the model file again.'],
    };
  }
  if (type === 'FileNotFoundError' && isInputLoader(data.node_type)) {
    return {
      code: 'COMFYUI_INPUT_MISSING',
      detail,
      message: `An input file that ${where} loads is not on the GPU server.`,
    };
  }
  if (type === 'graph.DependencyCycleError' || /DependencyCycleError/.test(type)) {
    return {
      code: 'COMFYUI_WORKFLOW_ERROR',
      detail: { ...detail, reason: 'dependency_cycle' },
      message: 'The workflow is broken: its links form a cycle.',
    };
  }
  if (/mat1 and mat2 shapes cannot be multiplied/.test(message)) {
    // ComfyUI's own tip: the wrong text encoder or CLIP for this model, a permanent setup error.
    return {
      code: 'COMFYUI_WORKFLOW_ERROR',
      detail: { ...detail, reason: 'model_mismatch' },
      message: `The workflow combines models that do not fit together (seen at ${where}).`,
      tips: ['Check that the text encoder (CLIP) matches the diffusion model.'],
    };
  }
  return {
    code: 'COMFYUI_GENERATION_ERROR',
    detail,
    message: `The step ${where} failed while generating the clip.`,
  };
}

function isInputLoader(nodeType: string | undefined): boolean {
  return !!nodeType && /^(Load(Image|Video|Audio)|VHS_Load)/.test(nodeType);
}

function interruptedVerdict(data: ExecutionInterruptedData): Verdict {
  return {
    code: 'COMFYUI_INTERRUPTED',
    detail: { nodeId: str(data.node_id), nodeType: str(data.node_type), reason: 'interrupted_on_server' },
  };
}

function historyVerdict(entry: HistoryEntry): Verdict {
  const messages = entry.status?.messages ?? [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const [event, data] = messages[i]!;
    if (event === 'execution_error') return executionErrorVerdict(data as unknown as ExecutionErrorData);
    if (event === 'execution_interrupted')
      return interruptedVerdict(data as unknown as ExecutionInterruptedData);
  }
  return {
    code: 'COMFYUI_GENERATION_ERROR',
    detail: { reason: 'failed_without_detail', statusStr: entry.status?.status_str },
  };
}

// --- outputs and graphs ---------------------------------------------------------------------

function outputInvalidMessage(reason: string): string {
  switch (reason) {
    case 'empty_file':
      return 'Generation finished but the video file is empty.';
    case 'no_video_stream':
      return 'Generation finished but the file it saved is not a video.';
    case 'no_duration':
      return 'Generation finished but the video it saved has no length.';
    default:
      return 'Generation finished but the video it saved cannot be played.';
  }
}

function graphProblemVerdict(problem: GraphProblem): Verdict {
  const detail: ErrorDetail = { reason: problem.kind };
  if ('nodeId' in problem) detail.nodeId = problem.nodeId;
  if ('input' in problem) detail.inputName = problem.input;
  if (problem.kind === 'ui_format') {
    return {
      code: 'COMFYUI_WORKFLOW_ERROR',
      detail,
      message: 'The workflow is a ComfyUI UI-format save, not the API format the server runs.',
    };
  }
  return {
    code: 'COMFYUI_WORKFLOW_ERROR',
    detail,
    message: `The workflow cannot be used: ${describeGraphProblem(problem)}.`,
  };
}

// --- small helpers --------------------------------------------------------------------------

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

function compactValue(v: unknown): unknown {
  if (typeof v === 'string') return truncate(v, 300);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
  return truncate(JSON.stringify(v) ?? String(v), 300);
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} seconds`;
  return `${Math.round(ms / 60_000)} minutes`;
}
