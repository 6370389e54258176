// The change feeds the portal simulator serves: the page files of each resource in a sample
// folder, read on first use and kept, with the windows asked of them, since a client pulling a
// window asks it again for every page.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type ResourceDefinition = { folder: string; idField: string; updatedField: string };

/** The resources of the sync API: the folder of their page files in a sample folder, and the item fields holding the record id and its update time. */
export const RESOURCES = {
  'motcua/dossiers': { folder: 'motcua/api/dossiers', idField: 'MaHoSo', updatedField: 'NgayCapNhat' },
  'dvc/payments': { folder: 'dvc/api/payments', idField: 'MaGiaoDich', updatedField: 'NgayCapNhat' },
  'dvc/ratings': { folder: 'dvc/api/ratings', idField: 'MaDanhGia', updatedField: 'NgayCapNhat' },
  'dvc/feedback': { folder: 'dvc/api/feedback', idField: 'MaPAKN', updatedField: 'NgayCapNhat' },
  'dvc/accounts': { folder: 'dvc/api/accounts', idField: 'MaTaiKhoan', updatedField: 'NgayCapNhat' },
} as const satisfies Record<string, ResourceDefinition>;

export type ResourcePath = keyof typeof RESOURCES;

export type Item = Record<string, unknown>;
export type Window = { since?: string; until?: string };

// Every distinct window a client asks for is kept; the bound only matters for a long `--serve`.
const MAX_CACHED_WINDOWS = 64;

/** The change feeds of a sample folder, each read on first use, and the windows asked of them. */
export class SampleFeeds {
  private readonly feeds = new Map<ResourcePath, Promise<Item[] | null>>();
  private readonly windows = new Map<string, Item[]>();

  constructor(private readonly sampleDir: string) {}

  /** The items of all the resource's pages in page order, or null when its folder is missing. */
  feed(resource: ResourcePath): Promise<Item[] | null> {
    let feed = this.feeds.get(resource);
    if (!feed) {
      feed = readFeed(join(this.sampleDir, RESOURCES[resource].folder));
      this.feeds.set(resource, feed);
    }
    return feed;
  }

  async append(resource: ResourcePath, items: Item[]): Promise<void> {
    const feed = await this.feed(resource);
    if (!feed) throw new Error(`${resource} is not in this sample`);
    feed.push(...items);
    for (const key of [...this.windows.keys()]) if (key.startsWith(`${resource}|`)) this.windows.delete(key);
  }

  /** Kept so that paging through a window does not sort the feed again for every page. */
  window(resource: ResourcePath, feed: Item[], window: Window): Item[] {
    const key = `${resource}|${window.since ?? ''}|${window.until ?? ''}`;
    let records = this.windows.get(key);
    if (!records) {
      records = latestInWindow(feed, RESOURCES[resource], window);
      if (this.windows.size >= MAX_CACHED_WINDOWS) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, records);
    }
    return records;
  }
}

async function readFeed(dir: string): Promise<Item[] | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pages = names.filter((n) => /^page-\d+\.json$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const items: Item[] = [];
  for (const name of pages) items.push(...(JSON.parse(await readFile(join(dir, name), 'utf8')) as { items: Item[] }).items);
  return items;
}

/**
 * The latest version of each record among those updated in [since, until), ordered by update
 * time then id. Ids and times compare by code unit, not locale, so the order is the same anywhere
 * and a client paging through a window never sees a record twice.
 */
function latestInWindow(feed: Item[], resource: ResourceDefinition, { since, until }: Window): Item[] {
  const at = (item: Item) => String(item[resource.updatedField]);
  const id = (item: Item) => String(item[resource.idField]);
  const latest = new Map<string, Item>();
  for (const item of feed) {
    if ((since !== undefined && at(item) < since) || (until !== undefined && at(item) >= until)) continue;
    const seen = latest.get(id(item));
    // The feed is oldest first; of two versions with the same time, the later one in the feed wins.
    if (!seen || at(item) >= at(seen)) latest.set(id(item), item);
  }
  return [...latest.values()].sort((a, b) => compare(at(a), at(b)) || compare(id(a), id(b)));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
