// The bad-input corpus of the text exports: one test per hostile or broken file, each run through
// the job's extract and load stages as the nightly run meets it. A file ends loaded, loaded with
// its bad rows quarantined (the reason naming the column and the value), or refused with a
// message naming it and what to do; never a crash, and for every file loaded, rows read = rows
// loaded + rows quarantined. Fixtures: test/fixtures/bad/ (and bad/encodings/, whose readers are
// tested in test/connectors/encoding.test.ts; here their loads are accounted for).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runJob, type RunSummary } from '../../pipelines/run.js';
import { capturedLog, FIXTURES, inboxWith, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { expectEveryLoadAccountedFor, expectLoaded, expectRefused, fileOutcomes, type FileOutcome } from '../load-accounting.js';

const REFUSED_ACTION_SUFFIX = '; the file is not tried again until `cchc run --retry-failed` (a corrected export with new content loads by itself)';

type Staged = Record<string, unknown>;

/** A dossier row of raw, its dates, codes and amounts read by the macros staging reads them with. */
type RawDossier = { file: string; row: number; dossier_id: string; received_at: string | null; due_at: string | null; updated_at: string | null; status_code: string | null; fee_vnd: number | null; receiving_unit: string | null; procedure_code: string | null };

describe('one-stop-shop CSV exports (motcua)', () => {
  const dir = tempDir();
  const names = readdirSync(join(FIXTURES, 'bad/motcua')).filter((name) => name.endsWith('.csv'));
  const inbox = inboxWith(dir, ['motcua/danh-muc-tthc.csv', ...names.map((name) => `bad/motcua/${name}`)]);
  const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
  const debug = capturedLog('debug');
  let load: RunSummary;
  let outcomes: Map<string, FileOutcome>;
  let raw: RawDossier[];
  let staged: Map<string, Staged>;
  let warnings: { test_name: string; sample: string }[];

  beforeAll(async () => {
    await runJob(config, capturedLog().log, { only: 'extract' });
    load = await runJob(config, debug.log, { only: 'load' });
    // The files refused above do not keep the others from being built.
    await runJob(config, capturedLog().log, { only: 'transform' });
    outcomes = await fileOutcomes(config.paths.warehouse);
    raw = await queryFile<RawDossier>(
      config.paths.warehouse,
      `SELECT _file AS file, _row AS row, dossier_id, vn_timestamp(received_at)::VARCHAR AS received_at, vn_timestamp(due_at)::VARCHAR AS due_at,
              vn_timestamp(updated_at)::VARCHAR AS updated_at, code_of('status', status) AS status_code, vn_amount(fee_vnd)::DOUBLE AS fee_vnd,
              unit_at(r.receiving_unit, vn_timestamp(r.received_at)::DATE) AS receiving_unit, procedure_code
       FROM raw.motcua__dossiers AS r ORDER BY _file, _row`,
    );
    staged = new Map((await queryFile<Staged>(config.paths.warehouse, 'SELECT * FROM staging.stg_motcua__dossiers')).map((r) => [String(r.dossier_id), r]));
    warnings = await queryFile(config.paths.warehouse, `SELECT test_name, sample::VARCHAR AS sample FROM ops.test_results WHERE severity = 'warn' AND status <> 'pass'`);
  });

  const of = (file: string) => outcomes.get(file);
  const rawOf = (file: string) => raw.filter((r) => r.file === file);
  const reasons = (file: string) => of(file)!.quarantined.map((q) => [q.row, q.reason]);
  const errorOf = (file: string) => load.errors.find((e) => e.message.startsWith(`${file}:`));

  it('refuses an empty file, naming it and what to do', () => {
    expect(errorOf('ho-so-empty.csv')).toEqual({
      stage: 'load',
      source: 'motcua',
      message: 'ho-so-empty.csv: the file is empty',
      action: `check the export job that wrote it and export again${REFUSED_ACTION_SUFFIX}`,
    });
    expectRefused(of('ho-so-empty.csv'), 'ho-so-empty.csv: the file is empty');
  });

  it('loads a file of a header alone as no rows: a week without dossiers', () => {
    expectLoaded(of('ho-so-header-only.csv'), { read: 0, loaded: 0, quarantined: 0 });
  });

  it('refuses a file of blank lines, which has no header', () => {
    expectRefused(of('ho-so-blank-lines.csv'), 'ho-so-blank-lines.csv: the first line holds no column names');
    expect(errorOf('ho-so-blank-lines.csv')?.action).toBe(`export the file with its header row${REFUSED_ACTION_SUFFIX}`);
  });

  it('quarantines the last record of a file cut short, with its text, and loads the rows before it', () => {
    expectLoaded(of('ho-so-truncated.csv'), { read: 3, loaded: 2, quarantined: 1 });
    const [cut] = of('ho-so-truncated.csv')!.quarantined;
    expect(cut).toMatchObject({ row: 4, record: 'TR-3,1.000001,Phòng Tư ph' });
    expect(cut!.reason).toMatch(/^missing columns: Expected Number of Columns: 8 Found: 3\b/);
  });

  // DuckDB reports a short record once per missing column ("Found: 3; … Found: 4; … Found: 7"):
  // connectors/formats/csv.ts says it once, with the number of fields the row has.
  it('says once how many fields a record cut short has', () => {
    const [cut] = of('ho-so-truncated.csv')!.quarantined;
    expect(cut!.reason).toBe('missing columns: Expected Number of Columns: 8 Found: 3');
  });

  it('quarantines from an unclosed quote to the end of the file as one record, naming the line it opens on', () => {
    expectLoaded(of('ho-so-unbalanced-quote.csv'), { read: 2, loaded: 1, quarantined: 1 });
    const [open] = of('ho-so-unbalanced-quote.csv')!.quarantined;
    expect(open).toMatchObject({ row: 3, reason: 'unquoted value: Value with unterminated quote found.' });
    // The rows the quote swallowed are in the record kept, not lost.
    expect(open!.record).toMatch(/^UQ-2,1\.000001,"Phòng Tư pháp,.*\nUQ-3,.*\nUQ-4,/s);
  });

  it('finds ";" as the delimiter', () => {
    expectLoaded(of('ho-so-semicolon.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rawOf('ho-so-semicolon.csv').map((r) => [r.dossier_id, r.receiving_unit])).toEqual([['SC-1', 'DH.TP'], ['SC-2', 'DH.DONGSON']]);
  });

  it('finds TAB as the delimiter', () => {
    expectLoaded(of('ho-so-tab.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rawOf('ho-so-tab.csv').map((r) => [r.dossier_id, r.received_at])).toEqual([['TB-1', '2024-01-02 08:00:00'], ['TB-2', '2024-01-02 08:00:00']]);
  });

  it('reads CRLF line endings without a carriage return left in the last column', () => {
    expectLoaded(of('ho-so-crlf.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rawOf('ho-so-crlf.csv').map((r) => [r.row, r.updated_at])).toEqual([[2, '2024-01-02 08:00:00'], [3, '2024-01-02 08:00:00']]);
  });

  it('matches headers with stray spaces and no-break spaces', () => {
    expectLoaded(of('ho-so-header-spaces.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(rawOf('ho-so-header-spaces.csv')).toMatchObject([{ dossier_id: 'HS-1', procedure_code: '1.000001', receiving_unit: 'DH.TP', status_code: '2' }]);
  });

  it('refuses a file without a required column, naming the column and what to do', () => {
    expect(errorOf('ho-so-missing-due-date.csv')).toEqual({
      stage: 'load',
      source: 'motcua',
      message: 'ho-so-missing-due-date.csv: missing required column due_at (e.g. "Ngày hẹn trả")',
      action: `re-export the file with this column, or, if the file names it differently, add that header under sources.<source>.header_aliases in the config${REFUSED_ACTION_SUFFIX}`,
    });
    expectRefused(of('ho-so-missing-due-date.csv'), 'ho-so-missing-due-date.csv: missing required column due_at (e.g. "Ngày hẹn trả")');
  });

  it('refuses a file with two columns that mean the same, naming both and the position', () => {
    expectRefused(of('ho-so-duplicate-column.csv'), 'ho-so-duplicate-column.csv: columns "Mã hồ sơ" and "Số hồ sơ" (position 9) both mean dossier_id');
    expect(errorOf('ho-so-duplicate-column.csv')?.action).toBe(`remove one of the two columns from the export, or rename it if it means something else${REFUSED_ACTION_SUFFIX}`);
  });

  it('loads a file with columns the contract does not know, leaving them out and saying which', () => {
    expectLoaded(of('ho-so-extra-columns.csv'), { read: 2, loaded: 2, quarantined: 0 });
    const said = debug.lines().find((l) => l.file === 'ho-so-extra-columns.csv' && l.msg === 'columns the contract does not know were left out');
    expect(said?.columns).toEqual(['STT', 'Cán bộ tiếp nhận', 'Ghi chú']);
  });

  it('loads columns in another order into their own columns', () => {
    expectLoaded(of('ho-so-reordered.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(rawOf('ho-so-reordered.csv')).toMatchObject([
      { dossier_id: 'RO-1', procedure_code: '1.000002', receiving_unit: 'DH.DONGSON', received_at: '2024-01-02 08:00:00', due_at: '2024-01-12 00:00:00', status_code: '4', updated_at: '2024-01-03 09:00:00' },
    ]);
  });

  it('quarantines a row with too few fields and one with too many, by their lines', () => {
    expectLoaded(of('ho-so-ragged.csv'), { read: 4, loaded: 2, quarantined: 2 });
    expect(of('ho-so-ragged.csv')!.quarantined.map((q) => [q.row, q.reason.split(':')[0], q.record])).toEqual([
      [3, 'missing columns', 'RG-2,1.000001,Phòng Tư pháp'],
      [4, 'too many columns', 'RG-3,1.000001,Phòng Tư pháp,Trực tuyến,02/01/2024 08:00:00,10/01/2024,Đã tiếp nhận,02/01/2024 08:00:00,thừa,thừa nữa'],
    ]);
    expect(rawOf('ho-so-ragged.csv').map((r) => [r.row, r.dossier_id])).toEqual([[2, 'RG-1'], [5, 'RG-4']]);
  });

  it('quarantines rows without a required value, naming the column', () => {
    expectLoaded(of('ho-so-empty-required.csv'), { read: 3, loaded: 1, quarantined: 2 });
    expect(reasons('ho-so-empty-required.csv')).toEqual([
      [3, 'Mã hồ sơ (dossier_id): empty, a value is required'],
      [4, 'Trạng thái (status): empty, a value is required'],
    ]);
  });

  it('reads dates as dd/mm/yyyy, with or without a time', () => {
    expectLoaded(of('ho-so-dates-dmy.csv'), { read: 2, loaded: 2, quarantined: 0 });
    expect(rawOf('ho-so-dates-dmy.csv').map((r) => [r.received_at, r.due_at, r.updated_at])).toEqual([
      ['2024-01-02 08:00:00', '2024-01-10 00:00:00', '2024-01-02 08:00:00'],
      ['2024-01-02 00:00:00', '2024-01-10 00:00:00', '2024-01-02 00:00:00'],
    ]);
  });

  it('reads d/m/yy, Excel\'s short dates, in this century', () => {
    expectLoaded(of('ho-so-dates-short-year.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(rawOf('ho-so-dates-short-year.csv').map((r) => [r.received_at, r.due_at, r.updated_at])).toEqual([['2024-01-02 08:00:00', '2024-01-10 00:00:00', '2024-01-02 08:00:00']]);
  });

  it('reads dd-mm-yyyy HH:mm', () => {
    expectLoaded(of('ho-so-dates-dashes.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(rawOf('ho-so-dates-dashes.csv').map((r) => [r.received_at, r.due_at])).toEqual([['2024-01-02 08:00:00', '2024-01-10 00:00:00']]);
  });

  it('reads ISO dates and times', () => {
    expectLoaded(of('ho-so-dates-iso.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(rawOf('ho-so-dates-iso.csv').map((r) => [r.received_at, r.due_at, r.updated_at])).toEqual([['2024-01-02 08:00:00', '2024-01-10 00:00:00', '2024-01-02 08:00:00']]);
  });

  it('quarantines Excel serial numbers in a CSV, which carry no sign of being dates, naming each column and value', () => {
    expectLoaded(of('ho-so-dates-excel-serial.csv'), { read: 1, loaded: 0, quarantined: 1 });
    expect(reasons('ho-so-dates-excel-serial.csv')).toEqual([
      [2, 'Ngày tiếp nhận (received_at): unreadable date "45293.3333333333"; Ngày hẹn trả (due_at): unreadable date "45301"; Ngày cập nhật (updated_at): unreadable date "45293.3333333333"'],
    ]);
  });

  it('quarantines impossible dates and times: 31/02, 29/02 of a common year, 25:00', () => {
    expectLoaded(of('ho-so-dates-impossible.csv'), { read: 4, loaded: 1, quarantined: 3 });
    expect(reasons('ho-so-dates-impossible.csv')).toEqual([
      [2, 'Ngày tiếp nhận (received_at): unreadable date "31/02/2024 08:00:00"; Ngày cập nhật (updated_at): unreadable date "31/02/2024 08:00:00"'],
      [3, 'Ngày tiếp nhận (received_at): unreadable date "29/02/2023"; Ngày cập nhật (updated_at): unreadable date "29/02/2023"'],
      [4, 'Ngày tiếp nhận (received_at): unreadable date "02/01/2024 25:00:00"; Ngày cập nhật (updated_at): unreadable date "02/01/2024 25:00:00"'],
    ]);
  });

  it('loads a dossier due before it was received, as the source system holds it', () => {
    expectLoaded(of('ho-so-due-before-receipt.csv'), { read: 1, loaded: 1, quarantined: 0 });
    expect(staged.get('DB-1')).toMatchObject({ received_at: new Date('2024-01-15T08:00:00Z'), due_at: new Date('2024-01-05T00:00:00Z') });
  });

  // A dossier due before it was received is counted late: a warn test lists it, as
  // dq_results_before_reception lists results before the reception.
  it('lists a dossier due before it was received in a data-quality warning', () => {
    expect(warnings.filter((w) => w.sample.includes('DB-1'))).toHaveLength(1);
  });

  it('reads amounts with "." grouping thousands and "," for decimals, and spaces between groups', () => {
    expectLoaded(of('ho-so-amounts-vn.csv'), { read: 4, loaded: 4, quarantined: 0 });
    expect(rawOf('ho-so-amounts-vn.csv').map((r) => r.fee_vnd)).toEqual([1234500.5, 50000, 98.85, 1500000]);
  });

  it('quarantines amounts written with a decimal point or "," grouping, which would read a hundred or a thousand times off', () => {
    expectLoaded(of('ho-so-amounts-decimal-point.csv'), { read: 2, loaded: 0, quarantined: 2 });
    expect(reasons('ho-so-amounts-decimal-point.csv')).toEqual([
      [2, 'Phí, lệ phí (fee_vnd): not an amount "150000.00"'],
      [3, 'Phí, lệ phí (fee_vnd): not an amount "1,234,500"'],
    ]);
  });

  // A negative fee would lower the fees of its unit: the sync API refuses one (DanhSachLePhi.Gia
  // is nonnegative), and the contract of the file exports does too.
  it('quarantines a negative fee, naming the column and the value', () => {
    expectLoaded(of('ho-so-amounts-negative.csv'), { read: 1, loaded: 0, quarantined: 1 });
    expect(reasons('ho-so-amounts-negative.csv')).toEqual([[2, 'Phí, lệ phí (fee_vnd): negative, an amount of 0 or more is expected "-50.000"']]);
  });

  it('quarantines amounts too large for any fee, naming the column and the value', () => {
    expectLoaded(of('ho-so-amounts-absurd.csv'), { read: 2, loaded: 0, quarantined: 2 });
    expect(reasons('ho-so-amounts-absurd.csv')).toEqual([
      [2, 'Phí, lệ phí (fee_vnd): not an amount "99.999.999.999.999.999.999"'],
      [3, 'Phí, lệ phí (fee_vnd): not an amount "1e308"'],
    ]);
  });

  it('reads a status given as its code', () => {
    expectLoaded(of('ho-so-status-codes.csv'), { read: 3, loaded: 3, quarantined: 0 });
    expect(rawOf('ho-so-status-codes.csv').map((r) => r.status_code)).toEqual(['4', '10', '2']);
  });

  it('reads a status given in words, whatever their case and diacritics, or an alias', () => {
    expectLoaded(of('ho-so-status-words.csv'), { read: 4, loaded: 4, quarantined: 0 });
    expect(rawOf('ho-so-status-words.csv').map((r) => r.status_code)).toEqual(['4', '10', '2', '5']);
  });

  it('quarantines an unknown status, word or code, naming the value', () => {
    expectLoaded(of('ho-so-status-unknown.csv'), { read: 3, loaded: 1, quarantined: 2 });
    expect(reasons('ho-so-status-unknown.csv')).toEqual([
      [2, 'Trạng thái (status): unknown status "Đang chờ phép màu"'],
      [3, 'Trạng thái (status): unknown status "11"'],
    ]);
  });

  it('loads a dossier repeated in one file as its versions, and stages it once, at its latest', () => {
    expectLoaded(of('ho-so-duplicate-rows.csv'), { read: 4, loaded: 4, quarantined: 0 });
    expect(staged.get('DU-1')).toMatchObject({ versions: 2, status_code: 2, _row: 3 });
    expect(staged.get('DU-2')).toMatchObject({ versions: 2, status_code: 10, updated_at: new Date('2024-01-05T16:00:00Z') });
  });

  it('quarantines a header repeated inside the file (exports pasted together), and loads the rows around it', () => {
    expectLoaded(of('ho-so-repeated-header.csv'), { read: 3, loaded: 2, quarantined: 1 });
    expect(reasons('ho-so-repeated-header.csv')).toEqual([
      [3, 'Đơn vị tiếp nhận (receiving_unit): unknown unit "Đơn vị tiếp nhận"; Kênh nộp (channel): unknown channel "Kênh nộp"; Ngày tiếp nhận (received_at): unreadable date "Ngày tiếp nhận"; Ngày hẹn trả (due_at): unreadable date "Ngày hẹn trả"; Trạng thái (status): unknown status "Trạng thái"; Ngày cập nhật (updated_at): unreadable date "Ngày cập nhật"'],
    ]);
  });

  it('refuses binary bytes named .csv, naming the encodings tried and what to do', () => {
    expect(errorOf('ho-so-garbage.csv')).toEqual({
      stage: 'load',
      source: 'motcua',
      message: 'ho-so-garbage.csv: the file is not text in any encoding tried (UTF-8, UTF-16 with a byte-order mark, Windows-1258, VNI-Windows, TCVN3): it holds NUL bytes, as binary files and UTF-16 without a byte-order mark do',
      action: `check that it is the CSV export and not a workbook, an archive or another file renamed .csv; if it is, save it as "CSV UTF-8" and drop it in the inbox again${REFUSED_ACTION_SUFFIX}`,
    });
  });

  it('ends the run with each refused file named, the others loaded, every row accounted for, and the quarantine over its limit', () => {
    expect(load.outcome).toBe('failed');
    expect(load.errors.map((e) => e.message.split(':')[0]).sort()).toEqual([
      'ho-so-blank-lines.csv', 'ho-so-duplicate-column.csv', 'ho-so-empty.csv', 'ho-so-garbage.csv', 'ho-so-missing-due-date.csv', 'motcua.dossiers',
    ]);
    // A corpus of broken rows is far beyond what a night quarantines by accident.
    expect(load.errors.find((e) => e.message.startsWith('motcua.'))!.message).toMatch(/^motcua\.dossiers: \d+ of \d+ rows read are quarantined \([\d.]+ %\), more than limits\.max_quarantine_rate \(0\.5 %\)/);
    expect(load.stages.load!.loads).toHaveLength(names.length + 1 - 5);
    expectEveryLoadAccountedFor(outcomes);
  });

  // A 50 MB field goes beyond DuckDB's maximum line size, which DuckDB reports as "Value with
  // unterminated quote found." with the text of the row before it: the row is quarantined with a
  // reason that says it is too long, and where the limit is set.
  it('quarantines a row with a 50 MB field, saying it is too long, and loads the rows around it', async () => {
    const big = tempDir();
    const header = 'Mã hồ sơ,Mã TTHC,Đơn vị tiếp nhận,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái,Ngày cập nhật,Tên thủ tục';
    const row = (id: string, name: string) => `${id},1.000001,Phòng Tư pháp,Trực tuyến,02/01/2024 08:00:00,10/01/2024,Đã tiếp nhận,02/01/2024 08:00:00,${name}`;
    const inbox = join(big, 'inbox');
    mkdirSync(inbox);
    writeFileSync(join(inbox, 'ho-so-big-field.csv'), `${header}\n${row('BF-1', 'Đăng ký khai sinh')}\n${row('BF-2', `"${'Đăng ký kết hôn '.repeat(3_000_000).slice(0, 50 * 1024 * 1024)}"`)}\n${row('BF-3', 'Đăng ký khai sinh')}\n`);
    const bigConfig = sampleConfig(join(big, 'data'), { motcua: inbox });
    await runJob(bigConfig, capturedLog().log, { only: 'extract' });
    const summary = await runJob(bigConfig, capturedLog().log, { only: 'load' });
    expect(summary.outcome).toBe('success');
    const outcome = (await fileOutcomes(bigConfig.paths.warehouse)).get('ho-so-big-field.csv');
    expectLoaded(outcome, { read: 3, loaded: 2, quarantined: 1 });
    const [long] = outcome!.quarantined;
    expect(long!.row).toBe(3);
    expect(long!.reason).toMatch(/too long|line size|longer than/i);
    expect(long!.record.startsWith('BF-2,')).toBe(true);
  });
});
