/** Postgres connection URLs: printable without their secrets, and re-pointed at another database. */

/** Query parameters node-postgres and libpq accept that carry secrets (sslpassword, sslkey contents…). */
const SECRET_PARAM = /pass|secret|key|token/i;

/** `postgres://user:***@host:5432/db` — safe for logs and error messages. Unparseable input is hidden whole. */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The text may hold a password we cannot locate: hide it whole rather than echo it.
    return '[unparseable database URL]';
  }
  if (parsed.password) parsed.password = '***';
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) parsed.searchParams.set(name, '***');
  }
  // URL percent-encodes the asterisks it was given.
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}

/**
 * The URL with no password at all, for a psql command line that works as printed: psql then asks for
 * the password or reads PGPASSWORD or ~/.pgpass. Secret query parameters are masked as in the redacted form.
 */
export function withoutPassword(url: string): string {
  const redacted = redactDatabaseUrl(url);
  if (!URL.canParse(redacted)) return redacted;
  const parsed = new URL(redacted);
  parsed.password = '';
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}

/** The same server, user and options, connected to `database` instead. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
