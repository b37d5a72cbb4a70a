import http from 'node:http';
import type { AddressInfo } from 'node:net';
import got from 'got';

it('got (ESM-only) runs under jest against a local server', async () => {
  const server = http.createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const body = await got(`http://127.0.0.1:${port}/`).json<{ ok: boolean }>();
    expect(body.ok).toBe(true);
  } finally {
    server.close();
  }
});
