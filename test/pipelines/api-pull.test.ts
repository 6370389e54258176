// The job in API mode against the portal simulator on a real loopback socket: paging, the
// cursor, retries, and the errors that must stop a pull.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Warehouse } from '../../core/warehouse.js';
import { runJob } from '../../pipelines/run.js';
import { sampleLayout } from '../../sample/index.js';
import { startPortalSimulator, type PortalSimulator } from '../../sample/server.js';
import { capturedLog, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { runCchc, startCchc, writeConfig } from '../processes.js';

const TOKEN = 'portal-token';
const ITEMS = 130;
const PAGE_SIZE = 25;

/** A small sample for the API: the first versions of the change feed of the generated sample (some dossiers twice). */
type FeedItem = { MaHoSo: string; NgayCapNhat: string };

function smallApiSample(): { dir: string; ids: Set<string>; feed: FeedItem[] } {
  const feed = JSON.parse(readFileSync(join(sampleLayout(inject('sampleDir')).motcuaApi, 'page-00001.json'), 'utf8')).items.slice(0, ITEMS);
  const dir = tempDir();
  const pages = join(dir, 'motcua', 'api', 'dossiers');
  mkdirSync(pages, { recursive: true });
  writeFileSync(join(pages, 'page-00001.json'), JSON.stringify({ page: 1, page_size: ITEMS, total: ITEMS, items: feed }));
  return { dir, ids: new Set(feed.map((item: FeedItem) => item.MaHoSo)), feed };
}

describe('pulling from the sync API', () => {
  let sample: ReturnType<typeof smallApiSample>;
  let portal: PortalSimulator;
  beforeAll(async () => {
    sample = smallApiSample();
    portal = await startPortalSimulator({ sampleDir: sample.dir, token: TOKEN });
  });
  afterAll(() => portal.close());

  /** The motcua source in API mode against the simulator, as environment variables. */
  const apiEnv = (): Record<string, string> => ({
    CCHC__SOURCES__MOTCUA__ENABLED: 'true',
    CCHC__SOURCES__MOTCUA__MODE: 'api',
    CCHC__SOURCES__MOTCUA__API__BASE_URL: `${portal.url}/api/v1`,
    CCHC__SOURCES__MOTCUA__API__TOKEN_ENV: 'MOTCUA_TOKEN',
    CCHC__SOURCES__MOTCUA__API__PAGE_SIZE: String(PAGE_SIZE),
    CCHC__SOURCES__MOTCUA__API__BACKOFF_MS: '10',
    CCHC__SOURCES__MOTCUA__API__RETRIES: '2',
    CCHC__SOURCES__MOTCUA__API__TIMEOUT_MS: '2000',
    MOTCUA_TOKEN: TOKEN,
  });

  function apiConfig(env: Record<string, string> = {}) {
    // The inbox is where the catalogue would come from: empty here.
    return sampleConfig(join(tempDir(), 'data'), {}, { ...apiEnv(), CCHC__SOURCES__MOTCUA__INBOX: tempDir(), ...env });
  }

  const stagedIds = async (warehouse: string) =>
    new Set((await queryFile<{ dossier_id: string }>(warehouse, 'SELECT dossier_id FROM staging.stg_motcua__dossiers')).map((r) => r.dossier_id));
  const rawCount = async (warehouse: string) =>
    (await queryFile<{ n: number }>(warehouse, 'SELECT count(*) AS n FROM raw.motcua__dossiers'))[0]!.n;

  it('reads every record once, page after page, and keeps the cursor for the next pull', async () => {
    const config = apiConfig();
    const before = portal.requests.length;
    const summary = await runJob(config, capturedLog().log);
    expect(summary.errors).toEqual([]);
    const pages = portal.requests.slice(before).filter((r) => r.path.endsWith('motcua/dossiers'));
    const pageCount = Math.ceil(sample.ids.size / PAGE_SIZE);
    expect(pageCount).toBeGreaterThan(3);
    expect(pages).toHaveLength(pageCount);
    // Each page asks for what comes after the last item of the one before.
    expect(pages[0]!.query.after_id).toBeUndefined();
    expect(new Set(pages.slice(1).map((p) => p.query.after_id)).size).toBe(pageCount - 1);
    expect(await rawCount(config.paths.warehouse)).toBe(sample.ids.size);
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);

    const [cursor] = await queryFile<{ cursor_value: string }>(config.paths.warehouse, 'SELECT cursor_value FROM ops.cursors');
    const next = portal.requests.length;
    await runJob(config, capturedLog().log);
    expect(portal.requests.slice(next).map((r) => r.query.updated_since)).toEqual([cursor!.cursor_value]);
    // The records at the cursor come again (it is inclusive); staging still holds each dossier once.
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
  });

  it('waits out a 429 for as long as its Retry-After says, then goes on', async () => {
    // The portal refuses again any request that comes before the second is up.
    const config = apiConfig();
    const before = portal.requests.length;
    portal.inject({ kind: 'status', status: 429, retryAfterSeconds: 1, enforceRetryAfter: true, resource: 'motcua/dossiers', after: 1 });
    const { log, lines } = capturedLog();
    const summary = await runJob(config, log);
    expect(summary.errors).toEqual([]);
    expect(portal.requests.slice(before).filter((r) => r.status === 429)).toHaveLength(1);
    const retry = lines().find((l) => l.msg === 'API request failed; retrying');
    expect(retry).toMatchObject({ problem: 'HTTP 429', wait_ms: 1000, attempt: 1 });
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
  });

  it('resumes a pull cut short from the same cursor, losing and duplicating nothing', async () => {
    const config = apiConfig();
    // The fourth page fails more often than the client retries: the pull stops there.
    portal.inject({ kind: 'status', status: 503, resource: 'motcua/dossiers', after: 3, times: 3 });
    const cut = await runJob(config, capturedLog().log);
    expect(cut.outcome).toBe('failed');
    expect(cut.errors[0]!.message).toMatch(/after_id=.*HTTP 503 \(after 3 attempts\)/);
    expect(await queryFile(config.paths.warehouse, 'SELECT * FROM ops.cursors')).toEqual([]);

    const resumed = await runJob(config, capturedLog().log);
    expect(resumed.errors).toEqual([]);
    expect(resumed.stages.extract).toMatchObject({ skipped: 3, landed: Math.ceil(sample.ids.size / PAGE_SIZE) - 3 });
    expect(await rawCount(config.paths.warehouse)).toBe(sample.ids.size);
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
  });

  it('retries a request that times out, a body cut short and a maintenance page', async () => {
    const config = apiConfig({ CCHC__SOURCES__MOTCUA__API__RETRIES: '3' });
    portal.inject({ kind: 'slow', delayMs: 3000, resource: 'motcua/dossiers' });
    portal.inject({ kind: 'truncate', resource: 'motcua/dossiers', after: 1 });
    portal.inject({ kind: 'html', resource: 'motcua/dossiers', after: 2 });
    const { log, lines } = capturedLog();
    const summary = await runJob(config, log);
    expect(summary.errors).toEqual([]);
    const problems = lines().filter((l) => l.msg === 'API request failed; retrying').map((l) => String(l.problem));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('no answer within 2000 ms');
    expect(problems[1]).toMatch(/^the answer broke off/);
    expect(problems[2]).toMatch(/^answered text\/html.* instead of JSON/);
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
  });

  it('loses no record edited while the pull goes on: the edit comes at the end', async () => {
    const config = apiConfig();
    const feed = JSON.parse(readFileSync(join(sample.dir, 'motcua', 'api', 'dossiers', 'page-00001.json'), 'utf8')).items;
    const first = feed.find((item: { MaHoSo: string }) => item.MaHoSo === [...sample.ids][0]);
    const edited = { ...first, TrangThaiHoSo: 8, NgayTuChoi: '20240401080000', NgayCapNhat: '20240401080000' };
    // The first dossier of page 1 is edited when the request for page 2 arrives: after page 1 was served.
    const before = portal.requests.length;
    portal.inject({ kind: 'edit', items: [edited], resource: 'motcua/dossiers', after: 1 });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.errors).toEqual([]);
    const pulled = portal.requests.slice(before).filter((r) => r.path.endsWith('motcua/dossiers'));
    expect(pulled[1]).toMatchObject({ fault: 'edit' });
    expect(pulled[0]!.query.after_id).toBeUndefined();
    expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
    const [row] = await queryFile(config.paths.warehouse, `SELECT status_code FROM staging.stg_motcua__dossiers WHERE dossier_id = '${edited.MaHoSo}'`);
    expect(row).toEqual({ status_code: 8 });
  });

  it('reads everything from an API that serves fewer items a page than asked', async () => {
    const capped = await startPortalSimulator({ sampleDir: sample.dir, token: TOKEN, maxPageSize: 10 });
    try {
      const config = apiConfig({ CCHC__SOURCES__MOTCUA__API__BASE_URL: `${capped.url}/api/v1` });
      expect((await runJob(config, capturedLog().log)).errors).toEqual([]);
      expect(capped.requests.length).toBe(Math.ceil(sample.ids.size / 10));
      expect(await stagedIds(config.paths.warehouse)).toEqual(sample.ids);
    } finally {
      await capped.close();
    }
  });

  it('loads items that leave out their empty fields', async () => {
    const config = apiConfig();
    // A dossier only registered online: not received, no due date, and the API leaves both out.
    const registered = { MaHoSo: 'HS-REGISTERED-ONLY', MaTTHC: '1.000001', DonViTiepNhan: 'DH.TP', KenhThucHien: 2, TrangThaiHoSo: 1, NgayCapNhat: '20240402090000' };
    await portal.append('motcua/dossiers', [registered]);
    const summary = await runJob(config, capturedLog().log);
    expect(summary.errors).toEqual([]);
    const [row] = await queryFile(config.paths.warehouse, `SELECT status_code, received_at, due_at FROM staging.stg_motcua__dossiers WHERE dossier_id = 'HS-REGISTERED-ONLY'`);
    expect(row).toEqual({ status_code: 1, received_at: null, due_at: null });
    sample.ids.add('HS-REGISTERED-ONLY');
  });

  it('keeps in raw the keys of nested lists that no model reads, such as a file name or an officer', async () => {
    const config = apiConfig();
    const withExtras = {
      MaHoSo: 'HS-NESTED-EXTRAS', MaTTHC: '1.000001', DonViTiepNhan: 'DH.TP', KenhThucHien: 2, TrangThaiHoSo: 1, NgayCapNhat: '20240402100000',
      TaiLieuNop: [{ MaThanhPhanHoSo: 'TP1', DuocSoHoa: true, TenTep: 'CCCD 044158866849 Võ Ngọc Mai.pdf' }],
      QuaTrinhXuLy: [{ ThoiDiemXuLy: '20240402100000', PhongBanXuLy: 'DH.TP', TrangThai: 1, CanBoXuLy: 'Trần Thị Bích' }],
    };
    await portal.append('motcua/dossiers', [withExtras]);
    expect((await runJob(config, capturedLog().log)).errors).toEqual([]);
    sample.ids.add('HS-NESTED-EXTRAS');
    const [lists] = await queryFile<{ files: string; steps: string }>(
      config.paths.warehouse,
      `SELECT submitted_files::VARCHAR AS files, steps::VARCHAR AS steps FROM staging.stg_motcua__dossier_lists WHERE dossier_id = 'HS-NESTED-EXTRAS'`,
    );
    expect(lists).toEqual({
      files: '[{"MaThanhPhanHoSo":"TP1","DuocSoHoa":true,"DuocTaiSuDung":null,"DuocLayTuKhoDMQG":null}]',
      steps: '[{"ThoiDiemXuLy":"20240402100000","PhongBanXuLy":"DH.TP","TrangThai":1}]',
    });
    const [raw] = await queryFile<{ n: number }>(config.paths.warehouse, `SELECT count(*) AS n FROM raw.motcua__dossiers WHERE record_json LIKE '%Trần Thị Bích%'`);
    expect(raw!.n).toBe(1);
  });

  it('erases the pulled items after the retention down to the lists the models read, and a rebuild from raw gives the same staging', async () => {
    const config = apiConfig({ CCHC_HASH_KEY: 'k3y-for-tests-only-0123456789abcdef' });
    expect((await runJob(config, capturedLog().log)).errors).toEqual([]);
    // The rows of this first pull (the simulator may serve an edit more to the next one).
    const [{ last }] = (await queryFile<{ last: number }>(config.paths.warehouse, 'SELECT max(load_id) AS last FROM ops.loads')) as [{ last: number }];
    const raw = () => queryFile<{ applicant_name: string | null; applicant_id_number: string | null; record_json: string }>(config.paths.warehouse, `SELECT applicant_name, applicant_id_number, record_json FROM raw.motcua__dossiers WHERE _load_id <= ${last}`);
    const staging = () => queryFile(config.paths.warehouse, 'SELECT * EXCLUDE (applicant_key) FROM staging.stg_motcua__dossiers ORDER BY dossier_id');
    const lists = () => queryFile(config.paths.warehouse, 'SELECT l.*, d._load_id FROM staging.stg_motcua__dossier_lists AS l JOIN staging.stg_motcua__dossiers AS d USING (dossier_id) ORDER BY dossier_id');
    /** The rows of the dossiers that the second pull did not bring a newer version of. */
    const unchanged = <T extends { _load_id?: unknown; dossier_id?: unknown }>(before: T[], after: T[]) => {
      const kept = new Set(after.filter((r) => Number(r._load_id) <= last).map((r) => r.dossier_id));
      expect(kept.size).toBeGreaterThan(before.length - 5);
      expect(after.filter((r) => kept.has(r.dossier_id))).toEqual(before.filter((r) => kept.has(r.dossier_id)));
    };
    // The applicant's fields sit in their own columns, not twice in the item.
    const pulled = await raw();
    expect(pulled.filter((r) => r.applicant_name !== null).length).toBeGreaterThan(pulled.length / 2);
    expect(pulled.filter((r) => r.record_json.includes('"ChuHoSo"') || r.record_json.includes('"SoGiayToChuHoSo"'))).toEqual([]);
    const [stagingBefore, listsBefore] = [await staging(), await lists()];
    expect(listsBefore.length).toBeGreaterThan(50);

    const db = await Warehouse.open(config.paths.warehouse);
    await db.run('UPDATE ops.loads SET finished_at = current_timestamp - INTERVAL 40 DAY');
    db.close();
    const later = { ...config, privacy: { ...config.privacy, erase_personal_after_days: 30 } };
    expect((await runJob(later, capturedLog().log, { fullRefresh: true })).errors).toEqual([]);
    const erased = await raw();
    expect(erased).toHaveLength(pulled.length);
    for (const row of erased) {
      expect(row).toMatchObject({ applicant_name: null, applicant_id_number: null });
      expect(Object.keys(JSON.parse(row.record_json)).sort()).toEqual(['DanhSachGiayToKetQua', 'DanhSachHoSoBoSung', 'DanhSachLePhi', 'QuaTrinhXuLy', 'TaiLieuNop']);
    }
    unchanged(stagingBefore, await staging());
    unchanged(listsBefore, await lists());
  });

  it('keeps API fields that look like SQL or paths as data, and lands every page inside the landing folder', async () => {
    const config = apiConfig();
    const hostile = {
      MaHoSo: "../../etc/passwd'; DROP TABLE ops.loads; --", MaTTHC: "1.000001'||'", DonViTiepNhan: 'DH.TP', KenhThucHien: 2, TrangThaiHoSo: 1, NgayCapNhat: '20240402110000',
      "x'); DROP TABLE raw.motcua__dossiers; --": 'a', '$.TaiLieuNop': 'b', '/tmp/abs': 'c',
    };
    await portal.append('motcua/dossiers', [hostile]);
    expect((await runJob(config, capturedLog().log)).errors).toEqual([]);
    sample.ids.add(hostile.MaHoSo);
    expect(await queryFile(config.paths.warehouse, `SELECT procedure_code FROM staging.stg_motcua__dossiers WHERE dossier_id = '../../etc/passwd''; DROP TABLE ops.loads; --'`)).toEqual([{ procedure_code: "1.000001'||'" }]);
    const landed = await queryFile<{ landed_path: string }>(config.paths.warehouse, 'SELECT landed_path FROM ops.landed_files');
    for (const { landed_path } of landed) expect(relative(config.paths.landing, landed_path)).toMatch(/^motcua\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{64}\.json$/);
  });

  it('lands nothing half-written when the run is killed in the middle of a pull, and the next run ends with every record once', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    const config = writeConfig(dir, { motcua: inbox });
    const env = { ...apiEnv(), CCHC__SOURCES__MOTCUA__API__TIMEOUT_MS: '20000', CCHC__LOG__LEVEL: 'debug' };
    // The third page is held back: the kill surely lands while the pull waits for it.
    portal.inject({ kind: 'slow', delayMs: 5000, resource: 'motcua/dossiers', after: 2 });
    const run = startCchc(['run', '--config', config], env);
    let landed = 0;
    await run.waitFor((l) => l.msg === 'page landed' && ++landed === 2);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    const warehouse = join(dir, 'data', 'warehouse.duckdb');
    expect(await queryFile(warehouse, 'SELECT * FROM ops.cursors')).toEqual([]);

    const next = await runCchc(['run', '--config', config], env);
    expect(next.code, next.stderr.slice(-2000)).toBe(0);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeDefined();
    expect(next.lines.find((l) => l.msg === 'extract done')).toMatchObject({ skipped: 2, landed: Math.ceil(sample.ids.size / PAGE_SIZE) - 2 });
    expect(await rawCount(warehouse)).toBe(sample.ids.size);
    expect(await stagedIds(warehouse)).toEqual(sample.ids);
    const landing = readdirSync(join(dir, 'data', 'landing'), { recursive: true }).map(String);
    expect(landing.filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(landing.filter((name) => /[0-9a-f]{64}\.json$/.test(name))).toHaveLength(Math.ceil(sample.ids.size / PAGE_SIZE));
  });

  it('gives up at once when the API asks to wait longer than a run can', async () => {
    const config = apiConfig();
    portal.inject({ kind: 'status', status: 429, retryAfterSeconds: 3600, resource: 'motcua/dossiers' });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.errors[0]!.message).toMatch(/HTTP 429, with Retry-After 3600 s$/);
  });

  it('stops at once on a wrong token, naming the variable that holds it', async () => {
    const config = apiConfig({ MOTCUA_TOKEN: 'not-the-token' });
    const before = portal.requests.length;
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('failed');
    expect(portal.requests.length - before).toBe(1);
    expect(summary.errors[0]).toMatchObject({
      stage: 'extract',
      message: 'GET /api/v1/motcua/dossiers?page_size=25: the motcua API refused the token in MOTCUA_TOKEN (HTTP 401)',
      action: 'set MOTCUA_TOKEN to a valid token of the motcua API',
    });
    expect(JSON.stringify(summary)).not.toContain('not-the-token');
  });

  it('reports a page that does not have the declared shape, naming the endpoint and the field, and keeps the cursor', async () => {
    const config = apiConfig();
    portal.inject({ kind: 'malformed', resource: 'motcua/dossiers', after: 1 });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('failed');
    expect(summary.errors[0]!.message).toMatch(
      /^GET \/api\/v1\/motcua\/dossiers\?updated_since=\d{14}&after_id=[^&]+&page_size=25: the answer does not have the expected shape at items\.0\.MaHoSo: Invalid input: expected string, received number$/,
    );
    expect(await queryFile(config.paths.warehouse, 'SELECT * FROM ops.cursors')).toEqual([]);
  });

  it('backfills a date range with updated_until, ends where nightly pulls end, and moves a cursor only forward over what it pulled', async () => {
    const nightly = apiConfig();
    expect((await runJob(nightly, capturedLog().log)).outcome).toBe('success');
    const stamps = [...new Set(sample.feed.map((item) => item.NgayCapNhat))].sort();
    const middle = stamps[Math.floor(stamps.length / 2)]!;

    const backfilled = apiConfig();
    const before = portal.requests.length;
    const first = await runJob(backfilled, capturedLog().log, { trigger: 'backfill', backfill: { from: '20000101000000', to: middle } });
    expect(first.outcome).toBe('success');
    expect(portal.requests.slice(before).every((r) => r.query.updated_until === middle)).toBe(true);
    // The API serves the latest version of each record updated in [updated_since, updated_until).
    expect(await rawCount(backfilled.paths.warehouse)).toBe(new Set(sample.feed.filter((item) => item.NgayCapNhat < middle).map((item) => item.MaHoSo)).size);
    // No cursor yet: a window that starts after it would skip the records in between.
    expect(await queryFile(backfilled.paths.warehouse, 'SELECT * FROM ops.cursors')).toEqual([]);

    await runJob(backfilled, capturedLog().log, { trigger: 'backfill', backfill: { from: middle, to: '20991231235959' } });
    // The same latest version of every dossier; the backfill saw older versions on the way, as nightly pulls would have.
    const staged = 'SELECT * EXCLUDE (_load_id, _file, _row, versions) FROM staging.stg_motcua__dossiers ORDER BY ALL';
    expect(await queryFile(backfilled.paths.warehouse, staged)).toEqual(await queryFile(nightly.paths.warehouse, staged));

    // A window that starts at or before the cursor covers what follows it: the cursor moves on.
    const later = { MaHoSo: 'HS-BACKFILLED', MaTTHC: '1.000001', DonViTiepNhan: 'DH.TP', KenhThucHien: 2, TrangThaiHoSo: 1, NgayCapNhat: '20240403090000' };
    await portal.append('motcua/dossiers', [later]);
    await runJob(nightly, capturedLog().log, { trigger: 'backfill', backfill: { from: middle, to: '20991231235959' } });
    expect(await queryFile(nightly.paths.warehouse, 'SELECT cursor_value FROM ops.cursors')).toEqual([{ cursor_value: '20240403090000' }]);
    sample.ids.add('HS-BACKFILLED');
  });
});
