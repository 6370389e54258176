// Reading the budget execution workbooks, as the budget system prints them and as the disclosure
// forms of Circular 343/2016/TT-BTC lay them out: the layout, the hierarchy, and the cells that are
// not numbers; and a disclosure form through the load stage and staging.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { amountUnit, readBudgetWorkbook, reportPeriod } from '../../connectors/formats/budget-workbook.js';
import { INCOMING } from '../../connectors/formats/incoming.js';
import { ngansach } from '../../connectors/ngansach.js';
import { SourceFileError } from '../../core/errors.js';
import { runJob } from '../../pipelines/run.js';
import { sampleLayout } from '../../sample/index.js';
import { writeBudgetReport, writeDisclosureForm, type DisclosureForm } from '../budget-report.js';
import { capturedLog, memoryWarehouse, queryFile, sampleConfig, tempDir } from '../helpers.js';
import { expectLoaded, fileOutcomes, type FileOutcome } from '../load-accounting.js';

const lines = ngansach.tables.budget_lines!;

describe('reading a budget execution workbook', () => {
  const db = memoryWarehouse();
  const dir = tempDir();

  it('places each line in the hierarchy of its STT codes, with "trong đó" lines under their parent', async () => {
    const path = await writeBudgetReport(join(dir, 'tree.xlsx'), ['BÁO CÁO THỰC HIỆN DỰ TOÁN QUÝ I NĂM 2024', 'Đơn vị tính: triệu đồng'], [
      ['A', 'TỔNG THU', 100, 20, 20, 20],
      ['I', 'Thu cân đối', 60, 12, 12, 20],
      ['1', 'Thuế', 40, 8, 8, 20],
      ['1.1', 'Thuế thu nhập', 10, 2, 2, 20],
      ['2', 'Phí', 20, 4, 4, 20],
      ['-', 'Trong đó: lệ phí trước bạ', 5, 1, 1, 20],
      ['II', 'Thu tiền sử dụng đất', 40, 8, 8, 20],
      ['B', 'TỔNG CHI', 90, '-', null, null],
    ]);
    const result = await readBudgetWorkbook(db(), path, 'tree.xlsx', lines, {});
    expect(result.rowsRead).toBe(8);
    expect(await db().all(`SELECT item_code, item_path, estimate, actual_cumulative FROM ${INCOMING} ORDER BY _row`)).toEqual([
      { item_code: 'A', item_path: 'A', estimate: '100', actual_cumulative: '20' },
      { item_code: 'I', item_path: 'A.I', estimate: '60', actual_cumulative: '12' },
      { item_code: '1', item_path: 'A.I.1', estimate: '40', actual_cumulative: '8' },
      { item_code: '1.1', item_path: 'A.I.1.1', estimate: '10', actual_cumulative: '2' },
      { item_code: '2', item_path: 'A.I.2', estimate: '20', actual_cumulative: '4' },
      { item_code: '-', item_path: 'A.I.2.-1', estimate: '5', actual_cumulative: '1' },
      { item_code: 'II', item_path: 'A.II', estimate: '40', actual_cumulative: '8' },
      // "-" and a blank cell are no figure, not zero.
      { item_code: 'B', item_path: 'B', estimate: '90', actual_cumulative: null },
    ]);
    expect(await db().one(`SELECT DISTINCT report_period, amount_unit FROM ${INCOMING}`)).toEqual({ report_period: '2024-Q1', amount_unit: 'triệu đồng' });
  });

  it('reads the period from the title as the budget system words it', () => {
    expect(reportPeriod('BÁO CÁO … QUÝ I NĂM 2024', 'f')).toBe('2024-Q1');
    expect(reportPeriod('BÁO CÁO … QUÝ III NĂM 2023', 'f')).toBe('2023-Q3');
    expect(reportPeriod('BÁO CÁO … 6 THÁNG ĐẦU NĂM 2023', 'f')).toBe('2023-Q2');
    expect(reportPeriod('BÁO CÁO … 9 THÁNG NĂM 2023', 'f')).toBe('2023-Q3');
    expect(reportPeriod('BÁO CÁO … NĂM 2023\n(Kèm theo Báo cáo số 14/BC-TCKH ngày 10/01/2024)', 'f')).toBe('2023-Q4');
    expect(reportPeriod('BÁO CÁO … QUÝ 3 NĂM 2024', 'f')).toBe('2024-Q3');
    expect(reportPeriod('Báo cáo … Quý 3/2024', 'f')).toBe('2024-Q3');
    expect(reportPeriod('BÁO CÁO … QUÝ III/2024', 'f')).toBe('2024-Q3');
    expect(reportPeriod('BÁO CÁO … 06 THÁNG ĐẦU NĂM 2024', 'f')).toBe('2024-Q2');
    expect(() => reportPeriod('BÁO CÁO THỰC HIỆN DỰ TOÁN', 'f.xlsx')).toThrow(SourceFileError);
  });

  it('refuses a workbook whose title block gives no unit, since its amounts cannot be read without one', async () => {
    const path = await writeBudgetReport(join(dir, 'nounit.xlsx'), ['BÁO CÁO THỰC HIỆN DỰ TOÁN QUÝ I NĂM 2024'], [['A', 'TỔNG THU', 100, 20, 20, 20]]);
    await expect(readBudgetWorkbook(db(), path, 'nounit.xlsx', lines, {})).rejects.toThrow('nounit.xlsx: the title block has no "Đơn vị tính" (unit of the amounts)');
  });

  it('reads the sample workbook printed in đồng, through its formulas and merged headers, keeping the unit for staging to convert', async () => {
    const dongs = join(sampleLayout(inject('sampleDir')).ngansachInbox, 'bao-cao-ngan-sach-2023-Q2.xlsx');
    await readBudgetWorkbook(db(), dongs, 'q2.xlsx', lines, {});
    const total = await db().one<{ amount_unit: string; estimate: string; report_period: string }>(
      `SELECT amount_unit, estimate, report_period FROM ${INCOMING} WHERE item_path = 'A'`,
    );
    expect(total).toEqual({ amount_unit: 'đồng', estimate: '1710000000000', report_period: '2023-Q2' });
  });
});

/** Lines of a ward's revenue in the third quarter of 2024, millions of đồng: STT, Nội dung, Dự toán năm, quý III, lũy kế, % DT, % cùng kỳ. */
const Q3_LINES: (string | number | null)[][] = [
  ['A', 'TỔNG THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN', 1_057_000, 234_600, 731_800.5, 69.2, 104.1],
  ['I', 'Thu nội địa', 107_000, 23_800, 78_550.5, 73.4, 101.2],
  ['1', 'Thu từ khu vực doanh nghiệp nhà nước', 12_000, 2_800, 8_100, 67.5, 98],
  ['1.1', 'Doanh nghiệp nhà nước trung ương', 7_000, 1_600, 4_700, 67.1, 97.5],
  ['1.2', 'Doanh nghiệp nhà nước địa phương', 5_000, 1_200, 3_400, 68, 98.7],
  ['2', 'Lệ phí trước bạ', 95_000, 21_000, 70_450.5, 74.2, 101.6],
  ['-', 'Trong đó: lệ phí trước bạ nhà, đất', 40_000, '-', 28_000, 70, null],
  ['II', 'Thu tiền sử dụng đất', 950_000, 210_800, 653_250, 68.8, 104.5],
  ['B', 'THU BỔ SUNG TỪ NGÂN SÁCH CẤP TRÊN', 448_000, null, 336_000, 75, 100],
];

/** The form as a ward prints it: the reporting unit named "Đơn vị:" above the unit of the amounts, named the same way. */
function q3Form(overrides: Partial<DisclosureForm> = {}): DisclosureForm {
  return {
    title: [
      ['UBND THÀNH PHỐ ĐỒNG HỚI', null, null, null, null, null, 'Biểu số 93/CK-NSNN'],
      ['Đơn vị: UBND phường Đồng Sơn'],
      'CÂN ĐỐI NGÂN SÁCH PHƯỜNG ĐỒNG SƠN',
      'BÁO CÁO THỰC HIỆN DỰ TOÁN THU NGÂN SÁCH NHÀ NƯỚC QUÝ III NĂM 2024',
      '(Kèm theo Báo cáo số 215/BC-UBND ngày 10 tháng 10 năm 2024 của UBND phường Đồng Sơn)',
      [null, null, null, null, null, null, 'Đơn vị: Triệu đồng'],
    ],
    actuals: ['Ước thực hiện quý III', 'Lũy kế 9 tháng'],
    lines: Q3_LINES,
    ...overrides,
  };
}

/** The title of q3Form with its unit line and its report name replaced. */
function q3Title(unit: string, report: string): DisclosureForm['title'] {
  return [
    ['UBND THÀNH PHỐ ĐỒNG HỚI', null, null, null, null, null, 'Biểu số 93/CK-NSNN'],
    `BÁO CÁO THỰC HIỆN DỰ TOÁN THU NGÂN SÁCH NHÀ NƯỚC ${report}`,
    [null, null, null, null, null, null, unit],
  ];
}

const Q3_READ = [
  { item_code: 'A', item_path: 'A', estimate: '1057000', actual_period: '234600', actual_cumulative: '731800,5' },
  { item_code: 'I', item_path: 'A.I', estimate: '107000', actual_period: '23800', actual_cumulative: '78550,5' },
  { item_code: '1', item_path: 'A.I.1', estimate: '12000', actual_period: '2800', actual_cumulative: '8100' },
  { item_code: '1.1', item_path: 'A.I.1.1', estimate: '7000', actual_period: '1600', actual_cumulative: '4700' },
  { item_code: '1.2', item_path: 'A.I.1.2', estimate: '5000', actual_period: '1200', actual_cumulative: '3400' },
  { item_code: '2', item_path: 'A.I.2', estimate: '95000', actual_period: '21000', actual_cumulative: '70450,5' },
  { item_code: '-', item_path: 'A.I.2.-1', estimate: '40000', actual_period: null, actual_cumulative: '28000' },
  { item_code: 'II', item_path: 'A.II', estimate: '950000', actual_period: '210800', actual_cumulative: '653250' },
  { item_code: 'B', item_path: 'B', estimate: '448000', actual_period: null, actual_cumulative: '336000' },
];

describe('reading a disclosure form of Circular 343 (Biểu số 93/CK-NSNN)', () => {
  const db = memoryWarehouse();
  const dir = tempDir();
  const read = async (name: string, form: DisclosureForm) => {
    const result = await readBudgetWorkbook(db(), await writeDisclosureForm(join(dir, name), form), name, lines, {});
    return {
      rowsRead: result.rowsRead,
      lines: await db().all(`SELECT item_code, item_path, estimate, actual_period, actual_cumulative FROM ${INCOMING} ORDER BY _row`),
      report: await db().all(`SELECT DISTINCT report_period, amount_unit FROM ${INCOMING}`),
    };
  };

  it('reads every line under the column numbers, the quarter as the period actual and "Lũy kế 9 tháng" as the cumulative, never the rates', async () => {
    expect(await read('bieu-93.xlsx', q3Form())).toEqual({
      rowsRead: 9,
      lines: Q3_READ,
      // "Đơn vị: UBND phường Đồng Sơn" names the ward; "Đơn vị: Triệu đồng" the unit.
      report: [{ report_period: '2024-Q3', amount_unit: 'Triệu đồng' }],
    });
  });

  it.each([
    ['ĐVT: triệu đồng', 'QUÝ III NĂM 2024', 'triệu đồng', '2024-Q3'],
    ['Đơn vị tính: Triệu đồng', 'QUÝ 3 NĂM 2024', 'Triệu đồng', '2024-Q3'],
    ['ĐƠN VỊ TÍNH: TRIỆU ĐỒNG'.normalize('NFD'), 'Quý 3/2024', 'TRIỆU ĐỒNG', '2024-Q3'],
    ['(Đvt: nghìn đồng)', '6 THÁNG ĐẦU NĂM 2024', 'nghìn đồng', '2024-Q2'],
    ['Don vi tinh: ty dong', 'QUÝ IV NĂM 2024', 'ty dong', '2024-Q4'],
  ])('takes "%s" for the unit and "%s" for the period, and no column number for a line', async (unit, report, amount_unit, report_period) => {
    expect(await read('spelling.xlsx', q3Form({ title: q3Title(unit, report) }))).toEqual({ rowsRead: 9, lines: Q3_READ, report: [{ report_period, amount_unit }] });
  });

  it('reads a header retyped on one row, with the column numbers right under it', async () => {
    expect(await read('one-row.xlsx', q3Form({ oneHeaderRow: true }))).toMatchObject({ rowsRead: 9, lines: Q3_READ });
  });

  it('reads a header of one row with the first line right under it, taking that line for no second header row', async () => {
    expect(await read('one-row-no-numbers.xlsx', q3Form({ oneHeaderRow: true, noColumnNumbers: true }))).toMatchObject({ rowsRead: 9, lines: Q3_READ });
  });

  it('reads "Ước thực hiện 9 tháng" as the cumulative actual', async () => {
    const form = q3Form({ actuals: ['Ước thực hiện quý III', 'Ước thực hiện 9 tháng'] });
    expect(await read('uoc-9-thang.xlsx', form)).toMatchObject({ rowsRead: 9, lines: Q3_READ });
  });
});

describe('the unit of the amounts in a title block', () => {
  it('prefers "Đơn vị tính" or "ĐVT" to a plain "Đơn vị", and takes a plain "Đơn vị" only before an amount unit', () => {
    expect(amountUnit(['Đơn vị: triệu đồng', 'ĐVT: nghìn đồng'], 'f')).toBe('nghìn đồng');
    expect(amountUnit(['Đơn vị: UBND phường Đồng Sơn', 'Đơn vị: Triệu đồng'], 'f')).toBe('Triệu đồng');
    expect(amountUnit(['Đơn vị: UBND xã Bảo Ninh Đơn vị tính: Tr.đ'], 'f')).toBe('Tr.đ');
    expect(amountUnit(['BÁO CÁO … QUÝ I NĂM 2024 (Đơn vị: tỷ đồng)'], 'f')).toBe('tỷ đồng');
    expect(amountUnit(['Đơn vị tính: USD'], 'f')).toBe('USD');
  });

  it('refuses a title block whose only "Đơn vị" is the reporting unit', () => {
    expect(() => amountUnit(['UBND THÀNH PHỐ ĐỒNG HỚI', 'Đơn vị: UBND phường Đồng Sơn'], 'f.xlsx')).toThrow('f.xlsx: the title block has no "Đơn vị tính" (unit of the amounts)');
  });
});

describe('a disclosure form through the load stage and staging', () => {
  const dir = tempDir();
  const inbox = join(dir, 'inbox');
  const config = sampleConfig(join(dir, 'data'), { ngansach: inbox });
  let outcome: FileOutcome | undefined;
  let staged: Record<string, unknown>[];

  beforeAll(async () => {
    mkdirSync(inbox);
    await writeDisclosureForm(join(inbox, 'bieu-93-ngan-sach-quy-3-2024.xlsx'), q3Form({ title: q3Title('Đơn vị tính: Triệu đồng', 'QUÝ III NĂM 2024') }));
    for (const only of ['extract', 'load'] as const) await runJob(config, capturedLog().log, { only });
    await runJob(config, capturedLog().log, { only: 'transform', select: ['stg_ngansach__budget_lines'] });
    outcome = (await fileOutcomes(config.paths.warehouse)).get('bieu-93-ngan-sach-quy-3-2024.xlsx');
    staged = await queryFile(
      config.paths.warehouse,
      `SELECT report_period, item_path, parent_path, is_of_which, estimate_mvnd, actual_period_mvnd, actual_cumulative_mvnd
       FROM staging.stg_ngansach__budget_lines ORDER BY item_path`,
    );
  });

  it('loads every line and no column numbers, and stages the amounts typed, in millions of đồng', () => {
    expectLoaded(outcome, { read: 9, loaded: 9, quarantined: 0 });
    const line = (item_path: string, parent_path: string | null, estimate_mvnd: number, actual_period_mvnd: number | null, actual_cumulative_mvnd: number, is_of_which = false) =>
      ({ report_period: '2024-Q3', item_path, parent_path, is_of_which, estimate_mvnd, actual_period_mvnd, actual_cumulative_mvnd });
    expect(staged).toEqual([
      line('A', null, 1_057_000, 234_600, 731_800.5),
      line('A.I', 'A', 107_000, 23_800, 78_550.5),
      line('A.I.1', 'A.I', 12_000, 2_800, 8_100),
      line('A.I.1.1', 'A.I.1', 7_000, 1_600, 4_700),
      line('A.I.1.2', 'A.I.1', 5_000, 1_200, 3_400),
      line('A.I.2', 'A.I', 95_000, 21_000, 70_450.5),
      line('A.I.2.-1', 'A.I.2', 40_000, null, 28_000, true),
      line('A.II', 'A', 950_000, 210_800, 653_250),
      line('B', null, 448_000, null, 336_000),
    ]);
  });
});
