// Reading the budget system's execution workbooks: the layout, the hierarchy, and the cells
// that are not numbers.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { readBudgetWorkbook, reportPeriod } from '../../connectors/formats/budget-workbook.js';
import { INCOMING } from '../../connectors/formats/incoming.js';
import { ngansach } from '../../connectors/ngansach.js';
import { sampleLayout } from '../../connectors/sample/index.js';
import { SourceFileError } from '../../pipelines/errors.js';
import { writeBudgetReport } from '../budget-report.js';
import { memoryWarehouse, tempDir } from '../helpers.js';

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
