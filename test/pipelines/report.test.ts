// The report workbook of a period, written from the release of the whole sample and read back
// with exceljs, cell by cell against the published Parquet and the figures of the report.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CchcError } from '../../core/errors.js';
import { literal } from '../../core/warehouse.js';
import { writeReport } from '../../pipelines/outputs/report/workbook.js';
import { query, tempDir } from '../helpers.js';
import { runCchc, writeConfig } from '../processes.js';

const SHEETS = ['Biểu 06', 'Số hóa', 'DVC trực tuyến', 'Thanh toán trực tuyến', 'PAKN và hài lòng', 'Ngân sách', 'Chỉ số CCHC'];

/** Each unit sheet and the mart columns of its columns (3), (4)…, in order. */
const UNIT_SHEETS: Record<string, { mart: string; columns: string[] }> = {
  'Biểu 06': {
    mart: 'fct_tthc_resolution',
    columns: [
      'received_total', 'received_online', 'received_direct', 'carried_over',
      'resolved_total', 'resolved_early', 'resolved_on_time', 'resolved_late',
      'in_progress_total', 'in_progress_within', 'in_progress_overdue',
      'stopped_total', 'on_time_rate',
    ],
  },
  'Số hóa': {
    mart: 'fct_digitization',
    columns: ['dossiers_requiring_digitization', 'dossiers_digitized', 'dossier_digitization_rate', 'results_total', 'results_digitized', 'result_digitization_rate'],
  },
  'DVC trực tuyến': { mart: 'fct_online_service', columns: ['dossiers_of_online_procedures', 'dossiers_online', 'online_rate'] },
  'Thanh toán trực tuyến': { mart: 'fct_online_payment', columns: ['online_dossiers_with_fee', 'online_paid', 'online_payment_rate'] },
  'PAKN và hài lòng': {
    mart: 'fct_feedback_satisfaction',
    columns: ['feedback_received', 'feedback_answered', 'feedback_answered_on_time', 'ratings_total', 'ratings_satisfied', 'satisfaction_rate'],
  },
};

/** Rows 1–5 are the heading, 6–7 the header, 8 the column numbers. */
const NUMBER_ROW = 8;

describe('the report workbook', () => {
  const release = join(inject('publishDir'), 'current');
  const dir = tempDir('cchc-report-');
  const workbooks: Record<string, ExcelJS.Workbook> = {};
  const written: Record<string, { out: string; sheets: string[] }> = {};
  const mart = (name: string) => `read_parquet(${literal(join(release, 'marts', `${name}.parquet`))})`;

  beforeAll(async () => {
    for (const period of ['2023', '2024-Q1']) {
      written[period] = await writeReport({ releaseDir: release, period, out: join(dir, `bao-cao-${period}.xlsx`) });
      workbooks[period] = new ExcelJS.Workbook();
      await workbooks[period].xlsx.readFile(written[period].out);
    }
  });

  const sheet = (period: string, name: string) => workbooks[period]!.getWorksheet(name)!;

  /** The row whose label (column 2 unless told) reads `label`. */
  function rowLabelled(ws: ExcelJS.Worksheet, label: string, column = 2): ExcelJS.Row {
    for (let n = NUMBER_ROW + 1; n <= ws.rowCount; n++) if (ws.getRow(n).getCell(column).value === label) return ws.getRow(n);
    throw new Error(`no row "${label}" in ${ws.name}`);
  }

  /** The figures of a row from column 3 on, as many as `count`. */
  const figures = (row: ExcelJS.Row, count: number) => Array.from({ length: count }, (_, i) => row.getCell(3 + i).value);

  async function martRow(name: string, period: string, unit = 'DH'): Promise<Record<string, unknown>> {
    const [row] = await query(`SELECT * FROM ${mart(name)} WHERE period_key = ${literal(period)} AND unit_code = ${literal(unit)}`);
    return row!;
  }

  it('writes a workbook for 2023 that exceljs opens, one sheet per table', () => {
    expect(written['2023']!.out).toBe(join(dir, 'bao-cao-2023.xlsx'));
    expect(written['2023']!.sheets).toEqual(SHEETS);
    expect(workbooks['2023']!.worksheets.map((ws) => ws.name)).toEqual(SHEETS);
  });

  it('gives Biểu 06 the two-row header of the form, columns numbered 1 to 13, then the stopped dossiers and the on-time rate', () => {
    const ws = sheet('2023', 'Biểu 06');
    const text = (row: number, col: number) => ws.getCell(row, col).value;
    expect([text(6, 1), text(6, 2)]).toEqual(['STT', 'Đơn vị']);
    expect([text(6, 3), text(6, 7), text(6, 11)]).toEqual(['Số hồ sơ nhận giải quyết', 'Số hồ sơ đã giải quyết', 'Số hồ sơ đang giải quyết']);
    expect(Array.from({ length: 11 }, (_, i) => text(7, 3 + i))).toEqual([
      'Tổng số', 'Trực tuyến', 'Trực tiếp, dịch vụ bưu chính', 'Từ kỳ trước chuyển qua',
      'Tổng số', 'Trước hạn', 'Đúng hạn', 'Quá hạn',
      'Tổng số', 'Trong hạn', 'Quá hạn',
    ]);
    expect([text(6, 14), text(6, 15)]).toEqual(['Số hồ sơ dừng xử lý, rút, từ chối', 'Tỷ lệ giải quyết trước và đúng hạn']);
    expect(Array.from({ length: 15 }, (_, i) => text(NUMBER_ROW, i + 1))).toEqual(Array.from({ length: 15 }, (_, i) => `(${i + 1})`));
    const merges = (ws.model as { merges: string[] }).merges;
    expect(merges).toEqual(expect.arrayContaining(['A6:A7', 'B6:B7', 'C6:F6', 'G6:J6', 'K6:M6', 'N6:N7', 'O6:O7']));
  });

  it('puts the city total of 2023 in Biểu 06 as the mart has it, which reproduces the report', async () => {
    const total = figures(rowLabelled(sheet('2023', 'Biểu 06'), 'Tổng cộng'), 13);
    const fromMart = await martRow('fct_tthc_resolution', '2023');
    expect(total).toEqual(UNIT_SHEETS['Biểu 06']!.columns.map((c) => fromMart[c]));
    const [received, online, direct, carried, resolved, early, onTime, , , within, overdue, stopped] = total as number[];
    expect({ received, online, direct, carried, resolved, earlyOrOnTime: early! + onTime!, within, overdue, stopped }).toEqual({
      received: 15_755, online: 7_870, direct: 6_989, carried: 896, resolved: 14_404, earlyOrOnTime: 12_210, within: 51, overdue: 45, stopped: 1_255,
    });
  });

  it('lists the city-level agencies, then the communes and wards, each under its level and as the mart has them', async () => {
    const ws = sheet('2023', 'Biểu 06');
    const units = await query<{ unit_name: string; level: string; received_total: number; resolved_total: number }>(
      `SELECT unit_name, level, received_total, resolved_total FROM ${mart('fct_tthc_resolution')} WHERE period_key = '2023' AND scope = 'unit'`,
    );
    expect(units).toHaveLength(27);
    const at = (label: string) => rowLabelled(ws, label).number;
    for (const unit of units) {
      const row = rowLabelled(ws, unit.unit_name);
      expect([row.getCell(3).value, row.getCell(7).value]).toEqual([unit.received_total, unit.resolved_total]);
      const [section, next] = unit.level === 'city' ? ['Cấp thành phố', 'Cấp xã, phường'] : ['Cấp xã, phường', undefined];
      expect(row.number).toBeGreaterThan(at(section));
      if (next) expect(row.number).toBeLessThan(at(next));
    }
    expect(at('Tổng cộng')).toBe(NUMBER_ROW + 1);
    expect(rowLabelled(ws, 'Cấp thành phố').getCell(1).value).toBe('I');
    expect(rowLabelled(ws, 'Cấp xã, phường').getCell(1).value).toBe('II');
  });

  it('shows the 2023 dossier digitization rate as 78,51 %, a number with a percent format', async () => {
    const cell = rowLabelled(sheet('2023', 'Số hóa'), 'Tổng cộng').getCell(5);
    expect(cell.value as number).toBeCloseTo(0.7851, 4);
    expect(cell.value).toBe((await martRow('fct_digitization', '2023')).dossier_digitization_rate);
    expect(cell.numFmt).toBe('0.00 %');
  });

  it('shows the 2023 online payment rate as 25,50 %', async () => {
    const row = rowLabelled(sheet('2023', 'Thanh toán trực tuyến'), 'Tổng cộng');
    expect(figures(row, 2)).toEqual([3_506, 894]);
    expect(row.getCell(5).value as number).toBeCloseTo(0.255, 4);
    expect(row.getCell(5).value).toBe((await martRow('fct_online_payment', '2023')).online_payment_rate);
  });

  it('fills the total and level rows of every unit sheet of Q1 2024 from the marts of that quarter', async () => {
    for (const [name, { mart: martName, columns }] of Object.entries(UNIT_SHEETS)) {
      const ws = sheet('2024-Q1', name);
      for (const [label, unit] of [['Tổng cộng', 'DH'], ['Cấp thành phố', 'DH/city'], ['Cấp xã, phường', 'DH/commune']] as const) {
        const fromMart = await martRow(martName, '2024-Q1', unit);
        expect(figures(rowLabelled(ws, label), columns.length), `${name}, ${label}`).toEqual(columns.map((c) => fromMart[c] ?? '-'));
      }
    }
    const total = figures(rowLabelled(sheet('2024-Q1', 'Biểu 06'), 'Tổng cộng'), 13);
    expect(total.slice(0, 4)).toEqual([2_409, 1_487, 826, 96]);
    expect(total.slice(9, 12)).toEqual([410, 11, 0]);
  });

  it('formats counts as #,##0 and rates as 0.00 %, which Vietnamese Excel shows as 15.755 and 78,51 %', () => {
    const total = rowLabelled(sheet('2023', 'Biểu 06'), 'Tổng cộng');
    for (let col = 3; col <= 14; col++) expect(total.getCell(col).numFmt).toBe('#,##0');
    expect(total.getCell(15).numFmt).toBe('0.00 %');
    expect(total.getCell(3).font.bold).toBe(true);
    expect(total.getCell(3).border.top?.style).toBe('thin');
  });

  it('shows the headline budget lines of the period in millions of đồng', async () => {
    const ws = sheet('2023', 'Ngân sách');
    expect(ws.getCell(5, 6).value).toBe('Đơn vị tính: triệu đồng');
    const lines = await query<{ item_name: string; estimate_mvnd: number; actual_period_mvnd: number; actual_cumulative_mvnd: number; execution_rate: number }>(
      `SELECT item_name, estimate_mvnd, actual_period_mvnd, actual_cumulative_mvnd, execution_rate
       FROM ${mart('fct_budget_execution')} WHERE period_key = '2023' AND item_key IS NOT NULL ORDER BY item_path`,
    );
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(figures(rowLabelled(ws, line.item_name), 4)).toEqual([line.estimate_mvnd, line.actual_period_mvnd, line.actual_cumulative_mvnd, line.execution_rate]);
    }
    const revenue = rowLabelled(ws, 'TỔNG THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN');
    expect(revenue.getCell(5).value).toBe(1_419_246);
    expect(revenue.getCell(3).numFmt).toBe('#,##0');
  });

  it('shows the PAR criteria of the last year assessed, 7.2.4 scoring 0 for 2023 as published', () => {
    for (const period of ['2023', '2024-Q1']) {
      const ws = sheet(period, 'Chỉ số CCHC');
      expect(ws.getCell(3, 1).value).toBe('KẾT QUẢ MỘT SỐ TIÊU CHÍ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2023');
      const row = rowLabelled(ws, '7.2.4');
      expect([row.getCell(4).value, row.getCell(5).value, row.getCell(8).value]).toEqual([1, 0, 0]);
      expect(row.getCell(7).value as number).toBeCloseTo(0.4399, 4);
    }
  });

  it('names the reporting unit, the unit it reports to and the period in the heading of every sheet', () => {
    for (const [period, label] of [['2023', 'Năm 2023'], ['2024-Q1', 'Quý I/2024']] as const) {
      for (const ws of workbooks[period]!.worksheets) {
        expect(ws.getCell(1, 1).value, ws.name).toBe('Đơn vị báo cáo: UBND thành phố Đồng Hới');
        expect(ws.getCell(2, 1).value, ws.name).toBe('Đơn vị nhận báo cáo: UBND tỉnh Quảng Bình');
        expect(String(ws.getCell(4, 1).value), ws.name).toContain(`Kỳ báo cáo: ${label} (từ ngày `);
      }
    }
    expect(sheet('2024-Q1', 'Biểu 06').getCell(4, 1).value).toBe('Kỳ báo cáo: Quý I/2024 (từ ngày 01/01/2024 đến ngày 31/03/2024)');
  });

  it('freezes the header and the unit column, and prints landscape on pages one wide, numbered from 1 in each sheet', () => {
    for (const ws of workbooks['2023']!.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: NUMBER_ROW });
      expect(ws.pageSetup).toMatchObject({ orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 1, firstPageNumber: 1, printTitlesRow: '6:8' });
      expect(ws.headerFooter.oddFooter).toBe(`&L${ws.name}&RTrang &P/1`);
    }
    expect(sheet('2023', 'Biểu 06').views[0]).toMatchObject({ xSplit: 2 });
  });

  it('lists the units of both sides of the 2025 reform in the year it happened, each with its dates, under the levels of the register', async () => {
    const out = join(tempDir('cchc-report-2025-'), 'bao-cao-2025.xlsx');
    await writeReport({ releaseDir: release, period: '2025', out });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(out);
    const ws = workbook.getWorksheet('Biểu 06')!;
    const rows: [unknown, unknown][] = [];
    for (let n = NUMBER_ROW + 1; n <= ws.rowCount; n++) rows.push([ws.getRow(n).getCell(1).value, ws.getRow(n).getCell(2).value]);
    expect(rows.filter(([stt]) => typeof stt === 'string' && /^[IVX]+$/.test(stt))).toEqual([['I', 'Cấp thành phố'], ['II', 'Cấp tỉnh'], ['III', 'Cấp xã, phường']]);
    const labels = rows.map(([, label]) => label);
    // Two wards of one name, told apart by their dates; Nam Lý ended on 30 June.
    expect(labels).toContain('UBND phường Đồng Sơn (đến 30/06/2025)');
    expect(labels).toContain('UBND phường Đồng Sơn (từ 01/07/2025)');
    expect(labels).toContain('UBND phường Nam Lý (đến 30/06/2025)');
    expect(ws.getCell(1, 1).value).toBe('Đơn vị báo cáo: UBND tỉnh Quảng Trị');
    expect(ws.getCell(2, 1).value).toBe('Đơn vị nhận báo cáo: Văn phòng Chính phủ');
    expect(ws.getCell(3, 1).value).toBe('TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH – ĐỒNG HỚI');
  });

  it('leaves only the finished workbooks in the output folder', () => {
    expect(readdirSync(dir).sort()).toEqual(['bao-cao-2023.xlsx', 'bao-cao-2024-Q1.xlsx']);
  });

  it('fails on an unknown period with the complete years and quarters, and writes nothing', async () => {
    const out = join(dir, 'bao-cao-2027-Q1.xlsx');
    const error = await writeReport({ releaseDir: release, period: '2027-Q1', out }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CchcError);
    const { message, action, exitCode } = error as CchcError;
    expect(message.replace(realpathSync(release), '<release>')).toMatchInlineSnapshot(
      `"no period "2027-Q1" in the release <release> (complete years: 2023, 2024, 2025; complete quarters: 2022-Q4, 2023-Q1, 2023-Q2, 2023-Q3, 2023-Q4, 2024-Q1, 2024-Q2, 2024-Q3, 2024-Q4, 2025-Q1, 2025-Q2, 2025-Q3, 2025-Q4, 2026-Q1, 2026-Q2, 2026-Q3)"`,
    );
    expect(action).toMatchInlineSnapshot(
      `"pass --period with one of them, a year as 2023 or a quarter as 2024-Q1 (halves and months such as 2023-H2 or 2024-03 work too)"`,
    );
    expect(exitCode).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('is written by cchc report from the current release, and an unknown period exits 2', async () => {
    const config = writeConfig(tempDir(), {}, { warehouse: { data_dir: './data', publish_dir: inject('publishDir') } });
    const out = join(tempDir(), 'bao-cao.xlsx');
    const written = await runCchc(['report', '--period', '2024-Q1', '--out', out, '--config', config]);
    expect(written.code).toBe(0);
    expect(written.stdout).toBe(`wrote ${out} (Biểu 06, Số hóa, DVC trực tuyến, Thanh toán trực tuyến, PAKN và hài lòng, Ngân sách, Chỉ số CCHC)\n`);
    const unknown = await runCchc(['report', '--period', '2031', '--out', out, '--config', config]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^no period "2031" in the release /);
  });

  it('fails on a folder that is not a release, naming the marts it lacks', async () => {
    const error = await writeReport({ releaseDir: dir, period: '2023', out: join(dir, 'x.xlsx') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CchcError);
    expect((error as CchcError).message).toContain('fct_tthc_resolution.parquet');
    expect((error as CchcError).action).toContain('npx cchc run');
  });
});
