/**
 * One error type for the whole worker. `code` says what kind of failure it is so callers can
 * decide (retry, fail the window, fail the entity, stop the run); `context` names where it happened
 * so an operator can find the window and job without reading a stack trace.
 */
export type EtlErrorCode =
  | 'CONFIG' // bad or missing configuration; exit 2
  | 'AUTH' // credentials refused or token endpoint broken
  | 'PERMISSION' // 401/403 that survived the busy retries: the entity is not allowed for this tenant
  | 'RATE_LIMITED' // the API said "busy" (403/409/429) more often than the retry budget allows
  | 'HTTP' // any other unexpected HTTP answer
  | 'NETWORK' // connection reset, timeout, DNS
  | 'API_CONTRACT' // the API answered something the contract does not allow (malformed JSON, missing fields)
  | 'JOB_FAILED' // FAILED / CANCELLED / EXPIRED after the retry policy
  | 'BAD_INPUT' // the downloaded file is not a CSV we can load
  | 'DOWNLOAD' // the download broke off, stalled or had the wrong length
  | 'URL_EXPIRED' // the pre-signed URL answered 403 (30 s validity elapsed)
  | 'DATABASE' // Postgres said no
  | 'LOCKED' // another process holds this tenant
  | 'ABORTED' // shutdown asked us to stop
  | 'DEADLINE' // a wait ran past its deadline
  | 'INTERNAL';

export interface EtlErrorContext {
  tenant?: string;
  entity?: string;
  window?: string;
  jobId?: string;
  status?: number;
  [key: string]: unknown;
}

export class EtlError extends Error {
  override readonly name = 'EtlError';
  readonly code: EtlErrorCode;
  readonly context: EtlErrorContext;
  readonly retryable: boolean;

  constructor(
    code: EtlErrorCode,
    message: string,
    options: { context?: EtlErrorContext; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(withContext(message, options.context), { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
    this.retryable = options.retryable ?? false;
  }
}

/** Prefixes a message with "tenant=… entity=… window=… job=…" so every error says where it happened. */
function withContext(message: string, context: EtlErrorContext | undefined): string {
  if (!context) return message;
  const parts: string[] = [];
  for (const key of ['tenant', 'entity', 'window', 'jobId'] as const) {
    const value = context[key];
    if (value !== undefined && value !== '') parts.push(`${key === 'jobId' ? 'job' : key}=${String(value)}`);
  }
  return parts.length > 0 ? `[${parts.join(' ')}] ${message}` : message;
}

/** Coerces anything thrown into an Error at a boundary (catch clauses receive `unknown`). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

/** Node's code on something thrown (ECONNRESET, ERR_MODULE_NOT_FOUND), when it has a string one. */
export function errorCode(thrown: unknown): string | undefined {
  const code = (thrown as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isEtlError(thrown: unknown, code?: EtlErrorCode): thrown is EtlError {
  return thrown instanceof EtlError && (code === undefined || thrown.code === code);
}
