/**
 * What stands in front of every `/data-extraction/` endpoint, in the order a real gateway would apply
 * it: bearer token (401), the per-tenant rate gate (the busy answer), then injected slowness and 5xx,
 * then the handler. The accepted call holds the tenant's gate until its response is closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findTenant, scaledMs, type SimContext } from './context.js';
import type { Injected5xx } from './faults.js';
import type { SimulatorTenant } from './options.js';
import { bearerToken, sendJsonError, sendText } from './respond.js';
import type { EndpointKey, ViolationKind } from './stats.js';

export interface ApiCall {
  tenant: SimulatorTenant;
  endpoint: EndpointKey;
  /** Aborted when the client goes away or the simulator stops. */
  signal: AbortSignal;
}

export type ApiHandler = (
  ctx: SimContext,
  call: ApiCall,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

const BUSY_MESSAGES: Record<ViolationKind, string> = {
  'in-flight':
    'Too many requests: another request for this tenant is in progress. Only one caller per tenant is allowed.',
  interval: 'Too many requests: leave at least 30 seconds between requests for this tenant.',
  'job-running': 'Too many requests: a data extraction job is already running for this tenant.',
};

export async function handleApiCall(
  ctx: SimContext,
  endpoint: EndpointKey,
  handler: ApiHandler,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const tenant = authenticate(ctx, req, res, endpoint);
  if (!tenant) return;
  ctx.stats.call(endpoint, tenant.id);
  if (!passGate(ctx, res, tenant.id, endpoint)) return;

  const controller = new AbortController();
  const abort = (): void => controller.abort(new Error('request closed'));
  res.once('close', abort);
  ctx.shutdown.addEventListener('abort', abort, { once: true });
  try {
    const { faults } = ctx.options;
    if (faults.slowMs !== undefined && faults.slowMs > 0) {
      ctx.stats.fault('slow');
      await ctx.clock.sleep(faults.slowMs, controller.signal);
    }
    const injected = ctx.faults.http5xx(faults);
    if (injected) {
      send5xx(ctx, res, injected);
      return;
    }
    await handler(ctx, { tenant, endpoint, signal: controller.signal }, req, res);
  } catch (error) {
    // A wait cut short by the client leaving or by stop(): nobody is listening for an answer.
    if (controller.signal.aborted) {
      res.destroy();
      return;
    }
    throw error;
  } finally {
    ctx.shutdown.removeEventListener('abort', abort);
  }
}

/** The rate rule; an accepted call holds the tenant until its response closes. False: answered busy. */
function passGate(ctx: SimContext, res: ServerResponse, tenant: string, endpoint: EndpointKey): boolean {
  const { options } = ctx;
  const creates = endpoint === 'POST /jobs' || endpoint === 'POST /jobs/sync';
  if (options.rateLimitScope === 'create-only' && !creates) return true;
  const decision = ctx.gate.enter(tenant, ctx.clock.now(), {
    minCallIntervalMs: Math.max(0, scaledMs(ctx, options.minCallIntervalMs) - options.intervalToleranceMs),
    singleCallInFlight: options.singleCallInFlight,
    violationCountsAsCall: options.violationCountsAsCall,
  });
  if (!decision.ok) {
    refuseAsBusy(ctx, res, tenant, endpoint, decision.kind, decision.retryAfterMs, decision.sinceLastCallMs);
    return false;
  }
  res.once('close', decision.release);
  return true;
}

/** JSON by default; an HTML page as a load balancer in front of the API would send. */
function send5xx(ctx: SimContext, res: ServerResponse, injected: Injected5xx): void {
  ctx.stats.fault(`http${injected.status}`);
  if (injected.html) {
    const title = `${injected.status} Service Unavailable`;
    sendText(res, injected.status, 'text/html; charset=utf-8', `<html><body><h1>${title}</h1></body></html>`);
    return;
  }
  sendJsonError(res, injected.status, 'The service is temporarily unavailable. Please try again later.');
}

/**
 * The busy answer: the configured violation status (default 403, the one the public client handles)
 * with a JSON message; 429 adds Retry-After in whole seconds, rounded up, in scaled time.
 */
export function refuseAsBusy(
  ctx: SimContext,
  res: ServerResponse,
  tenant: string,
  endpoint: EndpointKey,
  kind: ViolationKind,
  retryAfterMs: number,
  sinceLastCallMs?: number,
): void {
  const status = ctx.options.violationResponse;
  ctx.stats.violation({
    tenant,
    kind,
    endpoint,
    at: ctx.clock.now(),
    status,
    ...(sinceLastCallMs === undefined ? {} : { sinceLastCallMs }),
  });
  const headers: Record<string, string> =
    status === 429 ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {};
  sendJsonError(res, status, BUSY_MESSAGES[kind], headers);
}

function authenticate(
  ctx: SimContext,
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: EndpointKey,
): SimulatorTenant | undefined {
  const token = bearerToken(req);
  const verdict =
    token === undefined ? { ok: false as const, reason: 'missing bearer token' } : ctx.tokens.verify(token);
  const tenant = verdict.ok ? findTenant(ctx, verdict.claims.tenantId) : undefined;
  if (tenant) return tenant;
  ctx.stats.call(endpoint);
  const reason = verdict.ok ? 'unknown tenant' : verdict.reason;
  sendJsonError(res, 401, `Unauthorized: ${reason}`, {
    'www-authenticate': `Bearer error="invalid_token", error_description="${reason}"`,
  });
  return undefined;
}
