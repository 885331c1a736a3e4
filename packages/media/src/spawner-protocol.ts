/** Messages between a process and its spawn host (spawner.ts, spawn-host.ts), over Node's IPC channel. */

export type ToHost =
  | { t: 'spawn'; id: number; command: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv }
  | { t: 'in'; id: number; data: Uint8Array }
  | { t: 'end'; id: number }
  | { t: 'kill'; id: number; signal: NodeJS.Signals };

export type FromHost =
  | { t: 'ready' }
  | { t: 'spawned'; id: number; pid: number }
  | {
      t: 'error';
      id: number;
      error: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
    }
  | { t: 'out' | 'err'; id: number; data: Uint8Array }
  | { t: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };
