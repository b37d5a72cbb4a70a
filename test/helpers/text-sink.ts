import { Writable } from 'node:stream';

/** A Writable that keeps what a command wrote, for asserting on its output. */
export function textSink(): { out: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    out: new Writable({
      write(chunk: Buffer, _e, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}
