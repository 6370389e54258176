// The bad-input corpus of the workbooks: one-stop-shop XLSX exports and budget execution
// reports, one test per hostile or broken file, each run through the job's extract and load
// stages. A workbook ends loaded, loaded with its bad rows quarantined, or refused with a message
// naming it and what to do; never a crash, and for every file loaded, rows read = rows loaded +
// rows quarantined. The small workbooks are written by test/fixtures/bad/make.ts; the zip bombs
// here, at test time.
import { copyFileSync, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import { runJob, type RunSummary } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { expectEveryLoadAccountedFor, expectLoaded, expectRefused, fileOutcomes, type FileOutcome } from '../load-accounting.js';

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const HEADER = ['Mã hồ sơ', 'Mã TTHC', 'Đơn vị tiếp nhận', 'Kênh nộp', 'Ngày tiếp nhận', 'Ngày hẹn trả', 'Trạng thái', 'Ngày cập nhật'];
const GIB = 1024 * 1024 * 1024;
const NOT_A_ZIP_ACTION = 'open it in a spreadsheet program to check it, and export it again as .xlsx; the file is not tried again until `cchc run --retry-failed` (a corrected export with new content loads by itself)';

/**
 * A workbook whose one sheet holds the export's header, then a row whose first cell is `bytes` of
 * spaces: about 1 MB of zip per GiB of sheet. yazl deflates it as it comes, so it is never whole
 * in memory here either.
 */
async function zipBomb(path: string, bytes: number): Promise<string> {
  const head = `<worksheet ${NS}><sheetData><row r="1">${HEADER.map((h, i) => `<c r="${'ABCDEFGH'[i]}1" t="inlineStr"><is><t>${h}</t></is></c>`).join('')}</row><row r="2"><c r="A2" t="inlineStr"><is><t>`;
  const spaces = Buffer.alloc(1024 * 1024, ' ');
  function* sheet() {
    yield Buffer.from(head);
    for (let i = 0; i < bytes / spaces.length; i++) yield spaces;
    yield Buffer.from('</t></is></c></row></sheetData></worksheet>');
  }
  const zip = new ZipFile();
  zip.addReadStreamLazy('xl/worksheets/sheet1.xml', { compressionLevel: 9 }, (done) => done(null, Readable.from(sheet())));
  addWorkbookParts(zip);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
  return path;
}

/** A workbook whose zip says its 20 MB sheet is 4 KB: a bomb that lies about its size. */
async function understatedSheet(path: string): Promise<string> {
  const rows = Array.from({ length: 100_000 }, (_, i) => `<row r="${i + 2}"><c r="A${i + 2}" t="inlineStr"><is><t>HS-${i}</t></is></c></row>`).join('');
  const zip = new ZipFile();
  zip.addBuffer(Buffer.from(`<worksheet ${NS}><sheetData>${rows.repeat(3)}</sheetData></worksheet>`), 'xl/worksheets/sheet1.xml');
  addWorkbookParts(zip);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
  // The uncompressed size of the sheet's entry in the zip's central directory, as a lying writer puts it.
  const bytes = readFileSync(path);
  const centralEntry = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
  for (let at = bytes.indexOf(centralEntry); at >= 0; at = bytes.indexOf(centralEntry, at + 4)) {
    const nameLength = bytes.readUInt16LE(at + 28);
    if (bytes.toString('utf8', at + 46, at + 46 + nameLength) === 'xl/worksheets/sheet1.xml') bytes.writeUInt32LE(4096, at + 24);
  }
  writeFileSync(path, bytes);
  return path;
}

function addWorkbookParts(zip: ZipFile): void {
  zip.addBuffer(Buffer.from(`<workbook ${NS}><sheets><sheet name="Hồ sơ" sheetId="1" r:id="rId1"/></sheets></workbook>`), 'xl/workbook.xml');
  zip.addBuffer(
    Buffer.from('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
    'xl/_rels/workbook.xml.rels',
  );
}

// One bomb for both sources, begun before the runs: deflating a GiB takes a few seconds.
const bombDir = tempDir();
let bomb: Promise<string> | undefined;
const oneBomb = () => (bomb ??= zipBomb(join(bombDir, 'bomb.xlsx'), GIB));

describe('one-stop-shop XLSX exports (motcua)', () => {
  const dir = tempDir();
  const names = ['ho-so-formulas.xlsx', 'ho-so-merged.xlsx', 'ho-so-hidden-sheet.xlsx', 'ho-so-html-table.xlsx'];
  const inbox = inboxWith(dir, names.map((name) => `bad/motcua/${name}`));
  const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
  let load: RunSummary;
  let outcomes: Map<string, FileOutcome>;
  let raw: Record<string, unknown>[];

  beforeAll(async () => {
    copyFileSync(await oneBomb(), join(inbox, 'ho-so-zip-bomb.xlsx'));
    await understatedSheet(join(inbox, 'ho-so-understated.xlsx'));
    await runJob(config, capturedLog().log, { only: 'extract' });
    load = await runJob(config, capturedLog().log, { only: 'load' });
    outcomes = await fileOutcomes(config.paths.warehouse);
    raw = await queryFile(config.paths.warehouse, 'SELECT _file AS file, _row AS row, dossier_id, receiving_unit, channel, received_at, due_at, status, updated_at FROM raw.motcua__dossiers ORDER BY _file, _row');
  });

  const rowsOf = (file: string) => raw.filter((r) => r.file === file).map(({ file: _, ...row }) => row);

  it('refuses a zip bomb, a 1 MB workbook whose sheet inflates to 1 GiB, before inflating it', () => {
    expectRefused(
      outcomes.get('ho-so-zip-bomb.xlsx'),
      /^ho-so-zip-bomb\.xlsx: cannot be read as an XLSX workbook: its part xl\/worksheets\/sheet1\.xml would inflate 1,0\d\d times, from 1,0\d\d,\d\d\d bytes to 1,024 MB: a zip bomb, made to exhaust memory \(no export compresses more than 100 times\)$/,
    );
    expect(load.errors.find((e) => e.message.startsWith('ho-so-zip-bomb.xlsx'))?.action).toBe(NOT_A_ZIP_ACTION);
  });

  it('stops reading a sheet that inflates beyond the size its zip declares', () => {
    expectRefused(
      outcomes.get('ho-so-understated.xlsx'),
      'ho-so-understated.xlsx: cannot be read as an XLSX workbook: its part xl/worksheets/sheet1.xml inflates to more than the 4,096 bytes its zip declares',
    );
  });

  it('refuses an HTML table named .xlsx, which is no zip, naming it and what to do', () => {
    expectRefused(outcomes.get('ho-so-html-table.xlsx'), 'ho-so-html-table.xlsx: cannot be read as an XLSX workbook: End of central directory record signature not found. Either not a zip file, or file is truncated.');
    expect(load.errors.find((e) => e.message.startsWith('ho-so-html-table.xlsx'))?.action).toBe(NOT_A_ZIP_ACTION);
  });

  it('reads the results Excel saved with the formulas, dates by their style', () => {
    expectLoaded(outcomes.get('ho-so-formulas.xlsx'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rowsOf('ho-so-formulas.xlsx')).toEqual([
      { row: 2, dossier_id: 'XF-1', receiving_unit: 'Phòng Tư pháp', channel: '2', received_at: '2024-01-02 08:00:00', due_at: '2024-01-09 08:00:00', status: 'Đang xử lý', updated_at: '2024-01-02 08:00:00' },
      { row: 3, dossier_id: 'XF-2', receiving_unit: 'Phòng Tư pháp', channel: '1', received_at: '2024-01-03 09:00:00', due_at: '2024-01-06 00:00:00', status: 'Đã tiếp nhận', updated_at: '2024-01-03 09:00:00' },
    ]);
  });

  it('finds the header under a merged title block, and gives a value merged down a column to every row it spans', () => {
    expectLoaded(outcomes.get('ho-so-merged.xlsx'), { read: 4, loaded: 4, quarantined: 0 });
    expect(rowsOf('ho-so-merged.xlsx').map((r) => [r.row, r.dossier_id, r.receiving_unit])).toEqual([
      [4, 'MG-1', 'UBND phường Đồng Sơn'],
      [5, 'MG-2', 'UBND phường Đồng Sơn'],
      [6, 'MG-3', 'UBND phường Đồng Sơn'],
      [7, 'MG-4', 'Phòng Tư pháp'],
    ]);
  });

  it('reads the first visible sheet, not the hidden lists of the drop-downs before it', () => {
    expectLoaded(outcomes.get('ho-so-hidden-sheet.xlsx'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rowsOf('ho-so-hidden-sheet.xlsx').map((r) => r.dossier_id)).toEqual(['HD-1', 'HD-2']);
  });

  it('ends the run with each refused workbook named, the others loaded, and every row accounted for', () => {
    expect(load.outcome).toBe('failed');
    expect(load.errors.map((e) => e.message.split(':')[0]).sort()).toEqual(['ho-so-html-table.xlsx', 'ho-so-understated.xlsx', 'ho-so-zip-bomb.xlsx']);
    expectEveryLoadAccountedFor(outcomes);
  });
});

describe('budget execution workbooks (ngansach)', () => {
  const dir = tempDir();
  const names = ['bao-cao-ngan-sach-dong.xlsx', 'bao-cao-ngan-sach-usd.xlsx', 'bao-cao-ngan-sach-no-period.xlsx', 'bao-cao-ngan-sach-hidden-notes.xlsx'];
  const inbox = inboxWith(dir, names.map((name) => `bad/ngansach/${name}`));
  const config = sampleConfig(join(dir, 'data'), { ngansach: inbox });
  let load: RunSummary;
  let outcomes: Map<string, FileOutcome>;
  let staged: Record<string, unknown>[];

  beforeAll(async () => {
    copyFileSync(await oneBomb(), join(inbox, 'bao-cao-ngan-sach-zip-bomb.xlsx'));
    copyFileSync(join(FIXTURES, 'bad/motcua/ho-so-html-table.xlsx'), join(inbox, 'bao-cao-ngan-sach-html.xlsx'));
    await runJob(config, capturedLog().log, { only: 'extract' });
    load = await runJob(config, capturedLog().log, { only: 'load' });
    await runJob(config, capturedLog().log, { only: 'transform' });
    outcomes = await fileOutcomes(config.paths.warehouse);
    staged = await queryFile(config.paths.warehouse, 'SELECT report_period, item_path, estimate_mvnd, actual_cumulative_mvnd FROM staging.stg_ngansach__budget_lines ORDER BY report_period, item_path');
  });

  it('loads a report printed in đồng, and stages its amounts in millions like the others', () => {
    expectLoaded(outcomes.get('bao-cao-ngan-sach-dong.xlsx'), { read: 3, loaded: 3, quarantined: 0 });
    expect(staged.filter((s) => s.report_period === '2024-Q1')).toEqual([
      { report_period: '2024-Q1', item_path: 'A', estimate_mvnd: 1_710_000, actual_cumulative_mvnd: 349_353 },
      { report_period: '2024-Q1', item_path: 'A.I', estimate_mvnd: 407_100, actual_cumulative_mvnd: 83_000 },
      { report_period: '2024-Q1', item_path: 'B', estimate_mvnd: 1_013_000, actual_cumulative_mvnd: 201_500 },
    ]);
  });

  it('quarantines the lines of a report in a unit it does not know, naming the unit', () => {
    expectLoaded(outcomes.get('bao-cao-ngan-sach-usd.xlsx'), { read: 3, loaded: 0, quarantined: 3 });
    expect(outcomes.get('bao-cao-ngan-sach-usd.xlsx')!.quarantined.map((q) => q.reason)).toEqual(
      Array(3).fill('amount_unit, from the title block (amount_unit): unknown budget_unit "USD"'),
    );
  });

  it('refuses a report whose title names no period, saying which forms it reads', () => {
    expectRefused(
      outcomes.get('bao-cao-ngan-sach-no-period.xlsx'),
      'bao-cao-ngan-sach-no-period.xlsx: the title block names no period ("QUÝ I NĂM 2024", "6 THÁNG ĐẦU NĂM 2023", "NĂM 2023")',
    );
    expect(outcomes.get('bao-cao-ngan-sach-no-period.xlsx')!.failure!.action).toMatch(/^export the report with its title, or name the period in it;/);
  });

  it('reads the visible report of a workbook whose first sheet is hidden notes', () => {
    expectLoaded(outcomes.get('bao-cao-ngan-sach-hidden-notes.xlsx'), { read: 3, loaded: 3, quarantined: 0 });
    expect(staged.filter((s) => s.report_period === '2024-Q3').map((s) => s.actual_cumulative_mvnd)).toEqual([1_200_000, 1_200_000, 1_200_000]);
  });

  it('refuses a zip bomb before exceljs inflates it', () => {
    expectRefused(outcomes.get('bao-cao-ngan-sach-zip-bomb.xlsx'), /^bao-cao-ngan-sach-zip-bomb\.xlsx: cannot be read as an XLSX workbook: its part xl\/worksheets\/sheet1\.xml would inflate 1,0\d\d times/);
  });

  it('refuses an HTML table named .xlsx', () => {
    expectRefused(outcomes.get('bao-cao-ngan-sach-html.xlsx'), 'bao-cao-ngan-sach-html.xlsx: cannot be read as an XLSX workbook: End of central directory record signature not found. Either not a zip file, or file is truncated.');
  });

  it('ends the run with each refused report named, the others loaded, and every row accounted for', () => {
    expect(load.outcome).toBe('failed');
    expect(load.errors.map((e) => e.message.split(':')[0]).sort()).toEqual(['bao-cao-ngan-sach-html.xlsx', 'bao-cao-ngan-sach-no-period.xlsx', 'bao-cao-ngan-sach-zip-bomb.xlsx']);
    expectEveryLoadAccountedFor(outcomes);
  });
});
