/**
 * Pre-signed URLs for the fake S3. Each status answer on a SUCCEEDED job gets a fresh URL, valid for
 * urlTtlMs from that moment (CONFIRMED: 30 s from when the status is returned). Validity is judged
 * when the download request arrives; a download that started in time may run as long as it needs.
 */
import { randomBytes } from 'node:crypto';

export type UrlCheck = 'ok' | 'expired' | 'bad-signature' | 'unsigned';

/** Expired grants are only dropped past this size: a long demo polls thousands of times. */
const MAX_GRANTS = 10_000;

interface Grant {
  tenantId: string;
  jobId: string;
  expiresAt: number;
}

export class UrlSigner {
  private grants = new Map<string, Grant>();

  issue(baseUrl: string, tenantId: string, jobId: string, now: number, ttlMs: number): string {
    if (this.grants.size > MAX_GRANTS) this.prune(now);
    const signature = randomBytes(32).toString('hex');
    this.grants.set(signature, { tenantId, jobId, expiresAt: now + ttlMs });
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'SIMULATORKEY/us-west-2/s3/aws4_request',
      'X-Amz-Date': amzDate(now),
      'X-Amz-Expires': String(Math.max(1, Math.ceil(ttlMs / 1000))),
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': signature,
    });
    return `${baseUrl}/__s3/${encodeURIComponent(tenantId)}/${encodeURIComponent(jobId)}.csv?${query}`;
  }

  check(tenantId: string, jobId: string, query: URLSearchParams, now: number): UrlCheck {
    const signature = query.get('X-Amz-Signature');
    if (!signature) return 'unsigned';
    const grant = this.grants.get(signature);
    if (!grant || grant.tenantId !== tenantId || grant.jobId !== jobId) return 'bad-signature';
    return now < grant.expiresAt ? 'ok' : 'expired';
  }

  /** The signatures of URLs still on record (expired ones are dropped past MAX_GRANTS). */
  signatures(): string[] {
    return [...this.grants.keys()];
  }

  reset(): void {
    this.grants = new Map();
  }

  private prune(now: number): void {
    for (const [signature, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(signature);
  }
}

/** `20260101T000000Z`, the X-Amz-Date form. */
function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
