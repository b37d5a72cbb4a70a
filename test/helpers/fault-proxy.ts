import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the simulator's API endpoints, for faults the simulator does not make
 * itself: an answer held back in real time (against the client's timeout), a connection reset before
 * or after the server acted, a 401, a body with fields missing. The worker is pointed at it with
 * CXONE_API_BASE_URL; tokens and downloads go to the simulator directly.
 */
export type ProxyAction =
  | { kind: 'pass' }
  /** Forward at once, hold the answer back this long (real time): the server has acted. */
  | { kind: 'delay'; ms: number }
  /** Drop the connection without forwarding: the server never saw the request. */
  | { kind: 'reset' }
  /** Forward, then drop the connection instead of answering: the server acted, the client cannot know. */
  | { kind: 'reset-after' }
  | { kind: 'answer'; status: number; body: string; headers?: Record<string, string> }
  /** Forward and change the answer's body. */
  | { kind: 'rewrite'; body: (text: string, status: number) => string };

export interface ProxyRequest {
  method: string;
  path: string;
  /** 1-based count of requests seen so far, this one included. */
  n: number;
}

export type ProxyRule = (req: ProxyRequest) => ProxyAction | undefined;

export interface FaultProxy {
  url: string;
  /** Requests seen, with the action taken. */
  log: { method: string; path: string; action: ProxyAction['kind'] }[];
  setRule(rule: ProxyRule | undefined): void;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const log: FaultProxy['log'] = [];
  let rule: ProxyRule | undefined;
  const server = http.createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    const method = req.method ?? 'GET';
    const action = rule?.({ method, path: path.split('?')[0] ?? path, n: log.length + 1 }) ?? {
      kind: 'pass',
    };
    log.push({ method, path, action: action.kind });
    if (action.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action.kind === 'answer') {
      res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
      res.end(action.body);
      return;
    }
    const answer = await forward(target, method, path, req.headers, body);
    if (action.kind === 'reset-after') {
      req.socket.destroy();
      return;
    }
    if (action.kind === 'delay') await new Promise((r) => setTimeout(r, action.ms));
    const text = action.kind === 'rewrite' ? action.body(answer.body, answer.status) : answer.body;
    const headers = { ...answer.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    res.writeHead(answer.status, headers);
    res.end(text);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setRule(next) {
      rule = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function forward(
  target: string,
  method: string,
  path: string,
  headers: http.IncomingHttpHeaders,
  body: Buffer,
): Promise<{ status: number; headers: http.OutgoingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, target);
    const request = http.request(url, { method, headers: { ...headers, host: url.host } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 502,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}
