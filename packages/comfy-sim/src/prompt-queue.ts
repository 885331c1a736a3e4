/**
 * ComfyUI's PromptQueue (execution.py): a heap of pending items ordered by (number, prompt_id), the
 * running items, and the history written by task_done. One worker takes items one at a time.
 */

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, exactly as /queue and /history show it. */
export type QueueItem = [number, string, Record<string, unknown>, Record<string, unknown>, string[]];

export interface HistoryStatus {
  status_str: 'success' | 'error';
  completed: boolean;
  messages: [string, Record<string, unknown>][];
}

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, unknown>;
  status: HistoryStatus | null;
  meta: Record<string, unknown>;
}

export const MAXIMUM_HISTORY_SIZE = 10000;
const SENSITIVE_EXTRA_DATA_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

function before(a: QueueItem, b: QueueItem): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  return a[1] < b[1];
}

export class PromptQueue {
  #heap: QueueItem[] = [];
  #running = new Map<number, QueueItem>();
  #history = new Map<string, HistoryEntry>();
  #taskCounter = 0;
  #waiters: (() => void)[] = [];
  readonly #onChange: () => void;

  constructor(onChange: () => void) {
    this.#onChange = onChange;
  }

  put(item: QueueItem): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
    this.#onChange();
    for (const w of this.#waiters.splice(0)) w();
  }

  #pop(): QueueItem | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }

  /** Takes the next item, marking it running; waits until one is queued. Resolves null when `signal` aborts. */
  async get(signal: AbortSignal): Promise<{ item: QueueItem; taskId: number } | null> {
    while (this.#heap.length === 0) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        // The stop signal outlives every wait: take the abort listener off again when an item comes.
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.#waiters.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
    if (signal.aborted) return null;
    const item = this.#pop()!;
    const taskId = this.#taskCounter++;
    this.#running.set(taskId, structuredClone(item));
    this.#onChange();
    return { item, taskId };
  }

  taskDone(
    taskId: number,
    result: { outputs: Record<string, unknown>; meta: Record<string, unknown> },
    status: HistoryStatus | null,
  ) {
    const prompt = this.#running.get(taskId);
    if (!prompt) return;
    this.#running.delete(taskId);
    if (this.#history.size > MAXIMUM_HISTORY_SIZE) {
      const oldest = this.#history.keys().next().value;
      if (oldest !== undefined) this.#history.delete(oldest);
    }
    for (const key of SENSITIVE_EXTRA_DATA_KEYS) delete prompt[3][key];
    // A re-used prompt_id replaces the old entry but keeps its place, as a Python dict does.
    this.#history.set(prompt[1], { prompt, outputs: result.outputs, status, meta: result.meta });
    this.#onChange();
  }

  /** Forgets a running item without writing history (a simulated crash). */
  dropRunning(taskId: number): void {
    this.#running.delete(taskId);
  }

  running(): QueueItem[] {
    return [...this.#running.values()];
  }

  /** Pending items in heap order, as ComfyUI returns them (not sorted). */
  pending(): QueueItem[] {
    return [...this.#heap];
  }

  remaining(): number {
    return this.#heap.length + this.#running.size;
  }

  isRunning(promptId: string): boolean {
    for (const item of this.#running.values()) if (item[1] === promptId) return true;
    return false;
  }

  isPending(promptId: string): boolean {
    return this.#heap.some((item) => item[1] === promptId);
  }

  wipeQueue(): void {
    this.#heap = [];
    this.#onChange();
  }

  deleteQueueItem(promptId: string): boolean {
    const i = this.#heap.findIndex((item) => item[1] === promptId);
    if (i < 0) return false;
    const items = this.#heap.filter((_, j) => j !== i);
    this.#heap = [];
    // Re-heapify (Python heapify keeps the same invariant; the exact layout may differ).
    for (const it of items) {
      this.#heap.push(it);
      let k = this.#heap.length - 1;
      while (k > 0) {
        const parent = (k - 1) >> 1;
        if (!before(this.#heap[k]!, this.#heap[parent]!)) break;
        [this.#heap[k], this.#heap[parent]] = [this.#heap[parent]!, this.#heap[k]!];
        k = parent;
      }
    }
    this.#onChange();
    return true;
  }

  /** GET /history and /history/{id} (PromptQueue.get_history). */
  /** Ordered [prompt_id, entry] pairs (a JS object would reorder numeric-looking ids). */
  getHistory(opts: {
    promptId?: string;
    maxItems?: number | null;
    offset?: number;
  }): [string, HistoryEntry][] {
    if (opts.promptId !== undefined) {
      const entry = this.#history.get(opts.promptId);
      return entry ? [[opts.promptId, structuredClone(entry)]] : [];
    }
    const out: [string, HistoryEntry][] = [];
    const maxItems = opts.maxItems ?? null;
    let offset = opts.offset ?? -1;
    if (offset < 0 && maxItems !== null) offset = this.#history.size - maxItems;
    let i = 0;
    let count = 0;
    for (const [k, v] of this.#history) {
      if (i >= offset) {
        out.push([k, v]);
        count += 1;
        if (maxItems !== null && count >= maxItems) break;
      }
      i += 1;
    }
    return out;
  }

  hasHistory(promptId: string): boolean {
    return this.#history.has(promptId);
  }

  historyIds(): string[] {
    return [...this.#history.keys()];
  }

  wipeHistory(): void {
    this.#history.clear();
  }

  deleteHistoryItem(promptId: string): void {
    this.#history.delete(promptId);
  }

  /** A simulated restart: nothing pending, nothing running, no history. */
  reset(): void {
    this.#heap = [];
    this.#running.clear();
    this.#history.clear();
    this.#taskCounter = 0;
  }
}
