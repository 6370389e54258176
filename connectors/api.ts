// Pulls one resource of a sync API: every record updated since the cursor, a page of the
// configured size at a time. Pages advance by key, (update time, id) of the last item received,
// not by page number: a record edited during the pull moves to the end of what is left to read
// instead of shifting the pages under the reader, so none is skipped. Each page is checked
// against the resource's declared shape before it is handed on; one that does not match is an
// error naming the endpoint and the field.
import { z } from 'zod';
import type { ApiSettings } from '../config/schema.js';
import type { Logger } from '../core/log.js';
import type { ApiResource } from './contract.js';
import { ApiError, getJson, type HttpSettings } from './http.js';

export type ApiPage = {
  endpoint: string;
  /** The body as received, to land byte for byte. */
  text: string;
  items: Record<string, unknown>[];
  /** The latest update time among its items; undefined for an empty page. */
  latest: string | undefined;
};

const envelope = z.looseObject({
  page_size: z.number().int().min(1),
  total: z.number().int().min(0),
  items: z.array(z.unknown()),
});

export type PullOptions = {
  settings: ApiSettings;
  http: HttpSettings;
  resource: ApiResource;
  /** Inclusive; undefined pulls everything. */
  since?: string | undefined;
  /** Exclusive end of a backfill window (updated_until); undefined pulls up to now. */
  until?: string | undefined;
  log: Logger;
};

/** The URL of a resource, with its query. */
export function resourceUrl(settings: ApiSettings, resource: ApiResource, query: Record<string, string | undefined>): URL {
  const url = new URL(`${settings.base_url.replace(/\/$/, '')}/${resource.path}`);
  for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

export async function* pullPages(options: PullOptions): AsyncGenerator<ApiPage> {
  const { settings, resource } = options;
  let key: { since: string | undefined; afterId: string | undefined } = { since: options.since, afterId: undefined };
  for (let request = 1; ; request++) {
    if (request > settings.max_pages) {
      throw new ApiError(`${resource.path}: more than ${settings.max_pages} pages in one pull`, {
        action: 'the API’s paging does not seem to end: check it, or raise api.max_pages if the volume is real',
      });
    }
    const url = resourceUrl(settings, resource, {
      updated_since: key.since,
      after_id: key.afterId,
      updated_until: options.until,
      page_size: String(settings.page_size),
    });
    const endpoint = `GET ${url.pathname}${url.search}`;
    const { text, json } = await getJson(url, options.http, options.log);
    const { items, total } = checkShape(endpoint, json, resource);
    const last = items.at(-1);
    yield { endpoint, text, items, latest: last ? String(last[resource.cursorField]) : undefined };
    // Done when a page holds all that is left: an API that serves fewer items than asked goes on.
    // An API that ignores updated_until is stopped at the window's end all the same.
    if (!last || items.length >= total || (options.until !== undefined && String(last[resource.cursorField]) >= options.until)) return;
    const next = { since: String(last[resource.cursorField]), afterId: String(last[resource.idField]) };
    if (key.since !== undefined && (next.since < key.since || (next.since === key.since && key.afterId !== undefined && next.afterId <= key.afterId))) {
      throw new ApiError(`${endpoint}: the page does not move past the one before (last item ${next.since} ${next.afterId})`, {
        action: 'the API ignores updated_since and after_id, or does not sort by update time and id: check it, or its version in api.base_url',
      });
    }
    key = next;
  }
}

function checkShape(endpoint: string, json: unknown, resource: ApiResource): { total: number; items: Record<string, unknown>[] } {
  const page = envelope.safeParse(json);
  if (!page.success) throw shapeError(endpoint, page.error, []);
  page.data.items.forEach((item, index) => {
    const checked = resource.item.safeParse(item);
    if (!checked.success) throw shapeError(endpoint, checked.error, ['items', index]);
  });
  return { total: page.data.total, items: page.data.items as Record<string, unknown>[] };
}

function shapeError(endpoint: string, error: z.ZodError, prefix: (string | number)[]): ApiError {
  const issue = error.issues[0]!;
  const field = [...prefix, ...issue.path].join('.') || '(the whole body)';
  return new ApiError(`${endpoint}: the answer does not have the expected shape at ${field}: ${issue.message}`, {
    action: 'the API has changed or sent a broken page; the cursor has not moved, so the next run asks again; report it to the API’s operator if it lasts',
  });
}
