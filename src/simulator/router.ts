/**
 * Method + path dispatch. Unknown paths answer 404 and known paths with the wrong method 405, both as
 * JSON like every other error; a handler's HttpError becomes its status and message.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleApiCall, type ApiHandler } from './api-gateway.js';
import {
  accessKeyToken,
  cxoneConfiguration,
  oidcToken,
  openidConfiguration,
  TOKEN_PATH,
} from './auth-routes.js';
import type { SimContext } from './context.js';
import { DOWNLOAD_PATH, serveDownload } from './download.js';
import { createJob, createJobSync, getJob, listJobs } from './jobs-routes.js';
import { HttpError, sendJson, sendJsonError } from './respond.js';
import type { EndpointKey, SimulatorStats } from './stats.js';

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handle: Handler;
}

export interface AdminHooks {
  stats(): SimulatorStats;
  reset(): void;
}

export function createRouter(ctx: SimContext, admin: AdminHooks) {
  const routes = buildRoutes(admin);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const path = new URL(req.url ?? '/', ctx.url).pathname;
      const candidates = routes.filter((r) => r.path.test(path));
      const route = candidates.find((r) => r.method === req.method);
      if (route) {
        await route.handle(ctx, req, res);
      } else if (candidates.length > 0) {
        const allow = [...new Set(candidates.map((r) => r.method))].join(', ');
        sendJsonError(res, 405, `Method ${req.method ?? ''} not allowed on ${path}`, { allow });
      } else {
        sendJsonError(res, 404, `No route for ${req.method ?? ''} ${path}`);
      }
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof HttpError) {
        sendJsonError(res, error.status, error.message, error.headers);
      } else {
        sendJsonError(res, 500, `Simulator error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };
}

function buildRoutes(admin: AdminHooks): Route[] {
  const api =
    (endpoint: EndpointKey, handler: ApiHandler): Handler =>
    (ctx, req, res) =>
      handleApiCall(ctx, endpoint, handler, req, res);
  const tokenPath = new RegExp(`^${TOKEN_PATH.replace(/\//g, '\\/')}$`);
  return [
    { method: 'POST', path: /^\/authentication\/v1\/token\/access-key$/, handle: accessKeyToken },
    { method: 'POST', path: tokenPath, handle: oidcToken },
    { method: 'GET', path: /^\/\.well-known\/openid-configuration$/, handle: openidConfiguration },
    { method: 'GET', path: /^\/\.well-known\/cxone-configuration$/, handle: cxoneConfiguration },
    {
      // Before the `:id` route so "sync" is never read as a job id; absent (404) unless switched on.
      method: 'POST',
      path: /^\/data-extraction\/v1\/jobs\/sync$/,
      handle: (ctx, req, res) =>
        ctx.options.syncEndpoint
          ? handleApiCall(ctx, 'POST /jobs/sync', createJobSync, req, res)
          : sendJsonError(res, 404, 'No route for POST /data-extraction/v1/jobs/sync'),
    },
    { method: 'POST', path: /^\/data-extraction\/v1\/jobs\/?$/, handle: api('POST /jobs', createJob) },
    { method: 'GET', path: /^\/data-extraction\/v1\/jobs\/?$/, handle: api('GET /jobs', listJobs) },
    { method: 'GET', path: /^\/data-extraction\/v1\/jobs\/[^/]+$/, handle: api('GET /jobs/:id', getJob) },
    { method: 'GET', path: DOWNLOAD_PATH, handle: serveDownload },
    {
      method: 'GET',
      path: /^\/__sim\/stats$/,
      handle: (_ctx, _req, res) => sendJson(res, 200, admin.stats()),
    },
    {
      method: 'POST',
      path: /^\/__sim\/reset$/,
      handle: (_ctx, _req, res) => {
        admin.reset();
        sendJson(res, 200, { reset: true });
      },
    },
  ];
}
