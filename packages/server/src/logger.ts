import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyPluginAsync } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '@framesmith/core';

/**
 * Structured JSON logs (pino) for every role. Levels follow the seed: info for operations (job
 * start and completion), debug for flow (status checks), warn for recoverable trouble, error for
 * failures that need attention. Secrets never reach the output: known fields are redacted by path,
 * and a last pass over each line masks credentials in URLs and webhook secrets wherever they are.
 */

export type { Logger } from 'pino';

/** Ids that tie a log line to what it is about; a child logger carries them on every line. */
export interface LogContext {
  requestId?: string;
  projectId?: string;
  segmentId?: string;
  renderJobId?: string;
  jobId?: string;
  backend?: string;
  promptId?: string;
  attempt?: number;
  webhookId?: string;
  deliveryId?: string;
}

/** Longest prompt text kept in a log line; the rest is cut with its length noted. */
export const PROMPT_LOG_MAX = 200;

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["webhook-signature"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["webhook-signature"]',
  'authorization',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'DATABASE_URL',
  '*.DATABASE_URL',
  'databaseUrl',
  '*.databaseUrl',
];

export function truncatePrompt(value: unknown): unknown {
  if (typeof value !== 'string' || value.length <= PROMPT_LOG_MAX) return value;
  return `${value.slice(0, PROMPT_LOG_MAX)}… (${value.length} chars)`;
}

// user:password@ in any scheme://, and Standard Webhooks secrets.
const URL_CREDENTIALS_RE = /([a-z][a-z0-9+.-]*:\/\/[^:/\s"@]*):[^@\s"/]+@/gi;
const WEBHOOK_SECRET_RE = /whsec_[A-Za-z0-9+/=]+/g;

/** Masks credentials in text: `postgres://u:pw@h` → `postgres://u:***@h`, `whsec_…` → `whsec_***`. */
export function maskSecrets(text: string): string {
  return text.replace(URL_CREDENTIALS_RE, '$1:***@').replace(WEBHOOK_SECRET_RE, 'whsec_***');
}

export interface CreateLoggerOptions {
  /** Which role writes (api, worker, start, sim, migrate); added to every line. */
  role?: string;
  /** Where lines go; standard output by default. Tests pass a stream to read them. */
  destination?: DestinationStream;
}

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, options: CreateLoggerOptions = {}): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'framesmith', ...(options.role ? { role: options.role } : {}), pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        error: pino.stdSerializers.err,
        prompt: truncatePrompt,
        negativePrompt: truncatePrompt,
      },
      hooks: { streamWrite: maskSecrets },
    },
    options.destination,
  );
}

/** A child logger carrying the given ids (undefined ones left out). */
export function childLogger(logger: Logger, context: LogContext): Logger {
  const bindings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(context)) if (v !== undefined && v !== null) bindings[k] = v;
  return logger.child(bindings);
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The key of the request id on each log line of a request (buildApp's LogController takes it). */
export const REQUEST_ID_LOG_LABEL = 'requestId';

/**
 * Fastify options that give each request an id: a caller's well-formed `x-request-id`, else a new
 * UUID. buildApp spreads them into `Fastify({...})`.
 */
export function requestIdOptions() {
  return {
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
  };
}

/**
 * Echoes each request's id in an `x-request-id` response header, so a person reporting a problem
 * can quote the id that ties together every log line of that request. Not encapsulated
 * (skip-override), so it covers every route.
 */
export function requestIdHeader(): FastifyPluginAsync<never> {
  const plugin: FastifyPluginAsync<never> = async (app) => {
    app.addHook('onSend', (req, reply, payload, done) => {
      reply.header('x-request-id', req.id);
      done(null, payload);
    });
  };
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return plugin;
}
