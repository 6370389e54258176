// Names and values that look like SQL or like paths stay data: file names, header names, sheet
// names, config paths and API fields with quotes, semicolons, `../`, absolute paths or control
// characters neither change a statement nor make the job write outside its data folder.
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, queryFile, sampleConfig, tempDir } from '../helpers.js';

const HEADER = 'Mã hồ sơ,Mã TTHC,Đơn vị tiếp nhận,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Ngày cập nhật';
const row = (id: string) => `${id},1.000001,Phòng Tư pháp,Trực tiếp,02/01/2024 08:00:00,10/01/2024,Đã tiếp nhận,02/01/2024 08:00:00`;
const SQL = "'; DROP TABLE ops.loads; --";

describe('hostile names and values', () => {
  it('loads exports whose names hold quotes, semicolons, glob characters, ../ and control characters, and keeps the names as data', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    cpSync(join(FIXTURES, 'motcua', 'danh-muc-tthc.csv'), join(inbox, 'danh-muc-tthc.csv'));
    const names = [`ho-so-${SQL}.csv`, 'ho-so-"quoted" $1 %s.csv', 'ho-so-[a-z]*?.csv', 'ho-so-..%2F..%2Fetc.csv', 'ho-so-tab\tand\nnewline.csv'];
    names.forEach((name, i) => writeFileSync(join(inbox, name), [HEADER, row(`N${i}`)].join('\n')));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('success');

    const loads = await queryFile<{ file_name: string; rows_loaded: number }>(config.paths.warehouse, "SELECT file_name, rows_loaded FROM ops.loads WHERE file_name LIKE 'ho-so%' ORDER BY file_name");
    expect(loads).toEqual([...names].sort().map((file_name) => ({ file_name, rows_loaded: 1 })));
    const raw = await queryFile<{ _file: string; dossier_id: string }>(config.paths.warehouse, 'SELECT _file, dossier_id FROM raw.motcua__dossiers ORDER BY dossier_id');
    expect(raw).toEqual(names.map((name, i) => ({ _file: name, dossier_id: `N${i}` })));
    // Landed under their hashes, inside the landing folder.
    const landed = await queryFile<{ landed_path: string }>(config.paths.warehouse, 'SELECT landed_path FROM ops.landed_files');
    for (const { landed_path } of landed) expect(relative(config.paths.landing, landed_path)).toMatch(/^motcua\/\d{4}-\d{2}-\d{2}\/[0-9a-f]{64}\.csv$/);
  });

  it('reads header names and values that look like SQL as text', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    cpSync(join(FIXTURES, 'motcua', 'danh-muc-tthc.csv'), join(inbox, 'danh-muc-tthc.csv'));
    const header = `${HEADER},"x'); DROP TABLE raw.motcua__dossiers; --","Ghi chú"" ; --"`;
    writeFileSync(join(inbox, 'ho-so-sql.csv'), [header, `${row(`A${SQL}`)},"${SQL}","'||(SELECT 1)||'"`].join('\n'));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    expect((await runJob(config, capturedLog().log)).outcome).toBe('success');
    expect(await queryFile(config.paths.warehouse, 'SELECT dossier_id FROM staging.stg_motcua__dossiers')).toEqual([{ dossier_id: `A${SQL}` }]);
    expect(await queryFile(config.paths.warehouse, 'SELECT count(*) AS n FROM ops.loads')).toEqual([{ n: 2 }]);
  });

  it('reads a workbook whose sheet name holds quotes and a semicolon', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    cpSync(join(FIXTURES, 'motcua', 'danh-muc-tthc.csv'), join(inbox, 'danh-muc-tthc.csv'));
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet("Hồ sơ'; DROP --");
    sheet.addRow(HEADER.split(','));
    sheet.addRow(row('X1').split(','));
    await workbook.xlsx.writeFile(join(inbox, 'ho-so-sheet.xlsx'));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    expect((await runJob(config, capturedLog().log)).outcome).toBe('success');
    expect(await queryFile(config.paths.warehouse, 'SELECT dossier_id FROM staging.stg_motcua__dossiers')).toEqual([{ dossier_id: 'X1' }]);
  });

  it('runs with a data folder and a SQL folder whose paths hold quotes, semicolons and glob characters, writing only inside them', async () => {
    const root = tempDir();
    const dataDir = join(root, `data '; DROP [x]*`);
    const sqlDir = join(root, `sql "copy"; [1]`);
    cpSync(join(import.meta.dirname, '..', '..', 'sql'), sqlDir, { recursive: true });
    const inbox = join(root, 'inbox');
    mkdirSync(inbox);
    cpSync(join(FIXTURES, 'motcua'), inbox, { recursive: true, filter: (f) => !f.endsWith('.csv') || /danh-muc|W01/.test(f) });
    const config = sampleConfig(dataDir, { motcua: inbox }, { CCHC__WAREHOUSE__SQL_DIR: sqlDir });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome, JSON.stringify(summary.errors)).toBe('success');
    expect(existsSync(join(dataDir, 'warehouse.duckdb'))).toBe(true);
    expect(existsSync(join(dataDir, 'publish', 'current', 'cchc.duckdb'))).toBe(true);
    // Nothing beside the three folders the test made.
    expect(readdirSync(root).sort()).toEqual([`data '; DROP [x]*`, 'inbox', `sql "copy"; [1]`].sort());
  });
});
