// The portal simulator over a real loopback socket: paging, windows, errors, and each fault as a client sees it.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sampleLayout } from '../../sample/index.js';
import { MAINTENANCE_PAGE, RESOURCES, serveUntilStopped, startPortalSimulator, type PortalSimulator, type ResourcePath } from '../../sample/server.js';
import { tempDir } from '../helpers.js';

const TOKEN = 'sample-token';

type Item = Record<string, unknown>;
type Page = { page: number; page_size: number; total: number; items: Item[] };

function get(portal: PortalSimulator, resource: string, query: Record<string, string | number> = {}, init: RequestInit = {}): Promise<Response> {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return fetch(`${portal.url}/api/v1/${resource}?${params}`, { headers: { authorization: `Bearer ${TOKEN}` }, ...init });
}

async function getPage(portal: PortalSimulator, resource: ResourcePath, query: Record<string, string | number> = {}): Promise<Page> {
  const res = await get(portal, resource, query);
  expect(res.status).toBe(200);
  return (await res.json()) as Page;
}

/** Every record of a window, page after page until the total is reached. */
async function allPages(portal: PortalSimulator, resource: ResourcePath, query: Record<string, string | number> = {}): Promise<Item[]> {
  const items: Item[] = [];
  for (let page = 1; ; page++) {
    const body = await getPage(portal, resource, { ...query, page, page_size: 1000 });
    items.push(...body.items);
    if (body.items.length === 0 || items.length >= body.total) return items;
  }
}

/** The change feed as the page files hold it, read without the simulator. */
function feedOnDisk(dir: string): Item[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => (JSON.parse(readFileSync(join(dir, name), 'utf8')) as Page).items);
}

/** What a window should hold, computed the plain way: the latest version of each dossier updated in [since, until). */
function expectedWindow(feed: Item[], since: string, until: string): Map<string, Item> {
  const latest = new Map<string, Item>();
  for (const item of feed) {
    const at = item.NgayCapNhat as string;
    if (at >= since && at < until) latest.set(item.MaHoSo as string, item);
  }
  return latest;
}

describe('the portal simulator', () => {
  const sampleDir = inject('sampleDir');
  let portal: PortalSimulator;
  let feed: Item[];
  beforeAll(async () => {
    portal = await startPortalSimulator({ sampleDir, token: TOKEN });
    feed = feedOnDisk(sampleLayout(sampleDir).motcuaApi);
  });
  afterAll(() => portal.close());

  it('reads the dossier pages from where the sample generator writes them', () => {
    expect(join(sampleDir, RESOURCES['motcua/dossiers'].folder)).toBe(sampleLayout(sampleDir).motcuaApi);
  });

  it('serves every dossier exactly once across the pages, in its latest version, by update time then id', async () => {
    const items = await allPages(portal, 'motcua/dossiers');
    const first = await getPage(portal, 'motcua/dossiers');
    expect(first).toMatchObject({ page: 1, page_size: 500, total: items.length });
    expect(first.items).toHaveLength(500);

    const ids = items.map((i) => i.MaHoSo as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(feed.map((i) => i.MaHoSo)));
    const latest = expectedWindow(feed, '00000000000000', '99999999999999');
    expect(items.every((i) => i.NgayCapNhat === latest.get(i.MaHoSo as string)!.NgayCapNhat)).toBe(true);
    const keys = items.map((i) => `${i.NgayCapNhat}|${i.MaHoSo}`);
    expect(keys).toEqual([...keys].sort());
  });

  it('keeps, between updated_since and updated_until, the latest version of each dossier within the window', async () => {
    const [since, until] = ['20230601000000', '20230701000000'];
    const items = await allPages(portal, 'motcua/dossiers', { updated_since: since, updated_until: until });
    const versions = (list: Item[]) => list.map((i) => `${i.MaHoSo}@${i.NgayCapNhat}`).sort();
    expect(versions(items)).toEqual(versions([...expectedWindow(feed, since, until).values()]));
    // Meaningful only if some dossiers changed again after the window: those must come in their older version.
    const lastUpdate = new Map(feed.map((i) => [i.MaHoSo, i.NgayCapNhat as string]));
    expect(items.filter((i) => lastUpdate.get(i.MaHoSo)! >= until).length).toBeGreaterThan(0);
  });

  it('includes updated_since and excludes updated_until', async () => {
    const times = [...new Set(feed.map((i) => i.NgayCapNhat as string))];
    const [since, until] = [times[100]!, times[101]!];
    const items = await allPages(portal, 'motcua/dossiers', { updated_since: since, updated_until: until });
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.NgayCapNhat === since)).toBe(true);
  });

  it('gives the same page for the same query, and an empty page with the total past the end', async () => {
    const query = { updated_since: '20240101000000', page: 3, page_size: 50 };
    expect(await getPage(portal, 'motcua/dossiers', query)).toEqual(await getPage(portal, 'motcua/dossiers', query));
    const past = await getPage(portal, 'motcua/dossiers', { ...query, page: 10_000 });
    expect(past.items).toEqual([]);
    expect(past.total).toBeGreaterThan(0);
  });

  it('answers 401 when the bearer token is missing or wrong', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token' }, { authorization: TOKEN }];
    for (const headers of attempts) {
      const res = await get(portal, 'motcua/dossiers', {}, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid or missing bearer token' });
    }
  });

  it.each([
    ['updated_since', '2024-01-01'],
    ['updated_since', '2024010100000'],
    ['updated_until', ''],
    ['page', '0'],
    ['page', 'abc'],
    ['page_size', '0'],
    ['page_size', '1001'],
    ['page_size', '1.5'],
  ])('answers 400 naming the parameter when %s is "%s"', async (name, value) => {
    const res = await get(portal, 'motcua/dossiers', { [name]: value });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as { error: string }).error).toContain(name);
  });

  it('answers 404 in JSON for an unknown path', async () => {
    const res = await get(portal, 'motcua/unknown');
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('error');
    expect((await fetch(`${portal.url}/`)).status).toBe(404);
  });

  it('answers 405 to anything but GET', async () => {
    const res = await get(portal, 'motcua/dossiers', {}, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });

  it('answers 429 with its Retry-After as many times as asked, then serves normally again', async () => {
    const logged = portal.requests.length;
    portal.inject({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await get(portal, 'motcua/dossiers');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect(await res.json()).toEqual({ error: 'Too Many Requests' });
    }
    expect((await get(portal, 'motcua/dossiers')).status).toBe(200);
    expect(portal.requests.slice(logged).map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [429, 'status'],
      [200, undefined],
    ]);
    expect(portal.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v1/motcua/dossiers', query: {} });
  });

  it('answers 500 only to the page a status fault is aimed at', async () => {
    portal.inject({ kind: 'status', status: 500, resource: 'motcua/dossiers', page: 2 });
    expect((await get(portal, 'motcua/dossiers', { page: 1 })).status).toBe(200);
    const failed = await get(portal, 'motcua/dossiers', { page: 2 });
    expect(failed.status).toBe(500);
    expect(failed.headers.get('retry-after')).toBeNull();
    expect((await get(portal, 'motcua/dossiers', { page: 2 })).status).toBe(200);
  });

  it('delays a slow answer long enough for a client timeout to fire, and answers normally when waited for', async () => {
    portal.inject({ kind: 'slow', delayMs: 250, times: 2 });
    const count = portal.requestCount;
    await expect(get(portal, 'motcua/dossiers', {}, { signal: AbortSignal.timeout(50) })).rejects.toThrow(/aborted due to timeout/);
    // Held back: a request made after it, with no fault, is answered first.
    const slow = get(portal, 'motcua/dossiers', { page_size: 5 });
    await expect.poll(() => portal.requestCount).toBe(count + 2);
    expect((await get(portal, 'motcua/dossiers', { page_size: 3 })).status).toBe(200);
    const res = await slow;
    expect(((await res.json()) as Page).items).toHaveLength(5);
    expect(portal.requests.slice(-2).map((r) => [r.query.page_size, r.fault])).toEqual([
      ['3', undefined],
      ['5', 'slow'],
    ]);
    expect(portal.requestCount).toBe(count + 3);
  });

  it('cuts a truncated answer off halfway through the body, which then is not valid JSON', async () => {
    portal.inject({ kind: 'truncate' });
    const res = await get(portal, 'motcua/dossiers', { page_size: 20 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const announced = Number(res.headers.get('content-length'));
    const received: Buffer[] = [];
    const reader = res.body!.getReader();
    await expect(
      (async () => {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received.push(Buffer.from(chunk.value));
      })(),
    ).rejects.toThrow('terminated');
    const body = Buffer.concat(received);
    expect(body.length).toBe(Math.floor(announced / 2));
    expect(() => JSON.parse(body.toString('utf8'))).toThrow(SyntaxError);
  });

  it('answers a maintenance page in HTML with status 200', async () => {
    portal.inject({ kind: 'html' });
    const res = await get(portal, 'motcua/dossiers');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toBe(MAINTENANCE_PAGE);
  });

  it('serves a page whose first item has a number for its id when malformed, and a sound page after', async () => {
    portal.inject({ kind: 'malformed' });
    const bad = await getPage(portal, 'motcua/dossiers', { page_size: 3 });
    expect(typeof bad.items[0]!.MaHoSo).toBe('number');
    expect(typeof bad.items[1]!.MaHoSo).toBe('string');
    const good = await getPage(portal, 'motcua/dossiers', { page_size: 3 });
    expect(good.items.every((i) => typeof i.MaHoSo === 'string')).toBe(true);
    expect({ ...bad.items[0], MaHoSo: good.items[0]!.MaHoSo }).toEqual(good.items[0]);
  });

  it('serves the first page again, whatever updated_since and after_id ask, when stuck', async () => {
    const first = await getPage(portal, 'motcua/dossiers', { page_size: 3 });
    const last = first.items.at(-1)!;
    const after = { page_size: 3, updated_since: String(last.NgayCapNhat), after_id: String(last.MaHoSo) };
    portal.inject({ kind: 'stuck' });
    expect((await getPage(portal, 'motcua/dossiers', after)).items).toEqual(first.items);
    expect((await getPage(portal, 'motcua/dossiers', after)).items[0]).not.toEqual(first.items[0]);
  });

  it('refuses a fault that would apply zero times', () => {
    expect(() => portal.inject({ kind: 'html', times: 0 })).toThrow(RangeError);
  });
});

describe('the portal simulator on the public-service portal pages', () => {
  const DVC: ResourcePath[] = ['dvc/payments', 'dvc/ratings', 'dvc/feedback', 'dvc/accounts'];
  let portal: PortalSimulator;

  /** Two page files: A is updated twice, and its second version shares its time with C, listed before it. */
  function writePages(sampleDir: string, resource: ResourcePath): void {
    const { folder, idField } = RESOURCES[resource];
    const pages = [
      [
        { [idField]: 'A', TrangThai: 1, NgayCapNhat: '20240301080000' },
        { [idField]: 'B', TrangThai: 1, NgayCapNhat: '20240302080000' },
      ],
      [
        { [idField]: 'C', TrangThai: 1, NgayCapNhat: '20240303080000' },
        { [idField]: 'A', TrangThai: 2, NgayCapNhat: '20240303080000' },
      ],
    ];
    mkdirSync(join(sampleDir, folder), { recursive: true });
    pages.forEach((items, i) => {
      writeFileSync(join(sampleDir, folder, `page-0000${i + 1}.json`), JSON.stringify({ page: i + 1, page_size: 2, total: 4, items }));
    });
  }

  beforeAll(async () => {
    const sampleDir = tempDir();
    for (const resource of DVC) writePages(sampleDir, resource);
    portal = await startPortalSimulator({ sampleDir, token: TOKEN });
  });
  afterAll(() => portal.close());

  it.each(DVC)('serves %s by its own id field, latest version per record, ties in id order', async (resource) => {
    const { idField } = RESOURCES[resource];
    const all = await getPage(portal, resource);
    expect(all.total).toBe(3);
    expect(all.items.map((i) => [i[idField], i.TrangThai])).toEqual([
      ['B', 1],
      ['A', 2],
      ['C', 1],
    ]);
    const window = await getPage(portal, resource, { updated_since: '20240301080000', updated_until: '20240303080000' });
    expect(window.items.map((i) => [i[idField], i.TrangThai])).toEqual([
      ['A', 1],
      ['B', 1],
    ]);
  });

  it('answers 404 for the dossiers when the sample holds only the portal pages', async () => {
    expect((await get(portal, 'motcua/dossiers')).status).toBe(404);
  });
});

describe('serveUntilStopped', () => {
  it('lists the endpoints, serves until SIGTERM, then closes', async () => {
    const lines: string[] = [];
    // A sample holding only the dossier pages: the portal's endpoints are listed as missing.
    const sampleDir = tempDir();
    mkdirSync(join(sampleDir, 'motcua', 'api'), { recursive: true });
    symlinkSync(sampleLayout(inject('sampleDir')).motcuaApi, join(sampleDir, 'motcua', 'api', 'dossiers'));
    const stopped = serveUntilStopped({ sampleDir, token: TOKEN, log: (line) => lines.push(line) });
    await expect.poll(() => lines.length).toBeGreaterThan(1);
    const url = /at (http:\S+)/.exec(lines[0]!)![1]!;
    expect(lines.join('\n')).toContain(`GET ${url}/api/v1/motcua/dossiers\n`);
    expect(lines.join('\n')).toMatch(/dvc\/payments .*404/);
    // A request the token check answers, so the test does not wait for the dossier pages to load.
    expect((await fetch(`${url}/api/v1/motcua/dossiers`)).status).toBe(401);

    process.emit('SIGTERM');
    await stopped;
    await expect(fetch(url)).rejects.toThrow();
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
