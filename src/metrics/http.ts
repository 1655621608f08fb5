/**
 * The HTTP side: a node:http listener and its four read-only routes. Every route is GET; an
 * unknown path is 404 whatever the method, a known one with another method 405.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** A route's answer. */
export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Answers one GET; may be async (a scrape collects asynchronously). */
export type Route = () => Reply | Promise<Reply>;

const TEXT = 'text/plain; charset=utf-8';

/** A plain-text reply. */
export function text(status: number, body: string): Reply {
  return { status, contentType: TEXT, body: `${body}\n` };
}

/** Serves `routes` (path to handler); `onError` hears about a route that threw (answered 500). */
export function createHttpServer(
  routes: ReadonlyMap<string, Route>,
  onError: (err: unknown) => void,
): Server {
  return createServer((req, res) => {
    void respond(routes, req, res, onError);
  });
}

async function respond(
  routes: ReadonlyMap<string, Route>,
  req: IncomingMessage,
  res: ServerResponse,
  onError: (err: unknown) => void,
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = routes.get(path);
  let reply: Reply;
  if (route === undefined) {
    reply = text(404, `not found: ${path} (try /metrics, /healthz, /readyz, /stats)`);
  } else if (req.method !== 'GET') {
    res.setHeader('Allow', 'GET');
    reply = text(405, `method ${req.method} not allowed on ${path}; use GET`);
  } else {
    try {
      reply = await route();
    } catch (err) {
      onError(err);
      reply = text(500, 'internal error while collecting; see the server log');
    }
  }
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': Buffer.byteLength(reply.body),
    'Cache-Control': 'no-store',
  });
  res.end(reply.body);
}

/** Stops listening and closes every open HTTP connection (idle keep-alive ones too). */
export function closeHttp(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
