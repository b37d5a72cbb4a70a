import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { splitHeader, type SplitHeaderOptions } from '../../src/load/csv-inspect.js';
import { CsvScanner } from '../../src/load/csv-scanner.js';
import { chunks, everySplit, rejection } from '../helpers/csv-chunks.js';

// ---------- helpers ----------

/** Collects what a stream passes on, keeping the chunk objects to check they are not copies. */
function sink(): { stream: Writable; out: Buffer[] } {
  const out: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  return { stream, out };
}

async function inspect(parts: Buffer[], options?: SplitHeaderOptions) {
  const split = await splitHeader(chunks(parts), options);
  const counter = new CsvScanner();
  const { stream, out } = sink();
  await pipeline(split.body, counter, stream);
  return {
    header: split.header,
    headerBytes: split.headerBytes,
    body: Buffer.concat(out),
    records: counter.records,
  };
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

// ---------- splitHeader ----------

describe('splitHeader', () => {
  const good: Array<{ text: string; header: string[] | null; headerBytes: number; records: number }> = [
    { text: '', header: null, headerBytes: 0, records: 0 },
    { text: '\uFEFF', header: null, headerBytes: 3, records: 0 },
    { text: '\r\n', header: null, headerBytes: 2, records: 0 },
    { text: 'a,b', header: ['a', 'b'], headerBytes: 3, records: 0 },
    { text: 'a,b\r\n', header: ['a', 'b'], headerBytes: 5, records: 0 },
    { text: '\uFEFFa,b\n1,2\n', header: ['a', 'b'], headerBytes: 7, records: 1 },
    {
      text: 'ACD Call ID,Agent 1 Name\r\n1,"김, 민수"\r\n2,"x\r\ny"\r\n',
      header: ['ACD Call ID', 'Agent 1 Name'],
      headerBytes: 26,
      records: 2,
    },
    { text: '"x\r\ny","a,b","q""t"\r\n1,2,3', header: ['x\r\ny', 'a,b', 'q"t'], headerBytes: 21, records: 1 },
    { text: 'a,a,,\n1,2,3,4\n', header: ['a', 'a', '', ''], headerBytes: 6, records: 1 },
    { text: '상담원 이름,고객\n김,이\n', header: ['상담원 이름', '고객'], headerBytes: 24, records: 1 },
  ];

  it.each(good)('splits $text at every chunk boundary', async ({ text, header, headerBytes, records }) => {
    const input = b(text);
    for (const parts of everySplit(input)) {
      const result = await inspect(parts);
      expect(result.header).toEqual(header);
      expect(result.headerBytes).toBe(headerBytes);
      expect(result.body.equals(input.subarray(headerBytes))).toBe(true);
      expect(result.records).toBe(records);
    }
  });

  it('hands back the rest of a Readable source after the header', async () => {
    const source = Readable.from([b('h1,h2\n1,'), b('2\n3,4\n'), b('5,6')]);
    const split = await splitHeader(source);
    const body: Buffer[] = [];
    for await (const chunk of split.body) body.push(chunk);
    expect(split.header).toEqual(['h1', 'h2']);
    expect(Buffer.concat(body).toString()).toBe('1,2\n3,4\n5,6');
  });

  it('reads a long header spread over many chunks', async () => {
    const names = Array.from({ length: 1500 }, (_, i) => `Column number ${i}`);
    const input = b(`${names.join(',')}\n${names.map(() => 'v').join(',')}\n`);
    const parts: Buffer[] = [];
    for (let at = 0; at < input.length; at += 1000) parts.push(input.subarray(at, at + 1000));
    const result = await inspect(parts);
    expect(result.header).toEqual(names);
    expect(result.records).toBe(1);
  });

  describe('refuses bodies that are not CSV', () => {
    const bad: Array<[string, Buffer, RegExp]> = [
      [
        'an HTML error page',
        b('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n'),
        /^the download is an HTML page, not CSV .*: "<!DOCTYPE html> <html><head><title>502 Bad Gateway<\/title>/,
      ],
      ['HTML after blank lines', b('\r\n\r\n   <html><body>Sign in</body></html>'), /HTML page/],
      [
        'an S3 XML error',
        b(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>30</X-Amz-Expires></Error>',
        ),
        /^the download is an XML document, not CSV .*: "<Error><Code>AccessDenied<\/Code><Message>Request has expired/,
      ],
      ['a gzip file', gzipSync(b('a,b\n1,2\n')), /gzip-compressed/],
      ['a zip file', Buffer.concat([b('PK\u0003\u0004'), Buffer.alloc(40)]), /zip archive/],
      ['UTF-16 LE with BOM', Buffer.from('\uFEFFa,b\n1,2\n', 'utf16le'), /UTF-16/],
      ['UTF-16 BE with BOM', Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00, 0x0a]), /UTF-16/],
      ['UTF-16 without BOM', Buffer.from('a,b\n1,2\n', 'utf16le'), /NUL byte at byte 2/],
      ['JSON', b('{"error":"not found"}'), /the download is JSON/],
      ['a Latin-1 header', Buffer.from('Café,b\n1,2\n', 'latin1'), /not valid UTF-8/],
      ['invalid UTF-8 bytes', Buffer.from([0x61, 0xc3, 0x28, 0x2c, 0x62, 0x0a]), /not valid UTF-8/],
      ['an unterminated quote in the header', b('a,"b\n1,2\n'), /unterminated quoted field in the header/],
      ['bare CR line ends', b('a,b\r1,2\r3,4\r'), /bare carriage return/],
      ['an empty first line', b('\n1,2\n'), /first line is empty/],
      ['a whitespace-only first line', b('  \n1,2\n'), /first line is empty/],
    ];

    it.each(bad)('%s, at every chunk boundary', async (_name, input, message) => {
      for (const parts of everySplit(input)) {
        const err = await rejection(splitHeader(chunks(parts)));
        expect(err.message).toMatch(message);
      }
    });

    it('keeps URL signatures out of the snippet', async () => {
      const page = b(
        '<html><a href="https://bucket.s3.amazonaws.com/f.csv?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA">',
      );
      const err = await rejection(splitHeader(chunks([page])));
      expect(err.message).not.toContain('deadbeef');
      expect(err.message).not.toContain('AKIA');
      expect(err.message).toContain('X-Amz-Signature=…');
    });

    it('keeps the snippet short and on one line', async () => {
      const err = await rejection(splitHeader(chunks([b(`<html>\r\n\u0007<p>${'x'.repeat(5000)}</html>`)])));
      expect(err.message).toContain('"<html> <p>xxx');
      for (const control of ['\r', '\n', '\u0007']) expect(err.message).not.toContain(control);
      expect(err.message.length).toBeLessThan(250);
    });

    it('refuses a first line longer than 1 MiB', async () => {
      const big = Buffer.alloc(1024 * 1024 + 10, 'a');
      const parts: Buffer[] = [];
      for (let at = 0; at < big.length; at += 65536) parts.push(big.subarray(at, at + 65536));
      const err = await rejection(splitHeader(chunks([...parts, b('\n1\n')])));
      expect(err.message).toMatch(/longer than 1 MiB/);
      // a quote left open swallows the rest of the file: same answer, without reading it all
      const open = await rejection(splitHeader(chunks([b('a,"b\n'), ...parts])));
      expect(open.message).toMatch(/longer than 1 MiB/);
    });

    it('refuses more columns than a table can hold, saying so', async () => {
      const header = (n: number): Buffer => b(`${Array.from({ length: n }, (_, i) => `c${i}`).join(',')}\n`);
      expect((await splitHeader(chunks([header(1600)]))).header).toHaveLength(1600);
      const err = await rejection(splitHeader(chunks([header(2000)])));
      expect(err.message).toMatch(
        /^the header has 2000 columns; a staging table holds at most 1600 \(Postgres allows 1600/,
      );
      const tight = await rejection(splitHeader(chunks([header(1596)]), { maxColumns: 1595 }));
      expect(tight.message).toMatch(/has 1596 columns; a staging table holds at most 1595/);
    });

    it('puts the caller context on its errors', async () => {
      const context = { tenant: 't1', entity: 'qm-workflows', window: '2024-01-01/2024-01-02', jobId: 'j1' };
      const err = await rejection(splitHeader(chunks([b('<html></html>')]), { context }));
      expect(err.context).toEqual(context);
      expect(err.message).toMatch(/^\[tenant=t1 entity=qm-workflows window=2024-01-01\/2024-01-02 job=j1\] /);
    });

    it('releases the source when it refuses the body', async () => {
      const source = Readable.from([b('<html>'), b('more'), b('and more')]);
      await rejection(splitHeader(source));
      expect(source.destroyed).toBe(true);
    });
  });

  it('releases the source when the body is abandoned unread', async () => {
    const source = Readable.from([b('a,b\n'), b('1,2\n'), b('3,4\n')], { objectMode: false });
    const split = await splitHeader(source);
    await split.body[Symbol.asyncIterator]().return?.();
    expect(source.destroyed).toBe(true);
  });
});
