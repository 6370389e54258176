// Landing and loading real export files: what happens to bad files and bad rows, to files seen
// before, and to the published release when a run fails.
import { copyFileSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { runJob } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';

function setUp(files: string[]) {
  const dir = tempDir();
  const inbox = inboxWith(dir, files);
  const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
  return { dir, inbox, config };
}

describe('loading exports', () => {
  it('fails a CSV without a required column with a message naming the file and the column', async () => {
    const { config } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-missing-column.csv']);
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('failed');
    expect(summary.stages.publish).toBeUndefined();
    expect(summary.errors).toMatchInlineSnapshot(`
      [
        {
          "action": "re-export the file with this column, or, if the file names it differently, add that header under sources.<source>.header_aliases in the config; the file is not tried again until \`cchc run --retry-failed\` (a corrected export with new content loads by itself)",
          "message": "ho-so-missing-column.csv: missing required column received_at (e.g. "Ngày tiếp nhận")",
          "source": "motcua",
          "stage": "load",
        },
      ]
    `);
  });

  it('quarantines a row with an unreadable date or an unknown status, with the reason, and loads the rest', async () => {
    const { config } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-bad-values.csv']);
    const summary = await runJob(config, capturedLog().log);
    const load = summary.stages.load!.loads.find((l) => l.file === 'ho-so-bad-values.csv')!;
    expect(load).toMatchObject({ rowsRead: 3, rowsLoaded: 1, rowsQuarantined: 2 });
    const quarantined = await queryFile(
      config.paths.warehouse,
      'SELECT file_name, row_number, reason FROM ops.quarantine ORDER BY row_number',
    );
    expect(quarantined).toEqual([
      { file_name: 'ho-so-bad-values.csv', row_number: 3, reason: 'Ngày tiếp nhận (received_at): unreadable date "31/02/2024 08:00:00"' },
      { file_name: 'ho-so-bad-values.csv', row_number: 4, reason: 'Trạng thái (status): unknown status "Đang chờ phép màu"' },
    ]);
    const [loads] = await queryFile(config.paths.warehouse, 'SELECT sum(rows_read) AS r, sum(rows_loaded) AS l, sum(rows_quarantined) AS q FROM ops.loads');
    expect(loads).toEqual({ r: 6, l: 4, q: 2 });
  });

  it("counts an open dossier without a due date as in progress, and one received by the city itself under the city's own desk", async () => {
    const { config } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-edge-cases.csv']);
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('success');
    expect(await queryFile(config.paths.warehouse, 'SELECT count(*)::INTEGER AS n FROM ops.quarantine')).toEqual([{ n: 0 }]);
    const file = join(summary.stages.publish!.releaseDir, 'marts', 'fct_tthc_resolution.parquet');
    // The data start in March 2024, so March is the first period published.
    const march = await queryFile(
      ':memory:',
      `SELECT unit_code, level, received_total, in_progress_within, in_progress_overdue FROM read_parquet('${file}')
       WHERE period_key = '2024-03' AND unit_code IN ('DH', 'DH/city', 'DH.MC', 'DH.DONGSON') ORDER BY unit_code`,
    );
    // "UBND thành phố Đồng Hới" receives at its one-stop-shop desk, DH.MC, a unit of the city
    // level in the register; P has no due date, so it is never overdue.
    expect(march).toEqual([
      { unit_code: 'DH', level: null, received_total: 2, in_progress_within: 2, in_progress_overdue: 0 },
      { unit_code: 'DH.DONGSON', level: 'commune', received_total: 1, in_progress_within: 1, in_progress_overdue: 0 },
      { unit_code: 'DH.MC', level: 'city', received_total: 1, in_progress_within: 1, in_progress_overdue: 0 },
      { unit_code: 'DH/city', level: 'city', received_total: 1, in_progress_within: 1, in_progress_overdue: 0 },
    ]);
  });

  it('does not retry a file that failed, loads its corrected export, and retries it when asked', async () => {
    const { config, inbox } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-missing-column.csv']);
    const failed = await runJob(config, capturedLog().log);
    expect(failed.outcome).toBe('failed');

    const { log, lines } = capturedLog();
    const next = await runJob(config, log);
    expect(next.outcome).toBe('success');
    expect(next.stages.load!.failedBefore).toEqual(['ho-so-missing-column.csv']);
    expect(lines().some((l) => l.level === 40 && String(l.msg).includes('not retried'))).toBe(true);

    copyFileSync(join(FIXTURES, 'motcua/ho-so-2024-W01.csv'), join(inbox, 'ho-so-missing-column-corrected.csv'));
    const corrected = await runJob(config, capturedLog().log);
    expect(corrected.stages.load!.loads.map((l) => l.file)).toEqual(['ho-so-missing-column-corrected.csv']);

    const retried = await runJob(config, capturedLog().log, { retryFailed: true });
    expect(retried.outcome).toBe('failed');
    expect(retried.errors[0]!.message).toContain('ho-so-missing-column.csv: missing required column received_at');
  });

  it('skips a file whose content was landed before, even under another name', async () => {
    const { config, inbox } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']);
    const first = await runJob(config, capturedLog().log);
    copyFileSync(join(inbox, 'ho-so-2024-W01.csv'), join(inbox, 'ho-so-2024-W01-copy.csv'));
    const second = capturedLog();
    const secondRun = await runJob(config, second.log);
    expect(first.stages.extract).toMatchObject({ landed: 2, skipped: 0 });
    expect(secondRun.stages.extract).toMatchObject({ landed: 0, skipped: 3 });
    const skippedCopy = (lines: Record<string, unknown>[]) => lines.filter((l) => String(l.msg).startsWith('the content of this file was landed before'));
    expect(skippedCopy(second.lines())).toMatchObject([{ file: 'ho-so-2024-W01-copy.csv' }]);
    const [raw] = await queryFile(config.paths.warehouse, 'SELECT count(*) AS n FROM raw.motcua__dossiers');
    expect(raw).toEqual({ n: 6 });

    // The night after, the copy is known by its name, size and time: not copied and hashed again.
    const third = capturedLog();
    expect((await runJob(config, third.log)).stages.extract).toMatchObject({ landed: 0, skipped: 3 });
    expect(skippedCopy(third.lines())).toEqual([]);
  });

  it('keeps the last good release current when a run fails', async () => {
    const { config, inbox } = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']);
    const good = await runJob(config, capturedLog().log);
    const current = join(config.paths.publishDir, 'current');
    expect(readlinkSync(current)).toBe(join('releases', good.runId));

    copyFileSync(join(FIXTURES, 'motcua/ho-so-missing-column.csv'), join(inbox, 'ho-so-missing-column.csv'));
    const bad = await runJob(config, capturedLog().log);
    expect(bad.outcome).toBe('failed');
    expect(readlinkSync(current)).toBe(join('releases', good.runId));
  });

  it('loads an XLSX export like its CSV twin', async () => {
    const { dir, config } = setUp(['motcua/danh-muc-tthc.csv']);
    const rows = parse(readFileSync(join(FIXTURES, 'motcua/ho-so-2024-W01.csv'))) as string[][];
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Danh sách hồ sơ');
    for (const row of rows) sheet.addRow(row.map((v) => (v === '' ? null : v)));
    await workbook.xlsx.writeFile(join(dir, 'inbox', 'ho-so-2024-W01.xlsx'));

    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('success');
    const xlsxRows = await queryFile(config.paths.warehouse, 'SELECT * EXCLUDE (_load_id, _file) FROM raw.motcua__dossiers ORDER BY _row');

    const twin = setUp(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']);
    await runJob(twin.config, capturedLog().log);
    const csvRows = await queryFile(twin.config.paths.warehouse, 'SELECT * EXCLUDE (_load_id, _file) FROM raw.motcua__dossiers ORDER BY _row');
    expect(xlsxRows).toHaveLength(6);
    expect(xlsxRows).toEqual(csvRows);
  });

  it('loads files a batch each, two batches at a time, exactly as in one batch: rows, row numbers, quarantine and failures', async () => {
    const files = ['danh-muc-tthc.csv', 'ho-so-2024-W01.csv', 'ho-so-bad-values.csv', 'ho-so-missing-column.csv', 'ho-so-2024-W13.csv', 'ho-so-edge-cases.csv', 'ho-so-2024-W14.csv'];
    const load = async (env: Record<string, string>) => {
      const dir = tempDir();
      const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, files.map((f) => `motcua/${f}`)) }, env);
      const summary = await runJob(config, capturedLog().log);
      const query = (sql: string) => queryFile(config.paths.warehouse, sql);
      return {
        loads: summary.stages.load!.loads.map(({ loadId: _, ...l }) => l),
        failures: summary.stages.load!.failures.map((f) => [f.file, f.cause]),
        ops: await query('SELECT file_name, rows_read, rows_loaded, rows_quarantined FROM ops.loads ORDER BY file_name'),
        raw: await query('SELECT * EXCLUDE (_load_id) FROM raw.motcua__dossiers ORDER BY _file, _row'),
        quarantine: await query('SELECT file_name, row_number, reason FROM ops.quarantine ORDER BY file_name, row_number'),
        failed: await query('SELECT file_name, error FROM ops.load_failures'),
        // Numbered in the order the files landed, whichever batch loaded first: the latest load of a key wins.
        numbered: await query('SELECT l.file_name FROM ops.loads AS l JOIN ops.landed_files AS f USING (sha256) ORDER BY l.load_id'),
        landed: await query('SELECT original_name AS file_name FROM ops.landed_files WHERE sha256 IN (SELECT sha256 FROM ops.loads) ORDER BY landed_at, original_name'),
      };
    };
    const whole = await load({});
    // A batch holds one file when no two fit in it: seven batches, the bad file's alone.
    const byFile = await load({ CCHC__DUCKDB__LOAD_BATCH_MB: '0.000001' });
    expect(byFile).toEqual(whole);
    expect(byFile.numbered).toEqual(byFile.landed);
    expect(whole.loads.map((l) => l.file).sort()).toEqual(files.filter((f) => f !== 'ho-so-missing-column.csv').sort());
    expect(whole.failures).toEqual([['ho-so-missing-column.csv', 'missing required column received_at (e.g. "Ngày tiếp nhận")']]);
    expect(whole.raw).toHaveLength(19);
    expect(whole.quarantine).toHaveLength(2);
  });
});
