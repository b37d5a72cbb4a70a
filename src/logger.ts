/**
 * The one pino logger. Secrets are removed twice: pino's `redact` censors known secret fields and
 * Authorization headers wherever they sit in a logged object, and `safeUrl` strips query strings
 * (pre-signed download URLs carry their signature there) and user-info from URLs before they are logged.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

export type { Logger } from 'pino';

const SECRET_KEYS = [
  'accessKeySecret',
  'clientSecret',
  'client_secret',
  'password',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'Authorization',
  'cookie',
  'secret',
];

/** Every secret key at the top level and up to three levels down, plus request/response headers. */
export const REDACT_PATHS: string[] = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  ...SECRET_KEYS.map((k) => `*.*.*.${k}`),
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["x-amz-security-token"]',
];

export interface LoggerOptions {
  level: string;
  format: 'auto' | 'json' | 'pretty';
  /**
   * Defaults to stderr, so stdout carries only a command's output (tables, `--json`) and can be piped;
   * tests pass a stream to capture output.
   */
  destination?: DestinationStream;
  isTty?: boolean;
}

/** Whether logs are rendered for a person (pino-pretty) rather than as JSON lines. */
export function usesPrettyLogs(format: LoggerOptions['format'], isTty: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTty);
}

/**
 * The level when LOG_LEVEL is unset: `info`, except `warn` for `demo` in a terminal, whose own output
 * (banner, progress bar, tables) is the report and routine lines would only break it up.
 */
export function defaultLogLevel(command: string | undefined, pretty: boolean): string {
  return command === 'demo' && pretty ? 'warn' : 'info';
}

export function createLogger(options: LoggerOptions): Logger {
  const usePretty = usesPrettyLogs(options.format, options.isTty ?? false);
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    base: undefined,
    serializers: { err: serializeError, error: serializeError },
  };
  const destination =
    options.destination ??
    (usePretty
      ? loadPretty()({
          colorize: true,
          translateTime: 'SYS:HH:MM:ss',
          ignore: 'pid,hostname',
          // One line per entry, its fields as JSON after the message: a terminal reads a log, not a form.
          singleLine: true,
          sync: true,
          destination: 2,
        })
      : pino.destination({ dest: 2, sync: false }));
  return pino(base, destination);
}

/**
 * Errors are logged with a fixed set of fields: pg errors carry their whole `client` (connection
 * parameters included) and got errors their request options (headers with the bearer token), none of
 * which belongs in a log.
 */
const ERROR_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'routine',
  'status',
  'retryable',
  'context',
  'where',
];

export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error)) return err;
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  const fields = err as unknown as Record<string, unknown>;
  for (const key of ERROR_FIELDS) {
    const value = fields[key];
    if (value !== undefined && (typeof value !== 'object' || key === 'context')) out[key] = value;
  }
  if (err.cause !== undefined && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** A URL fit for logs and error messages: no query string (signatures), no fragment, no user-info. */
export function safeUrl(input: string | URL | undefined | null): string {
  if (input === undefined || input === null || input === '') return '';
  try {
    const u = new URL(String(input));
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    // Not a URL we can parse: cut at the first '?' so a signature cannot survive.
    return String(input).split(/[?#]/)[0] ?? '';
  }
}

/**
 * pino-pretty only for a terminal (or LOG_FORMAT=pretty): a service logging JSON never loads it, which
 * keeps start-up time and resident memory down. It is CommonJS, so a synchronous require serves.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}
