/** The tenant id from an access token: CXone's tokens are JWTs with a `tenantId` claim. */

/** A JWT's payload, decoded without verification: we only read our own tenant id from it. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined || payload === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    // Not JSON: an opaque token, which carries no tenant id for us to read.
    return undefined;
  }
}

export function tenantIdFromToken(token: string): string | undefined {
  const claim = decodeJwtPayload(token)?.tenantId;
  if (typeof claim === 'string' && claim !== '') return claim;
  return typeof claim === 'number' ? String(claim) : undefined;
}
