// Portal simulator: a real HTTP server that serves the API pages of a sample folder through the
// portals' sync API, with faults to inject, so that clients are tested against a real socket.
// The feeds it serves are in server-feeds.ts, the faults it injects in server-faults.ts.
import { existsSync } from 'node:fs';
import { createServer, STATUS_CODES, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultQueue, type Fault } from './server-faults.js';
import { RESOURCES, SampleFeeds, type Item, type ResourceDefinition, type ResourcePath, type Window } from './server-feeds.js';

export { RESOURCES, type Fault, type ResourcePath };

export const API_PREFIX = '/api/v1/';

export type RequestRecord = { method: string; path: string; query: Record<string, string>; status: number; fault?: Fault['kind'] };

export type PortalSimulator = {
  /** Base URL, without a trailing slash: `${url}/api/v1/motcua/dossiers`. */
  url: string;
  port: number;
  /** Requests answered, in the order they were answered. */
  requests: RequestRecord[];
  /** Requests received, including those still waiting on a slow fault or dropped by their client. */
  readonly requestCount: number;
  inject(fault: Fault): void;
  /** New versions of records, as if edited now: they come after everything served so far. */
  append(resource: ResourcePath, items: Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
};

export type PortalSimulatorOptions = {
  sampleDir: string;
  token: string;
  port?: number;
  host?: string;
  /** Serve at most this many items a page, whatever the client asks (and say so in page_size). */
  maxPageSize?: number;
};

export const MAINTENANCE_PAGE = '<html><body>Hệ thống đang bảo trì</body></html>';

const JSON_TYPE = 'application/json; charset=utf-8';
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 500;

type Query = Window & { afterId?: string; page: number; pageSize: number };
type Reply = { status: number; headers: OutgoingHttpHeaders; body: string };
type State = {
  token: string;
  feeds: SampleFeeds;
  faults: FaultQueue;
  closing: AbortSignal;
  maxPageSize: number;
  /** After a status fault with an enforced Retry-After: a request to the resource before this time is refused again. */
  retryNotBefore: Map<ResourcePath, number>;
};

export async function startPortalSimulator(options: PortalSimulatorOptions): Promise<PortalSimulator> {
  if (!options.token) throw new Error('the portal simulator needs a non-empty token');
  // Aborts the slow faults still waiting, so that close() does not wait for them.
  const closing = new AbortController();
  const state: State = {
    token: options.token,
    feeds: new SampleFeeds(options.sampleDir),
    faults: new FaultQueue(),
    closing: closing.signal,
    maxPageSize: options.maxPageSize ?? MAX_PAGE_SIZE,
    retryNotBefore: new Map(),
  };
  const requests: RequestRecord[] = [];
  let requestCount = 0;

  const server = createServer((req, res) => {
    requestCount++;
    const url = new URL(req.url ?? '/', 'http://simulator');
    const entry = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams) };
    const answer = (reply: Reply, fault?: Fault['kind']) => {
      // A client that gave up (its timeout fired) gets no answer, and none is logged.
      if (res.destroyed) return;
      requests.push({ ...entry, status: reply.status, ...(fault && { fault }) });
      (fault === 'truncate' ? sendTruncated : send)(res, reply);
    };
    handle(req, url, state, answer).catch((error: unknown) => {
      if (closing.signal.aborted || res.headersSent) res.destroy();
      else answer(errorReply(500, `simulator error: ${error instanceof Error ? error.message : String(error)}`));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    port,
    requests,
    get requestCount() {
      return requestCount;
    },
    inject: (fault) => state.faults.add(fault),
    append: (resource, items) => state.feeds.append(resource, items),
    close: () =>
      new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; close() alone would wait for them to hang up.
        server.closeAllConnections();
      }),
  };
}

/** Starts the simulator for `cchc sample --serve`, prints where it listens, and stops on SIGINT or SIGTERM. */
export async function serveUntilStopped(options: PortalSimulatorOptions & { log?: (line: string) => void }): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const portal = await startPortalSimulator(options);
  log(`Portal simulator serving ${options.sampleDir} at ${portal.url}`);
  for (const [path, resource] of Object.entries(RESOURCES)) {
    const served = existsSync(join(options.sampleDir, resource.folder));
    log(`  GET ${portal.url}${API_PREFIX}${path}${served ? '' : '   (not in this sample: 404)'}`);
  }
  log('Header "Authorization: Bearer <token>"; query updated_since, after_id, updated_until (yyyyMMddHHmmss), page, page_size. Ctrl-C stops.');
  await nextSignal(['SIGINT', 'SIGTERM']);
  await portal.close();
  log('Portal simulator stopped.');
}

function nextSignal(signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, stop);
      resolve(signal);
    };
    for (const s of signals) process.on(s, stop);
  });
}

/**
 * Answers one request: route, token, then the fault queued for it, then the page. Faults come
 * after the token check because they stand for a portal failing a client it has let in.
 */
async function handle(req: IncomingMessage, url: URL, state: State, answer: (reply: Reply, fault?: Fault['kind']) => void): Promise<void> {
  if (req.method !== 'GET') return answer(errorReply(405, 'only GET is supported', { allow: 'GET' }));
  const resource = resourceAt(url.pathname);
  if (!resource) return answer(errorReply(404, `no such endpoint: ${url.pathname}`));
  if (!hasToken(req, state.token)) return answer(errorReply(401, 'invalid or missing bearer token', { 'www-authenticate': 'Bearer' }));

  // A client that comes back before the Retry-After it was given (enforced) is refused again.
  const notBefore = state.retryNotBefore.get(resource);
  if (notBefore !== undefined && Date.now() < notBefore) {
    const seconds = Math.ceil((notBefore - Date.now()) / 1000);
    return answer(errorReply(429, 'Too Many Requests: retried before Retry-After', { 'retry-after': String(seconds) }), 'status');
  }
  state.retryNotBefore.delete(resource);

  const fault = state.faults.take(resource, Number(url.searchParams.get('page') ?? 1));
  switch (fault?.kind) {
    case 'status': {
      const retryAfter = fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
      if (fault.retryAfterSeconds !== undefined && fault.enforceRetryAfter) state.retryNotBefore.set(resource, Date.now() + fault.retryAfterSeconds * 1000);
      return answer(errorReply(fault.status, STATUS_CODES[fault.status] ?? 'error', retryAfter), 'status');
    }
    case 'edit':
      await state.feeds.append(resource, fault.items);
      break;
    case 'html':
      return answer({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: MAINTENANCE_PAGE }, 'html');
    case 'slow':
      await sleep(fault.delayMs, undefined, { signal: state.closing });
  }
  const params = new URLSearchParams(url.searchParams);
  if (fault?.kind === 'stuck') ['after_id', 'updated_since'].forEach((name) => params.delete(name));
  answer(await pageReply(state, resource, params, fault?.kind === 'malformed'), fault?.kind);
}

function resourceAt(pathname: string): ResourcePath | undefined {
  const path = pathname.startsWith(API_PREFIX) ? pathname.slice(API_PREFIX.length) : '';
  return Object.hasOwn(RESOURCES, path) ? (path as ResourcePath) : undefined;
}

function hasToken(req: IncomingMessage, token: string): boolean {
  // The scheme name is case-insensitive (RFC 9110), the token is not.
  return /^Bearer (.*)$/i.exec(req.headers.authorization ?? '')?.[1] === token;
}

async function pageReply(state: State, resource: ResourcePath, params: URLSearchParams, malformed: boolean): Promise<Reply> {
  const feed = await state.feeds.feed(resource);
  if (!feed) return errorReply(404, `${resource} is not in this sample`);
  let query: Query;
  try {
    query = parseQuery(params);
  } catch (error) {
    if (error instanceof BadRequest) return errorReply(400, error.message);
    throw error;
  }
  const records = afterKey(state.feeds.window(resource, feed, query), RESOURCES[resource], query);
  const pageSize = Math.min(query.pageSize, state.maxPageSize);
  const items = records.slice((query.page - 1) * pageSize, query.page * pageSize);
  if (malformed && items[0]) items[0] = withNumericId(items[0], RESOURCES[resource].idField);
  return jsonReply(200, { page: query.page, page_size: pageSize, total: records.length, items });
}

/** With after_id, the records past (updated_since, after_id): paging by key, which edits during a pull cannot shift. */
function afterKey(records: Item[], resource: ResourceDefinition, { since, afterId }: Query): Item[] {
  if (afterId === undefined) return records;
  const start = records.findIndex((item) => {
    const at = String(item[resource.updatedField]);
    return at > since! || (at === since && String(item[resource.idField]) > afterId);
  });
  return start < 0 ? [] : records.slice(start);
}

/** The item with its id as a number, as a careless serializer would send it: valid JSON, wrong shape. */
function withNumericId(item: Item, idField: string): Item {
  return { ...item, [idField]: Number(String(item[idField]).replace(/\D/g, '').slice(0, 15)) };
}

class BadRequest extends Error {}

function parseQuery(params: URLSearchParams): Query {
  const afterId = params.get('after_id') ?? undefined;
  if (afterId !== undefined && !params.has('updated_since')) throw new BadRequest('after_id needs updated_since: the key is the pair');
  return {
    ...(afterId === undefined ? {} : { afterId }),
    since: stampParam(params, 'updated_since'),
    until: stampParam(params, 'updated_until'),
    page: wholeParam(params, 'page', 1, 1),
    pageSize: wholeParam(params, 'page_size', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
  };
}

function stampParam(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  if (value !== null && !/^\d{14}$/.test(value)) throw new BadRequest(`${name} must be 14 digits, yyyyMMddHHmmss: ${value}`);
  return value ?? undefined;
}

function wholeParam(params: URLSearchParams, name: string, fallback: number, min: number, max = Infinity): number {
  const value = params.get(name);
  if (value === null) return fallback;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (n >= min && n <= max) return n;
  throw new BadRequest(`${name} must be a whole number ${max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`}: ${value}`);
}

function jsonReply(status: number, value: unknown, headers: OutgoingHttpHeaders = {}): Reply {
  return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(value) };
}

function errorReply(status: number, error: string, headers: OutgoingHttpHeaders = {}): Reply {
  return jsonReply(status, { error }, headers);
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

/** The full headers, Content-Length included, then half the body, then the connection drops. */
function sendTruncated(res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body);
  res.writeHead(reply.status, { ...reply.headers, 'content-length': body.length });
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
}
