// Pulls one resource of a sync API page by page: every record updated since the cursor, in
// pages of the configured size, each page checked against the resource's declared shape before
// it is handed on. A page that does not match is an error naming the endpoint and the field.
import { z } from 'zod';
import type { ApiSettings } from '../config/schema.js';
import type { Logger } from '../pipelines/log.js';
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
  page: z.number().int().min(1),
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
  /** Exclusive; for backfills of a range. */
  until?: string | undefined;
  log: Logger;
};

export async function* pullPages(options: PullOptions): AsyncGenerator<ApiPage> {
  const { settings, resource } = options;
  let previousFirstId: string | undefined;
  for (let page = 1; ; page++) {
    if (page > settings.max_pages) {
      throw new ApiError(`${resource.path}: more than ${settings.max_pages} pages in one pull`, {
        action: 'the API’s paging does not seem to end: check it, or raise api.max_pages if the volume is real',
      });
    }
    const url = new URL(`${settings.base_url.replace(/\/$/, '')}/${resource.path}`);
    if (options.since) url.searchParams.set('updated_since', options.since);
    if (options.until) url.searchParams.set('updated_until', options.until);
    url.searchParams.set('page', String(page));
    url.searchParams.set('page_size', String(settings.page_size));
    const endpoint = `GET ${url.pathname}${url.search}`;

    const { text, json } = await getJson(url, options.http, options.log);
    const body = checkShape(endpoint, json, resource);
    const firstId = body.items.length > 0 ? JSON.stringify(body.items[0]) : undefined;
    if (firstId !== undefined && firstId === previousFirstId) {
      throw new ApiError(`${endpoint}: the API answered the same page as for page ${page - 1}`, {
        action: 'its paging ignores the page parameter: check the API, or its version in api.base_url',
      });
    }
    previousFirstId = firstId;
    const times = body.items.map((item) => item[resource.cursorField] as string);
    yield { endpoint, text, items: body.items, latest: times.length > 0 ? times.reduce((a, b) => (a > b ? a : b)) : undefined };
    if (body.items.length < settings.page_size || page * settings.page_size >= body.total) return;
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
    action: 'the API has changed or sent a broken page; nothing of this pull was recorded as done, so the next run asks again — report it to the API’s operator if it lasts',
  });
}
