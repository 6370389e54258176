// Citizens' personal data stays in raw: staging keeps only a keyed hash of ID numbers, nothing
// published or logged holds a personal value, and raw forgets them after the retention.
import { createHmac } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, inject, it } from 'vitest';
import { literal, Warehouse } from '../../core/warehouse.js';
import { writeReport } from '../../pipelines/outputs/report/workbook.js';
import { runJob } from '../../pipelines/run.js';
import { sampleLayout } from '../../sample/index.js';
import { capturedLog, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';

const KEY = 'k3y-for-tests-only-0123456789abcdef';
const OTHER_KEY = 'another-key-for-tests-0123456789abcdef';

/** What the key makes of an ID number, computed by Node, apart from the SQL that the job runs. */
function hmac(key: string, idNumber: string): string {
  return createHmac('sha256', key).update(idNumber.replace(/[^0-9A-Za-z]/g, '').toUpperCase()).digest('hex');
}

/** A run over the applicants fixture (five dossiers, one with an impossible date, one cut off inside quotes). */
async function applicantsRun(dir: string, env: Record<string, string>) {
  const captured = capturedLog('debug');
  const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-applicants.csv']) }, env);
  const summary = await runJob(config, captured.log);
  expect(summary.outcome).toBe('success');
  const built = captured.lines().find((l) => l.msg === 'transform done')!.incremental;
  const keys = await queryFile<{ dossier_id: string; applicant_key: string | null }>(
    config.paths.warehouse,
    'SELECT dossier_id, applicant_key FROM staging.stg_motcua__dossiers ORDER BY dossier_id',
  );
  return { config, captured, built, keys: Object.fromEntries(keys.map((k) => [k.dossier_id, k.applicant_key])) };
}
const layout = sampleLayout(inject('sampleDir'));

// ID numbers (CCCD: 12 digits) and mobile numbers (10 digits) standing alone (a keyed hash in hex
// holds runs of digits too), e-mail addresses, and the street addresses of the sample, wherever
// they sit in a text.
const PATTERNS = [
  '(^|[^0-9A-Za-z])0[0-9]{11}([^0-9A-Za-z]|$)',
  '(^|[^0-9A-Za-z])0[0-9]{9}([^0-9A-Za-z]|$)',
  '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\\.[A-Za-z.]{2,}',
  'Số [0-9]+, đường ',
];

/** Text cells of a relation that hold a personal value, whole or (for the names given) within. */
async function personalIn(db: Warehouse, relation: string, names: string[]): Promise<string[]> {
  const columns = await db.all<{ column_name: string; column_type: string }>(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM ${relation})`);
  const found: string[] = [];
  for (const { column_name } of columns.filter((c) => /VARCHAR|JSON/.test(c.column_type))) {
    const column = `"${column_name}"::VARCHAR`;
    const pattern = literal([...PATTERNS, ...names.map(escapeRegex)].join('|'));
    const hits = await db.all<{ value: string }>(
      `SELECT DISTINCT CASE WHEN ${column} IN (SELECT value FROM personal) THEN ${column} ELSE regexp_extract(${column}, ${pattern}) END AS value
       FROM ${relation}
       WHERE ${column} IN (SELECT value FROM personal) OR regexp_matches(${column}, ${pattern})
       LIMIT 5`,
    );
    found.push(...hits.map((h) => `${relation}.${column_name}: ${h.value}`));
  }
  return found;
}

/** Every cell of every sheet, one per line. */
async function workbookText(path: string): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(path);
  const cells: string[] = [];
  workbook.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.text)))));
  return cells.join('\n');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe("citizens' personal data", () => {
  it('is published nowhere: no personal value of the sample, ID number, phone, e-mail or address in the Parquet, the snapshot, the report workbooks, the release page, the manifest or the logs of the run', async () => {
    const dir = tempDir();
    const captured = capturedLog('debug');
    const config = sampleConfig(join(dir, 'data'), { motcua: layout.motcuaInbox, dvc: layout.dvcInbox, ngansach: layout.ngansachInbox }, { CCHC_HASH_KEY: KEY });
    const summary = await runJob(config, captured.log);
    expect(summary.outcome).toBe('success');
    const release = summary.stages.publish!.releaseDir;
    const report = join(dir, 'bao-cao.xlsx');
    await writeReport({ releaseDir: release, period: '2024-Q1', out: report });

    const db = await Warehouse.open(':memory:');
    try {
      await db.run(`ATTACH ${literal(config.paths.warehouse)} AS w (READ_ONLY)`);
      // Every personal value the sample put in raw: the list the published files are checked against.
      const personal = await db.all<{ table_name: string; column_name: string }>(
        `SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'w' AND schema_name = 'raw'
         AND column_name IN ('applicant_name', 'applicant_id_number', 'applicant_phone', 'applicant_email', 'applicant_address',
                             'sender_name', 'sender_phone', 'content', 'holder_name', 'holder_id_number', 'holder_phone')`,
      );
      await db.run(
        `CREATE TABLE personal AS ${personal.map((p) => `SELECT "${p.column_name}" AS value FROM w.raw."${p.table_name}"`).join(' UNION ')}`,
      );
      await db.run('DELETE FROM personal WHERE value IS NULL OR length(trim(value)) < 6');
      const count = (await db.one<{ n: number }>('SELECT count(*) AS n FROM personal'))!.n;
      expect(count).toBeGreaterThan(10_000);
      // Names are also looked for inside longer texts (a JSON list, a sentence): a sample of 300.
      const names = (await db.all<{ value: string }>("SELECT DISTINCT applicant_name AS value FROM w.raw.motcua__dossiers WHERE applicant_name LIKE '% % %' ORDER BY hash(value) LIMIT 300")).map((r) => r.value);
      expect(names).toHaveLength(300);
      await db.run('DETACH w');

      const found: string[] = [];
      for (const file of readdirSync(join(release, 'marts'), { recursive: true }).map(String).filter((f) => f.endsWith('.parquet'))) {
        found.push(...(await personalIn(db, `read_parquet(${literal(join(release, 'marts', file))})`, names)));
      }
      await db.run(`ATTACH ${literal(join(release, 'cchc.duckdb'))} AS snapshot (READ_ONLY)`);
      const tables = await db.all<{ name: string }>("SELECT schema_name || '.' || table_name AS name FROM duckdb_tables() WHERE database_name = 'snapshot'");
      expect(tables.length).toBeGreaterThan(20);
      for (const { name } of tables) found.push(...(await personalIn(db, `snapshot.${name}`, names)));

      // The text files: the manifest, Metabase's init SQL, the release page, the run summaries, the
      // log of the run, and the cells of the report workbooks (`cchc report`'s and the release's).
      const workbooks = readdirSync(join(release, 'reports')).filter((f) => f.endsWith('.xlsx'));
      expect(workbooks.length).toBeGreaterThan(10);
      const texts: Record<string, string> = {
        'manifest.json': readFileSync(join(release, 'manifest.json'), 'utf8'),
        'metabase-init.sql': readFileSync(join(release, 'metabase-init.sql'), 'utf8'),
        'index.html': readFileSync(join(release, 'index.html'), 'utf8'),
        ...Object.fromEntries(await Promise.all(workbooks.map(async (f) => [`reports/${f}`, await workbookText(join(release, 'reports', f))]))),
        log: captured.lines().map((l) => JSON.stringify(l)).join('\n'),
        'bao-cao.xlsx': await workbookText(report),
        ...Object.fromEntries(readdirSync(join(config.paths.dataDir, 'runs')).map((f) => [`runs/${f}`, readFileSync(join(config.paths.dataDir, 'runs', f), 'utf8')])),
      };
      expect(texts.log!.length).toBeGreaterThan(10_000);
      expect(texts['bao-cao.xlsx']).toContain('Đồng Hới');
      expect(texts['index.html']).toContain('Biểu 06');
      await db.run('CREATE TABLE texts (name VARCHAR, text VARCHAR)');
      for (const [name, text] of Object.entries(texts)) await db.run('INSERT INTO texts VALUES ($1, $2)', [name, text]);
      found.push(...(await personalIn(db, 'texts', names)));
      expect(found).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('is a keyed hash in staging, HMAC-SHA-256 under the key from the environment, the same however the ID number was typed, and nothing without a key', async () => {
    const dir = tempDir();
    const first = await applicantsRun(dir, { CCHC_HASH_KEY: KEY });
    // P1 and P2 are one person, the ID number typed with and without spaces.
    expect(first.keys).toEqual({ P1: hmac(KEY, '044195001234'), P2: hmac(KEY, '044195001234'), P3: hmac(KEY, '044087654321') });

    // Another key: the staging dossiers are rebuilt (not merged), every hash changes.
    const second = await applicantsRun(dir, { CCHC_HASH_KEY: OTHER_KEY });
    expect(second.built).toEqual({});
    expect(second.keys).toEqual({ P1: hmac(OTHER_KEY, '044195001234'), P2: hmac(OTHER_KEY, '044195001234'), P3: hmac(OTHER_KEY, '044087654321') });
    expect(second.captured.lines().map((l) => JSON.stringify(l)).join('\n')).not.toContain(OTHER_KEY);

    const third = await applicantsRun(dir, {});
    expect(third.keys).toEqual({ P1: null, P2: null, P3: null });
  });

  it('refuses a key shorter than 32 bytes, without printing it', () => {
    const error = (() => {
      try {
        sampleConfig(tempDir(), {}, { CCHC_HASH_KEY: 'short-secret' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/the key in CCHC_HASH_KEY is shorter than 32 bytes/);
    expect(error?.message).not.toContain('short-secret');
  });

  it('is erased after the retention from raw, the quarantine and the landed file, and the models stay as they were', async () => {
    const dir = tempDir();
    const { config } = await applicantsRun(dir, { CCHC_HASH_KEY: KEY });
    const raw = () => queryFile<Record<string, unknown>>(config.paths.warehouse, 'SELECT dossier_id, applicant_name, applicant_id_number, applicant_phone, applicant_email, applicant_address FROM raw.motcua__dossiers ORDER BY dossier_id');
    const quarantine = () => queryFile<{ row_number: number; reason: string; record: string | null }>(config.paths.warehouse, 'SELECT row_number, reason, record FROM ops.quarantine ORDER BY row_number');
    const staging = () => queryFile(config.paths.warehouse, 'SELECT * FROM staging.stg_motcua__dossiers ORDER BY dossier_id');
    const heldWhole = () => queryFile(config.paths.warehouse, 'SELECT dossier_id, applicant_name, applicant_id_number FROM quarantine.motcua__dossiers');
    const [landed] = await queryFile<{ landed_path: string }>(config.paths.warehouse, "SELECT landed_path FROM ops.landed_files WHERE original_name = 'ho-so-applicants.csv'");
    expect((await raw())[0]).toMatchObject({ applicant_name: 'Trần Thị Thu Hà', applicant_id_number: '044195001234' });
    // The impossible date's row is kept as JSON without its personal columns; the line cut off inside quotes, as read.
    const held = await quarantine();
    expect(held).toHaveLength(2);
    expect(held[0]!.record).toContain('31/02/2024');
    expect(held[0]!.record).not.toContain('Phạm Minh Quân');
    expect(held[1]!.record).toContain('Võ Thị Lan');
    // The row whose date cannot be read waits whole, to load if it ever can: with its personal data, until the retention.
    expect(await heldWhole()).toEqual([{ dossier_id: 'P4', applicant_name: 'Phạm Minh Quân', applicant_id_number: '044099887766' }]);
    const before = await staging();

    // 29 days on: nothing is due. 31 days on: all of it.
    const ageLoads = async (days: number) => {
      const db = await Warehouse.open(config.paths.warehouse);
      await db.run(`UPDATE ops.loads SET finished_at = current_timestamp - INTERVAL (${days}) DAY`);
      db.close();
    };
    const erase = { CCHC_HASH_KEY: KEY, CCHC__PRIVACY__ERASE_PERSONAL_AFTER_DAYS: '30' };
    await ageLoads(29);
    const early = await applicantsRun(dir, erase);
    expect(early.captured.lines().find((l) => l.msg === 'personal data erased from the loads older than the retention')).toBeUndefined();
    await ageLoads(31);
    const due = await applicantsRun(dir, erase);
    // P1, P2 and P3 in raw, and P4, which the quarantine holds whole until its date can be read.
    expect(due.captured.lines().find((l) => l.msg === 'personal data erased from the loads older than the retention')).toMatchObject({ days: 30, loads: 2, rows: 4, files: 2 });

    const erased = { applicant_name: null, applicant_id_number: null, applicant_phone: null, applicant_email: null, applicant_address: null };
    expect(await raw()).toEqual(['P1', 'P2', 'P3'].map((dossier_id) => ({ dossier_id, ...erased })));
    expect(await heldWhole()).toEqual([{ dossier_id: 'P4', applicant_name: null, applicant_id_number: null }]);
    expect(await quarantine()).toEqual(held.map((q) => ({ ...q, record: null })));
    expect(existsSync(landed!.landed_path)).toBe(false);
    expect(await staging()).toEqual(before);
    // The export still in the inbox is known by its hash: not landed or loaded again.
    expect(due.captured.lines().find((l) => l.msg === 'extract done')).toMatchObject({ landed: 0 });
  });
});
