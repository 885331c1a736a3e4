/**
 * Public types of the ComfyUI simulator: options, fault specifications and counters.
 * Fault kinds are a const list (not a TS enum) so the CLI and the control endpoint can check names.
 */

/** Faults that act on the HTTP server itself (every request, not a prompt). */
export const SERVER_FAULT_KINDS = ['down', 'slow', 'hang', 'http_500'] as const;

/** Faults decided when `POST /prompt` arrives: validation errors and the plain-text 500. */
export const SUBMIT_FAULT_KINDS = [
  'submit_500',
  'no_prompt',
  'invalid_prompt',
  'missing_node',
  'missing_node_type',
  'prompt_no_outputs',
  'value_not_in_list',
  'value_bigger_than_max',
  'value_smaller_than_min',
  'invalid_input_type',
  'required_input_missing',
  'bad_linked_input',
  'return_type_mismatch',
  'exception_during_validation',
  'exception_during_inner_validation',
  'custom_validation_failed',
  'input_missing',
  'missing_model',
] as const;

/** Faults that act while a prompt executes. */
export const RUN_FAULT_KINDS = [
  'oom',
  'node_error',
  'interrupt',
  'prompt_lost',
  'no_output',
  'corrupt_output',
  'ws_drop',
  'ws_silent',
] as const;

export const FAULT_KINDS = [...SERVER_FAULT_KINDS, ...SUBMIT_FAULT_KINDS, ...RUN_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultSpec {
  kind: FaultKind;
  /** How many times it fires (prompts for prompt faults, requests for 'slow'/'hang'/'http_500'); unlimited when absent. */
  count?: number;
  /** Chance (0..1) that it fires for a given prompt or request; 1 when absent. */
  probability?: number;
  /** 'slow': delay per response (default 1000). 'down': how long to stay down (forever when absent). 'prompt_lost': downtime of the simulated restart (default 0). */
  ms?: number;
  /** Node id the fault acts on (validation error, runtime error, OOM); picked from the graph when absent. */
  node?: string;
  /** Input name for the validation faults that act on one input. */
  input?: string;
  /** Only prompts with this prompt_id. */
  promptId?: string;
  /** Run faults: the sampler step at which it fires (default: half-way). */
  atStep?: number;
  /**
   * Variant of the fault:
   * - 'oom': 'torch' (torch.OutOfMemoryError, default) | 'cuda' (torch.cuda.OutOfMemoryError) | 'accelerator' (torch.AcceleratorError) | 'hip'
   * - 'missing_model': 'validation' (value_not_in_list, default) | 'runtime' (FileNotFoundError during execution)
   * - 'hang': 'http' (requests never answered, default) | 'generation' (the running prompt never finishes)
   * - 'missing_node': 'invalid_prompt' (v0.3.64 shape, default) — use kind 'missing_node_type' for the newer shape
   */
  variant?: string;
  /** 'hang'/'slow'/'http_500' (HTTP): only requests whose path (without /api) starts with this. */
  route?: string;
  /** 'hang' on a route: handle the request first, then never answer (e.g. a prompt queued whose response is lost). */
  process?: boolean;
  /** 'node_error': exception type and message reported by the failing node. */
  exceptionType?: string;
  message?: string;
}

/** A fault as listed by `GET /sim/faults`: the spec plus what is left of it. */
export interface ActiveFault extends FaultSpec {
  id: number;
  fired: number;
  remaining: number | null;
}

export interface SimOptions {
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Simulated GPU time per prompt (execution_start → execution_success), spread over the sampler's steps. Default 1500. */
  generationMs?: number;
  /** Progress steps reported by the sampler. Default 10. */
  steps?: number;
  /** Where output/, input/ and temp/ live. A fresh temp directory (removed on close) by default. */
  outputDir?: string;
  /** Prefixes the log lines (useful with several simulators). */
  name?: string;
  faults?: FaultSpec[];
  /** Total VRAM of the fake GPU in bytes (default 24 GiB). */
  vramTotal?: number;
  /** Model files per folder (`checkpoints`, `diffusion_models`, ...), replacing the defaults for those folders. */
  models?: Partial<Record<string, string[]>>;
  /** Node classes to leave out of /object_info (as if a custom node were not installed). */
  removeNodes?: string[];
  /** Extra node classes (object_info-style definitions) to add. */
  extraNodes?: Record<string, ExtraNodeDef>;
  /**
   * Gap between sending execution_success/execution_error and writing /history (ComfyUI writes it
   * after, in task_done), then `executing` with node null. Default 10 ms.
   */
  historyDelayMs?: number;
  /**
   * A prompt whose output is larger than this (width × height × frames) fails with
   * torch.OutOfMemoryError at the sampler, as a real 24 GB card would. Default 1920 × 1080 × 241.
   */
  oomAbovePixels?: number;
  /**
   * Newer ComfyUI answers 409 `{"error": "prompt_id already exists"}` for a prompt_id it already has
   * (queued, running or in history); v0.3.64 (the default, false) queues the duplicate.
   */
  rejectDuplicatePromptId?: boolean;
  /**
   * ComfyUI's default output cache: nodes whose class and inputs match the previous prompt are not run
   * again (listed in execution_cached; an identical prompt replays its outputs at once). Off by default
   * so every prompt renders; prompts with a fault never use it.
   */
  cache?: boolean;
  /** Reported as system.comfyui_version. Default '0.3.64'. */
  comfyuiVersion?: string;
  /**
   * v0.3.64 bug: a second socket with the same clientId replaces the first, and when the old one closes
   * the new one silently stops getting events (protocol §4). true reproduces it; default false.
   */
  sameClientIdBug?: boolean;
  /** Log lines (faults fired, prompts run) go here; silent by default. */
  log?: (line: string) => void;
}

/** A node definition in the shape of /object_info's `input` plus output types. */
export interface ExtraNodeDef {
  input: { required?: Record<string, unknown[]>; optional?: Record<string, unknown[]> };
  output?: string[];
  output_node?: boolean;
  category?: string;
}

export interface SimStats {
  /** Accepted POST /prompt calls (queued). */
  submitted: number;
  /** POST /prompt calls answered 400 or 500. */
  rejected: number;
  /** Prompts that finished with execution_success. */
  executed: number;
  /** Prompts that ended with execution_error. */
  failed: number;
  interrupted: number;
  /** Prompts wiped by a simulated restart. */
  lost: number;
  /** Fault firings by kind. */
  faultsFired: Partial<Record<FaultKind, number>>;
  queueRemaining: number;
  wsClients: number;
  restarts: number;
  httpRequests: number;
}

export interface Simulator {
  url: string;
  port: number;
  host: string;
  /** Absolute path of the output directory (files served by /view?type=output). */
  outputDir: string;
  inputDir: string;
  setFaults(f: FaultSpec[]): void;
  addFault(f: FaultSpec): void;
  clearFaults(): void;
  faults(): ActiveFault[];
  /** Stop listening: new connections are refused, open ones are dropped. */
  goDown(): Promise<void>;
  /** Listen again on the same port. */
  goUp(): Promise<void>;
  /** Simulated ComfyUI restart: wipes queue and history, drops sockets. downMs > 0 also refuses connections for that long. */
  restart(opts?: { downMs?: number }): Promise<void>;
  stats(): SimStats;
  close(): Promise<void>;
}
