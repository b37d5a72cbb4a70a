import { dbCommand } from '../../src/commands/db.js';
import type { Database } from '../../src/db/open-database.js';
import { textSink } from '../helpers/text-sink.js';

function database(url: string, displayUrl: string, embedded: boolean): Database {
  return { pool: undefined as never, url, displayUrl, embedded, close: async () => undefined };
}

describe('cxone-etl db', () => {
  it('prints an external DATABASE_URL without its password, and a psql line that asks for it', async () => {
    const out = textSink();
    const url = 'postgres://etl:hunter2@db.example:5432/reporting?sslmode=require&sslpassword=keypass';
    const db = database(
      url,
      'postgres://etl:***@db.example:5432/reporting?sslmode=require&sslpassword=***',
      false,
    );
    expect(await dbCommand({ db, out: out.out, signal: new AbortController().signal })).toBe(0);
    expect(out.text()).not.toContain('hunter2');
    expect(out.text()).not.toContain('keypass');
    expect(out.text()).toContain('Database postgres://etl:***@db.example:5432/reporting');
    expect(out.text()).toContain(
      "psql 'postgres://etl@db.example:5432/reporting?sslmode=require&sslpassword=***'",
    );
  });

  it('prints the embedded database URL whole (its password is generated, not a user secret) until aborted', async () => {
    const out = textSink();
    const stop = new AbortController();
    const db = database('postgres://postgres:gen123@127.0.0.1:5999/cxone_etl', 'x', true);
    const running = dbCommand({ db, out: out.out, signal: stop.signal });
    stop.abort();
    expect(await running).toBe(0);
    expect(out.text()).toContain("psql 'postgres://postgres:gen123@127.0.0.1:5999/cxone_etl'");
  });
});
