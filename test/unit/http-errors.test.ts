import { EtlError } from '../../src/lib/errors.js';
import {
  busyRetryAfterMs,
  classifyForRetry,
  errorFromAnswer,
  errorFromRequest,
  isBusy,
  isUnauthorized,
  mayHaveReachedServer,
  postMayHaveLanded,
  responseMessage,
  type HttpAnswer,
} from '../../src/cxone/http-errors.js';

const what = 'POST /data-extraction/v1/jobs';
const now = Date.UTC(2026, 0, 1);

function answer(statusCode: number, body = '', headers: HttpAnswer['headers'] = {}): HttpAnswer {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body };
}

function classify(a: HttpAnswer, scope: 'jobs' | 'auth' | 'discovery' = 'jobs'): EtlError | undefined {
  return errorFromAnswer(a, { scope, what, now, context: { tenant: 't1', entity: 'qm-workflows' } });
}

describe('errorFromAnswer', () => {
  it('passes 2xx through', () => {
    expect(classify(answer(200, '"id"'))).toBeUndefined();
    expect(classify(answer(202, '"id"'))).toBeUndefined();
  });

  it.each([403, 409, 429])('reads %i on a jobs endpoint as busy, retryable', (status) => {
    const error = classify(answer(status, '{"error":"Too many requests"}'));
    expect(error?.code).toBe('RATE_LIMITED');
    expect(error?.retryable).toBe(true);
    expect(isBusy(error)).toBe(true);
    expect(error?.message).toContain('Too many requests');
    expect(error?.message).toContain('[tenant=t1 entity=qm-workflows]');
  });

  it('says a 403 may also be a missing permission', () => {
    expect(classify(answer(403, '{"error":"x"}'))?.message).toMatch(/lacks permission/);
  });

  it('parses Retry-After as seconds or as an HTTP date, on the given clock', () => {
    expect(busyRetryAfterMs(classify(answer(429, '', { 'retry-after': '7' })))).toBe(7000);
    const date = new Date(now + 12_000).toUTCString();
    expect(busyRetryAfterMs(classify(answer(429, '', { 'retry-after': date })))).toBe(12_000);
    expect(busyRetryAfterMs(classify(answer(403)))).toBe(0);
    expect(classifyForRetry(classify(answer(429, '', { 'retry-after': '3' })))).toEqual({
      retry: true,
      afterMs: 3000,
    });
  });

  it('reads 403 outside the jobs endpoints as fatal', () => {
    const error = classify(answer(403, '{"error":"nope"}'), 'auth');
    expect(error?.code).toBe('AUTH');
    expect(error?.retryable).toBe(false);
  });

  it('makes 5xx retryable, also when the body is an HTML gateway page', () => {
    for (const status of [500, 502, 503, 504]) {
      const error = classify(
        answer(status, '<html><body>Bad gateway</body></html>', { 'content-type': 'text/html' }),
      );
      expect(error?.code).toBe('HTTP');
      expect(error?.retryable).toBe(true);
      expect(error?.message).toContain('(an HTML page)');
    }
  });

  it('marks 401 for the once-only re-authentication', () => {
    const error = classify(answer(401, '{"error":"Unauthorized: token expired"}'));
    expect(error?.code).toBe('AUTH');
    expect(isUnauthorized(error)).toBe(true);
    expect(classifyForRetry(error)).toEqual({ retry: false });
  });

  it('makes other 4xx fatal and quotes the 400 message', () => {
    const error = classify(answer(400, '{"error":"Invalid request: startDate is after endDate"}'));
    expect(error?.code).toBe('HTTP');
    expect(error?.retryable).toBe(false);
    expect(error?.message).toContain('startDate is after endDate');
    expect(classify(answer(404, '{"error":"Job \\"x\\" not found"}'))?.message).toContain('not found');
  });
});

describe('errorFromRequest', () => {
  function netError(code: string, name = 'RequestError', event?: string): Error {
    const error = new Error(`boom ${code}`) as Error & { code: string; event?: string };
    error.name = name;
    error.code = code;
    if (event) error.event = event;
    return error;
  }

  it.each(['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'EPIPE'])('retries %s', (code) => {
    const error = errorFromRequest(netError(code), { what });
    expect(error.code).toBe('NETWORK');
    expect(error.retryable).toBe(true);
  });

  it('retries got TimeoutError and ReadError by name', () => {
    const timeout = errorFromRequest(netError('ETIMEDOUT', 'TimeoutError', 'socket'), { what });
    expect(timeout.retryable).toBe(true);
    expect(timeout.message).toContain('timed out (socket)');
    expect(errorFromRequest(netError('ERR_X', 'ReadError'), { what }).retryable).toBe(true);
  });

  it('does not retry unknown failures', () => {
    expect(errorFromRequest(netError('ERR_INVALID_URL'), { what }).retryable).toBe(false);
  });

  it('reports an abort as ABORTED, never retryable', () => {
    const controller = new AbortController();
    controller.abort();
    const error = errorFromRequest(netError('ERR_ABORTED', 'AbortError'), {
      what,
      signal: controller.signal,
    });
    expect(error.code).toBe('ABORTED');
    expect(classifyForRetry(error)).toEqual({ retry: false });
  });

  it('names the URL without its query string', () => {
    const error = errorFromRequest(netError('ECONNRESET'), {
      what: 'GET',
      url: 'https://s3.example/x.csv?X-Amz-Signature=secret',
    });
    expect(error.message).toContain('https://s3.example/x.csv');
    expect(error.message).not.toContain('secret');
  });

  it('tells which failures may have reached the server', () => {
    expect(mayHaveReachedServer(errorFromRequest(netError('ECONNRESET'), { what }))).toBe(true);
    expect(
      mayHaveReachedServer(errorFromRequest(netError('ETIMEDOUT', 'TimeoutError', 'request'), { what })),
    ).toBe(true);
    expect(
      mayHaveReachedServer(errorFromRequest(netError('ETIMEDOUT', 'TimeoutError', 'connect'), { what })),
    ).toBe(false);
    expect(mayHaveReachedServer(errorFromRequest(netError('ECONNREFUSED'), { what }))).toBe(false);
  });
});

describe('responseMessage', () => {
  it('finds the message in the usual error shapes', () => {
    expect(responseMessage('{"error":"a"}')).toBe('a');
    expect(responseMessage('{"error":"invalid_grant","error_description":"b"}')).toBe('b');
    expect(responseMessage('{"message":"c"}')).toBe('c');
    expect(responseMessage('')).toBe('(empty body)');
    expect(responseMessage('x'.repeat(1000))).toHaveLength(300);
  });
});

describe('postMayHaveLanded', () => {
  const netError = (code: string): Error => Object.assign(new Error(`boom ${code}`), { code });
  const answer = (statusCode: number, body = '{}') =>
    errorFromAnswer({ statusCode, headers: {}, body }, { scope: 'jobs', what, now: 0 });

  it('reads 5xx, 408, a lost connection and a cut-off 2xx body as "may have landed"', () => {
    expect(postMayHaveLanded(answer(500))).toBe(true);
    expect(postMayHaveLanded(answer(504))).toBe(true);
    expect(postMayHaveLanded(answer(408))).toBe(true);
    expect(postMayHaveLanded(errorFromRequest(netError('ECONNRESET'), { what }))).toBe(true);
    expect(postMayHaveLanded(new EtlError('API_CONTRACT', 'malformed JSON'))).toBe(true);
  });

  it('reads busy answers, 400, 401 and a refused connection as "created nothing"', () => {
    expect(postMayHaveLanded(answer(403))).toBe(false);
    expect(postMayHaveLanded(answer(429))).toBe(false);
    expect(postMayHaveLanded(answer(400))).toBe(false);
    expect(postMayHaveLanded(answer(401))).toBe(false);
    expect(postMayHaveLanded(errorFromRequest(netError('ECONNREFUSED'), { what }))).toBe(false);
    expect(postMayHaveLanded(new Error('plain'))).toBe(false);
  });
});
