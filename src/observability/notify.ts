/**
 * Run and freshness notices to a webhook (NOTIFY_WEBHOOK_URL): generic JSON, Slack's `{"text"}` or a
 * Teams MessageCard. Sending is retried (the one retry helper) and bounded in time as a whole
 * (NOTIFY_TIMEOUT); it never throws: a receiver that is down or slow costs a run at most that long and
 * never fails it. What goes out is built from our own fields, and every URL in it loses its query
 * string (a download URL's signature, a token): the same rule as the logs.
 */
import got from 'got';
import type { Clock } from '../lib/clock.js';
import { toError } from '../lib/errors.js';
import { retry } from '../lib/retry.js';
import type { Secret } from '../lib/secret.js';
import type { Logger } from '../logger.js';

export type NoticeKind = 'run-failed' | 'run-deferred' | 'run-gaps' | 'entity-stale' | 'entity-recovered';

export interface Notice {
  kind: NoticeKind;
  tenant: string;
  /** For entity notices. */
  entity?: string;
  /** One line a person reads first. */
  title: string;
  /** Further lines (failed windows, gaps), each short. */
  lines: string[];
  /** Machine-readable details for the JSON format. */
  details: Record<string, unknown>;
  at: number;
}

export interface NotifierSettings {
  webhookUrl: Secret;
  format: 'json' | 'slack' | 'teams';
  timeoutMs: number;
}

export interface Notifier {
  /** Sends every notice; resolves when done or given up, never rejects. Returns how many arrived. */
  send(notices: readonly Notice[]): Promise<number>;
}

/** Attempts per notice; backoff between them is short, the overall time limit is what bounds it. */
const ATTEMPTS = 3;
const MARKS: Record<NoticeKind, string> = {
  'run-failed': '❌',
  'run-deferred': '⏸️',
  'run-gaps': '⚠️',
  'entity-stale': '⏰',
  'entity-recovered': '✅',
};

export function createNotifier(settings: NotifierSettings, deps: { clock: Clock; log: Logger }): Notifier {
  return {
    async send(notices) {
      if (notices.length === 0) return 0;
      // Real time on purpose: the bound is on how long a person's run waits, whatever the clock says.
      const signal = AbortSignal.timeout(settings.timeoutMs);
      let sent = 0;
      for (const notice of notices) {
        try {
          await retry(
            async () => {
              const answer = await got.post(settings.webhookUrl.reveal(), {
                json: payload(notice, settings.format),
                signal,
                retry: { limit: 0 },
                throwHttpErrors: false,
                timeout: { request: settings.timeoutMs },
                headers: { 'user-agent': 'cxone-etl' },
              });
              if (answer.statusCode >= 300) throw new NotifyError(answer.statusCode);
            },
            {
              attempts: ATTEMPTS,
              baseMs: 200,
              maxMs: 2000,
              clock: deps.clock,
              signal,
              // 4xx other than 429: the receiver refuses this message; asking again will not help.
              classify: (error) => ({
                retry: !(error instanceof NotifyError) || error.status === 429 || error.status >= 500,
              }),
            },
          );
          sent++;
        } catch (err) {
          // The URL is a secret: the log says what failed, never where.
          deps.log.warn(
            { kind: notice.kind, tenant: notice.tenant, reason: describe(err) },
            'notification not delivered (NOTIFY_WEBHOOK_URL)',
          );
          if (signal.aborted) break;
        }
      }
      return sent;
    },
  };
}

class NotifyError extends Error {
  constructor(readonly status: number) {
    super(`the webhook answered HTTP ${status}`);
  }
}

function describe(err: unknown): string {
  if (err instanceof NotifyError) return err.message;
  const e = toError(err);
  return e.name === 'AbortError' || e.name === 'TimeoutError'
    ? 'time limit (NOTIFY_TIMEOUT) reached'
    : e.message;
}

/** The message body for one notice in the chosen format. */
export function payload(notice: Notice, format: NotifierSettings['format']): unknown {
  const title = scrub(`${MARKS[notice.kind]} cxone-etl: ${notice.title}`);
  const lines = notice.lines.map(scrub);
  if (format === 'slack') return { text: [title, ...lines.map((l) => `• ${l}`)].join('\n') };
  if (format === 'teams') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: title,
      themeColor: notice.kind === 'entity-recovered' ? '2EB886' : 'D9534F',
      title,
      text: lines.map((l) => `- ${l}`).join('\n\n'),
    };
  }
  return {
    source: 'cxone-etl',
    kind: notice.kind,
    tenant: notice.tenant,
    ...(notice.entity !== undefined ? { entity: notice.entity } : {}),
    at: new Date(notice.at).toISOString(),
    title,
    lines,
    details: JSON.parse(scrub(JSON.stringify(notice.details))) as unknown,
  };
}

/** Every URL without its query string or fragment (signatures and tokens live there). */
export function scrub(text: string): string {
  return text.replace(/(https?:\/\/[^\s"'?#]*)[?#][^\s"']*/g, '$1');
}
