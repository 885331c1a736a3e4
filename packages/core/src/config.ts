import { z } from 'zod';

/**
 * Configuration from the environment (ARCHITECTURE §13). Parsed once, at start, by the bin;
 * an invalid value stops the process with a message naming the variable.
 */
const intVar = (min: number, max: number) =>
  z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const ConfigSchema = z.object({
  PORT: intVar(0, 65535).default(8000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
    .optional(),
  COMFYUI_URL: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return [] as string[];
      const urls = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const u of urls) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(u);
        } catch {
          parsed = undefined;
        }
        if (!parsed || !/^https?:$/.test(parsed.protocol)) {
          ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of http(s) URLs' });
          return z.NEVER;
        }
      }
      return urls;
    }),
  COMFYUI_REQUEST_TIMEOUT_MS: intVar(100, 600_000).default(30_000),
  COMFYUI_GENERATION_TIMEOUT_MS: intVar(1000, 24 * 3600_000).default(300_000),
  GENERATION_MAX_ATTEMPTS: intVar(1, 20).default(3),
  RETRY_BASE_DELAY_MS: intVar(0, 600_000).default(2000),
  HEALTH_CHECK_TIMEOUT_MS: intVar(100, 120_000).default(5000),
  HEALTH_CHECK_INTERVAL_MS: intVar(500, 3600_000).default(10_000),
  STORAGE_DIR: z.string().min(1).optional(),
  LOG_LEVEL: LogLevel.default('info'),
  SIM_GENERATION_MS: intVar(0, 600_000).default(1500),
  WORKER_CONCURRENCY: intVar(1, 64).default(4),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>> & { readonly storageDir: string };

export class ConfigError extends Error {
  readonly problems: { variable: string; message: string }[];
  constructor(problems: { variable: string; message: string }[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const known: Record<string, string | undefined> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = env[key];
    known[key] = v === '' ? undefined : v;
  }
  const result = ConfigSchema.safeParse(known);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ variable: String(i.path[0] ?? '?'), message: i.message })),
    );
  }
  const c = result.data;
  return Object.freeze({ ...c, storageDir: c.STORAGE_DIR ?? `${c.DATA_DIR.replace(/\/$/, '')}/storage` });
}
