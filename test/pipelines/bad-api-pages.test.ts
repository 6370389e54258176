// The bad-input corpus of the sync APIs: pages of the one-stop-shop system and the portal that
// are broken or hostile, served by the portal simulator on a loopback socket. A pull ends with
// every page landed and loaded (a bad value quarantined, naming the page, the item and the
// field), or stopped with a message naming the endpoint and what to do, the cursor left where it
// was so that the next run asks again; never a crash, and every page loaded accounts for its items.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../config/load.js';
import type { RunError } from '../../pipelines/ops/ledger.js';
import { runJob } from '../../pipelines/run.js';
import { RESOURCES, startPortalSimulator, type PortalSimulator } from '../../sample/server.js';
import { capturedLog, FIXTURES, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { expectEveryLoadAccountedFor, fileOutcomes } from '../load-accounting.js';

const TOKEN = 'portal-token';
const PAGE_SIZE = 25;
const DOSSIERS = 40;
const PORTAL_ITEMS = 30;
/** The portal's resources, and the column of raw that holds their records' ids. */
const DVC_RESOURCES = [['payments', 'transaction_id'], ['ratings', 'rating_id'], ['feedback', 'feedback_id'], ['accounts', 'account_id']] as const;

/**
 * The first records of each change feed of the generated sample, one version of each: two pages
 * of each at PAGE_SIZE, their items the records themselves.
 */
function smallApiSample(): { dir: string; served: Record<string, number> } {
  const dir = tempDir();
  const served: Record<string, number> = {};
  for (const [path, { folder, idField }] of Object.entries(RESOURCES)) {
    const from = join(inject('sampleDir'), folder, 'page-00001.json');
    const records = new Map<unknown, unknown>();
    for (const item of (JSON.parse(readFileSync(from, 'utf8')) as { items: Record<string, unknown>[] }).items) records.set(item[idField], records.get(item[idField]) ?? item);
    const items = [...records.values()].slice(0, path === 'motcua/dossiers' ? DOSSIERS : PORTAL_ITEMS);
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, folder, 'page-00001.json'), JSON.stringify({ page: 1, page_size: items.length, total: items.length, items }));
    served[path.split('/')[1]!] = items.length;
  }
  return { dir, served };
}

const itemsOf = (fixture: string) => JSON.parse(readFileSync(join(FIXTURES, 'bad', fixture), 'utf8')) as Record<string, unknown>[];

describe('sync API pages (motcua and dvc in api mode)', () => {
  let sampleDir: string;
  /** Records in the sample of each resource, by its name (dossiers, payments…). */
  let served: Record<string, number>;
  // A simulator of its own for each test: the items a test appends stay in its feeds.
  let portal: PortalSimulator;
  beforeAll(() => {
    ({ dir: sampleDir, served } = smallApiSample());
  });
  afterEach(() => portal.close());

  async function startPortal(): Promise<PortalSimulator> {
    portal = await startPortalSimulator({ sampleDir, token: TOKEN });
    return portal;
  }

  function apiConfig(source: 'motcua' | 'dvc') {
    const prefix = `CCHC__SOURCES__${source.toUpperCase()}`;
    return sampleConfig(join(tempDir(), 'data'), {}, {
      [`${prefix}__ENABLED`]: 'true',
      [`${prefix}__MODE`]: 'api',
      // Where the files of the tables not pulled would come from: empty here, and never the
      // sample's folders, which a fresh checkout does not have.
      [`${prefix}__INBOX`]: tempDir(),
      [`${prefix}__API__BASE_URL`]: `${portal.url}/api/v1`,
      [`${prefix}__API__TOKEN_ENV`]: `${source.toUpperCase()}_TOKEN`,
      [`${prefix}__API__PAGE_SIZE`]: String(PAGE_SIZE),
      [`${prefix}__API__BACKOFF_MS`]: '10',
      [`${prefix}__API__RETRIES`]: '2',
      [`${prefix}__API__TIMEOUT_MS`]: '2000',
      [`${source.toUpperCase()}_TOKEN`]: TOKEN,
    });
  }

  const cursors = (warehouse: string) => queryFile<{ resource: string }>(warehouse, 'SELECT resource FROM ops.cursors ORDER BY resource');

  /** A run whose pull stops: it fails, with this one error. */
  async function stoppedPull(config: Config): Promise<RunError> {
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('failed');
    expect(summary.errors).toHaveLength(1);
    return summary.errors[0]!;
  }

  /** The message of a page whose item `index` has text where `field` must be a number. */
  const textForNumber = (resource: string, index: number, field: string) =>
    new RegExp(`^GET /api/v1/${resource}\\?updated_since=\\d{14}&after_id=[^&]+&page_size=25: the answer does not have the expected shape at items\\.${index}\\.${field}: Invalid input: expected number, received string$`);
  const BROKEN_PAGE_ACTION = 'the API has changed or sent a broken page; the cursor has not moved, so the next run asks again; report it to the API’s operator if it lasts';

  it('loads every page, and quarantines an item whose unit no code list knows, naming the page, the item and the field', async () => {
    await (await startPortal()).append('motcua/dossiers', itemsOf('motcua/api-dossiers-unknown-unit.json'));
    const config = apiConfig('motcua');
    expect((await runJob(config, capturedLog().log, { only: 'extract' })).errors).toEqual([]);
    expect((await runJob(config, capturedLog().log, { only: 'load' })).errors).toEqual([]);

    const outcomes = await fileOutcomes(config.paths.warehouse);
    expectEveryLoadAccountedFor(outcomes);
    const pages = [...outcomes.values()].map((o) => o.load!);
    expect(pages.map((p) => p.read)).toEqual([PAGE_SIZE, DOSSIERS + 2 - PAGE_SIZE]);
    const [lastPage] = [...outcomes].filter(([, o]) => o.quarantined.length > 0);
    expect(lastPage![0]).toMatch(/^GET \/api\/v1\/motcua\/dossiers\?updated_since=\d{14}&after_id=[^&]+&page_size=25$/);
    expect(lastPage![1].quarantined).toEqual([
      { row: DOSSIERS + 2 - PAGE_SIZE, reason: 'DonViTiepNhan (receiving_unit): unknown unit "Phòng Không Tồn Tại"', record: expect.stringContaining('"MaHoSo":"HS-API-UNIT-2"') },
    ]);
  });

  it('stops the pull at a page whose field has the wrong type, naming the endpoint, the item and the field, and keeps the cursor', async () => {
    await (await startPortal()).append('motcua/dossiers', itemsOf('motcua/api-dossiers-wrong-types.json'));
    const config = apiConfig('motcua');
    expect(await stoppedPull(config)).toEqual({
      stage: 'extract',
      source: 'motcua',
      message: expect.stringMatching(textForNumber('motcua/dossiers', DOSSIERS + 1 - PAGE_SIZE, 'TrangThaiHoSo')),
      action: BROKEN_PAGE_ACTION,
    });
    expect(await cursors(config.paths.warehouse)).toEqual([]);
    expect(await fileOutcomes(config.paths.warehouse)).toEqual(new Map());
  });

  it('stops the portal\'s pull at a payment whose amount is text, and keeps its cursor', async () => {
    await (await startPortal()).append('dvc/payments', itemsOf('dvc/api-payments-wrong-types.json'));
    const config = apiConfig('dvc');
    expect(await stoppedPull(config)).toEqual({
      stage: 'extract',
      source: 'dvc',
      message: expect.stringMatching(textForNumber('dvc/payments', PORTAL_ITEMS - PAGE_SIZE, 'SoTien')),
      action: BROKEN_PAGE_ACTION,
    });
    expect(await cursors(config.paths.warehouse)).toEqual([]);
    expect(await fileOutcomes(config.paths.warehouse)).toEqual(new Map());
  });

  it('retries an HTML error page served with status 200, then stops naming it, and the next run loads every record', async () => {
    (await startPortal()).inject({ kind: 'html', resource: 'dvc/ratings', times: 3 });
    const config = apiConfig('dvc');
    expect(await stoppedPull(config)).toEqual({
      stage: 'extract',
      source: 'dvc',
      message: 'GET /api/v1/dvc/ratings?page_size=25: answered text/html; charset=utf-8 instead of JSON (a maintenance or error page?) (after 3 attempts)',
      action: 'try again later; if it lasts, check that the dvc API is up',
    });
    // The payments pulled before it are landed, and their cursor moved: they load with the next run.
    expect(await cursors(config.paths.warehouse)).toEqual([{ resource: 'dvc/payments' }]);

    expect((await runJob(config, capturedLog().log, { only: 'extract' })).errors).toEqual([]);
    expect((await runJob(config, capturedLog().log, { only: 'load' })).errors).toEqual([]);
    const outcomes = await fileOutcomes(config.paths.warehouse);
    expectEveryLoadAccountedFor(outcomes);
    // Each record once at least: the second pull asks again from the cursor, which is inclusive.
    const records = await queryFile<{ resource: string; n: number }>(
      config.paths.warehouse,
      DVC_RESOURCES.map(([resource, id]) => `SELECT '${resource}' AS resource, count(DISTINCT ${id}) AS n FROM raw.dvc__${resource}`).join(' UNION ALL '),
    );
    expect(Object.fromEntries(records.map((r) => [r.resource, r.n]))).toEqual(Object.fromEntries(DVC_RESOURCES.map(([resource]) => [resource, served[resource]])));
  });

  it('stops a pull whose next page is the page before, again and again, naming the key it did not move past', async () => {
    (await startPortal()).inject({ kind: 'stuck', resource: 'motcua/dossiers', after: 1, times: 100 });
    const config = apiConfig('motcua');
    expect(await stoppedPull(config)).toEqual({
      stage: 'extract',
      source: 'motcua',
      message: expect.stringMatching(/^GET \/api\/v1\/motcua\/dossiers\?updated_since=\d{14}&after_id=[^&]+&page_size=25: the page does not move past the one before \(last item \d{14} \S+\)$/),
      action: 'the API ignores updated_since and after_id, or does not sort by update time and id: check it, or its version in api.base_url',
    });
    expect(portal.requests.filter((r) => r.path.endsWith('motcua/dossiers'))).toHaveLength(2);
    expect(await cursors(config.paths.warehouse)).toEqual([]);
    expect(await fileOutcomes(config.paths.warehouse)).toEqual(new Map());
  });
});
