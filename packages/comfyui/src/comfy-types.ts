import type { WorkflowGraph } from '@framesmith/core';

/**
 * ComfyUI's wire shapes (reference/comfyui-protocol.md). Only the fields the client reads are
 * typed; every shape tolerates unknown extra fields because newer servers add them.
 */

/** One per-input validation error (§2.2). */
export interface InputError {
  type: string;
  message: string;
  details: string;
  extra_info?: Record<string, unknown> | null;
}

export interface NodeError {
  errors: InputError[];
  dependent_outputs: string[];
  class_type: string;
}

/** 200 from POST /prompt: `node_errors` may be non-empty when only some outputs were queued. */
export interface PromptResponse {
  prompt_id: string;
  number: number;
  node_errors: Record<string, NodeError>;
}

/** 400 from POST /prompt (§2). Older or custom servers may put a plain string in `error`. */
export interface PromptErrorBody {
  error:
    | { type: string; message: string; details: string; extra_info?: Record<string, unknown> | null }
    | string;
  node_errors?: Record<string, NodeError>;
}

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`; master drops a 6th element. */
export type QueueItem = [number, string, WorkflowGraph, Record<string, unknown>, string[], ...unknown[]];

export interface QueueResponse {
  queue_running: QueueItem[];
  queue_pending: QueueItem[];
}

/** A reference to a stored file, as in history outputs and /upload/image answers. */
export interface FileRef {
  filename: string;
  subfolder: string;
  type: string;
}

/** A node's UI output in history (§3): `images`, `gifs`, `animated`, `text`, … */
export type NodeOutput = Record<string, unknown>;

export type HistoryMessage = [string, Record<string, unknown>];

export interface HistoryStatus {
  status_str: 'success' | 'error' | string;
  completed: boolean;
  messages: HistoryMessage[];
}

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, NodeOutput>;
  /** Optional: ArcReel saw `null`. */
  status: HistoryStatus | null;
  meta?: Record<string, unknown>;
}

/** `execution_error` data, on the WebSocket and as the last history message (§3). */
export interface ExecutionErrorData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed?: string[];
  exception_message: string;
  exception_type: string;
  traceback?: string[];
  current_inputs?: unknown;
  current_outputs?: unknown;
  timestamp?: number;
}

export interface ExecutionInterruptedData {
  prompt_id: string;
  node_id: string;
  node_type: string;
  executed?: string[];
  timestamp?: number;
}

export interface SystemStatsDevice {
  name: string;
  type: string;
  index: number | null;
  vram_total: number;
  vram_free: number;
  torch_vram_total?: number;
  torch_vram_free?: number;
}

export interface SystemStats {
  system: {
    os: string;
    comfyui_version?: string | null;
    python_version?: string;
    pytorch_version?: string;
    ram_total?: number;
    ram_free?: number;
    [key: string]: unknown;
  };
  devices: SystemStatsDevice[];
}

/** An input spec: `[type, options?]` where type is a string or (V1 combo) the option list itself. */
export type InputSpec = [unknown, Record<string, unknown>?] | unknown[];

export interface NodeInfo {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  output?: unknown[];
  output_node?: boolean;
  name?: string;
  display_name?: string;
  category?: string;
  [key: string]: unknown;
}

export type ObjectInfo = Record<string, NodeInfo>;

/** WebSocket text frame `{type, data}` (§4). */
export interface WsMessage {
  type: string;
  data: Record<string, unknown>;
}
