// The limits of the config: a file too big or with too many records is refused with a message
// that names it and the limit, a line too long is quarantined, and the other files load.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { runJob } from '../../pipelines/run.js';
import { sampleLayout } from '../../sample/index.js';
import { capturedLog, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';

const HEADER = 'Mã hồ sơ,Mã TTHC,Đơn vị tiếp nhận,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Ngày cập nhật';
const row = (id: string, unit = 'Phòng Tư pháp') => `${id},1.000001,${unit},Trực tiếp,02/01/2024 08:00:00,10/01/2024,Đã tiếp nhận,02/01/2024 08:00:00`;

async function run(files: Record<string, string>, env: Record<string, string>) {
  const dir = tempDir();
  const inbox = inboxWith(dir, ['motcua/danh-muc-tthc.csv']);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(inbox, name), text);
  const config = sampleConfig(join(dir, 'data'), { motcua: inbox }, env);
  const summary = await runJob(config, capturedLog().log);
  const loads = await queryFile<{ file_name: string; rows_read: number; rows_loaded: number; rows_quarantined: number }>(
    config.paths.warehouse,
    "SELECT file_name, rows_read, rows_loaded, rows_quarantined FROM ops.loads WHERE file_name LIKE 'ho-so%' ORDER BY file_name",
  );
  return { summary, loads, config };
}

describe('the limits of an export', () => {
  it('refuses a file larger than limits.max_file_mb before reading it, and loads the others', async () => {
    const big = [HEADER, ...Array.from({ length: 40 }, (_, i) => row(`BIG-${i}`))].join('\n');
    const { summary, loads } = await run({ 'ho-so-big.csv': big, 'ho-so-small.csv': [HEADER, row('S1')].join('\n') }, { CCHC__LIMITS__MAX_FILE_MB: '0.002' });
    // The only source failed: the run failed, and published nothing.
    expect(summary.outcome).toBe('failed');
    expect(summary.errors[0]).toMatchObject({
      message: 'ho-so-big.csv: is 0.00458 MB, more than limits.max_file_mb (0.002 MB)',
      action: expect.stringMatching(/^split the export \(by week or month\), or raise limits\.max_file_mb in the config if the machine has the memory and disk for it; the file is not tried again until `cchc run --retry-failed`/),
    });
    expect(loads).toEqual([{ file_name: 'ho-so-small.csv', rows_read: 1, rows_loaded: 1, rows_quarantined: 0 }]);
  });

  it('refuses a CSV export or a workbook with more records than limits.max_rows_per_file', async () => {
    const rows = [HEADER, ...Array.from({ length: 12 }, (_, i) => row(`R-${i}`))].join('\n');
    const { summary, loads } = await run({ 'ho-so-many.csv': rows, 'ho-so-few.csv': [HEADER, row('F1')].join('\n') }, { CCHC__LIMITS__MAX_ROWS_PER_FILE: '10' });
    expect(summary.errors.map((e) => e.message)).toEqual(['ho-so-many.csv: holds 12 lines of records, more than limits.max_rows_per_file (10)']);
    expect(loads.map((l) => l.file_name)).toEqual(['ho-so-few.csv']);

    // The budget workbooks go through another reader.
    const dir = tempDir();
    const config = sampleConfig(join(dir, 'data'), { ngansach: sampleLayout(inject('sampleDir')).ngansachInbox }, { CCHC__LIMITS__MAX_ROWS_PER_FILE: '10' });
    const budget = await runJob(config, capturedLog().log);
    // The same cause in every workbook: said once, with the files.
    expect(budget.errors.map((e) => e.message)).toEqual([
      '5 files (bao-cao-ngan-sach-2023-Q1.xlsx, bao-cao-ngan-sach-2023-Q2.xlsx, bao-cao-ngan-sach-2023-Q3.xlsx and 2 more): holds 30 records, more than limits.max_rows_per_file (10)',
    ]);
  });

  it('quarantines a line longer than limits.max_row_kb with its reason, and loads the lines around it', async () => {
    const long = row('LONG', `Phòng ${'x'.repeat(70 * 1024)}`);
    const { summary, loads, config } = await run({ 'ho-so-long.csv': [HEADER, row('L1'), long, row('L3')].join('\n') }, { CCHC__LIMITS__MAX_ROW_KB: '64' });
    expect(summary.outcome).toBe('success');
    expect(loads).toEqual([{ file_name: 'ho-so-long.csv', rows_read: 3, rows_loaded: 2, rows_quarantined: 1 }]);
    const [held] = await queryFile<{ row_number: number; reason: string }>(config.paths.warehouse, 'SELECT row_number, reason FROM ops.quarantine');
    expect(held).toEqual({ row_number: 3, reason: expect.stringMatching(/^line size over maximum: Maximum line size of 65536 bytes exceeded\..* \(limits\.max_row_kb\)$/) });
  });
});
