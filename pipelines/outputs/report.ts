// The report workbook an office sends to the province as is: Biểu 06 and the tables of
// digitization, online service, online payment, feedback, budget and PAR-index criteria for one
// period, read from the Parquet marts of a published release (what the dashboards show too).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, realpath, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import ExcelJS from 'exceljs';
import { literal, Warehouse, type Row } from '../../core/warehouse.js';
import { CchcError } from '../../core/errors.js';
import { syncPath } from '../../core/files.js';

export type ReportOptions = { releaseDir: string; period: string; out: string };
export type ReportResult = { out: string; sheets: string[] };

/** The period asked for is not one of the release: a wrong command line, hence exit code 2. */
export class UnknownPeriodError extends CchcError {
  override readonly exitCode = 2;
}

/** Writes the report workbook of `period` from the release in `releaseDir` to `out`, whole or not at all. */
export async function writeReport(options: ReportOptions): Promise<ReportResult> {
  // `current` resolved once: a publish during the report must not mix two releases in one workbook.
  const releaseDir = await realpath(options.releaseDir).catch(() => options.releaseDir);
  const contents = await readReport(releaseDir, options.period);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'cchc-warehouse';
  for (const sheet of contents.sheets) addSheet(workbook, contents.heading, sheet);
  const out = resolve(options.out);
  await saveWhole(workbook, out);
  return { out, sheets: contents.sheets.map((s) => s.name) };
}

// ---------------------------------------------------------------------------------------------
// What a sheet holds, independent of Excel.

type Kind = 'code' | 'label' | 'count' | 'rate' | 'amount' | 'points';
type Column = { header: string; group?: string; kind: Kind; width?: number };
type Value = string | number | null;
type Emphasis = 'total' | 'group' | 'item';
type TableRow = { cells: Value[]; emphasis: Emphasis };
type Sheet = {
  name: string;
  title: string;
  /** The form's number, printed top right, where the sheet is an official form. */
  form?: string;
  measuredIn: string;
  columns: Column[];
  rows: TableRow[];
  notes: string[];
};
type Heading = { reportingUnit: string; deployment: string; period: string; source: string };

/** A column of a unit table: a mart column under its Vietnamese header. */
type Measure = Omit<Column, 'kind'> & { field: string; kind: 'count' | 'rate' };
type UnitTable = Omit<Sheet, 'columns' | 'rows'> & { mart: FactMart; measures: Measure[] };

const count = (header: string, field: string, group?: string): Measure => ({ header, field, group, kind: 'count' });
const rate = (header: string, field: string, group?: string): Measure => ({ header, field, group, kind: 'rate' });

const RECEIVED = 'Số hồ sơ nhận giải quyết';
const RESOLVED = 'Số hồ sơ đã giải quyết';
const IN_PROGRESS = 'Số hồ sơ đang giải quyết';

// Columns 1–13 are those of the form, in its order (received: total, online, direct or postal,
// carried over; resolved: total, early, on time, late; in progress: total, within, overdue), which
// is also the order of the mart's columns. Stopped dossiers are not on the form, yet without them
// the received total does not add up (1,255 in 2023): they follow as column 14, with the rate.
const BIEU_06: UnitTable = {
  name: 'Biểu 06',
  form: 'Biểu 06',
  title: 'TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
  measuredIn: 'Đơn vị tính: hồ sơ',
  mart: 'fct_tthc_resolution',
  measures: [
    count('Tổng số', 'received_total', RECEIVED),
    count('Trực tuyến', 'received_online', RECEIVED),
    count('Trực tiếp, dịch vụ bưu chính', 'received_direct', RECEIVED),
    count('Từ kỳ trước chuyển qua', 'carried_over', RECEIVED),
    count('Tổng số', 'resolved_total', RESOLVED),
    count('Trước hạn', 'resolved_early', RESOLVED),
    count('Đúng hạn', 'resolved_on_time', RESOLVED),
    count('Quá hạn', 'resolved_late', RESOLVED),
    count('Tổng số', 'in_progress_total', IN_PROGRESS),
    count('Trong hạn', 'in_progress_within', IN_PROGRESS),
    count('Quá hạn', 'in_progress_overdue', IN_PROGRESS),
    count('Số hồ sơ dừng xử lý, rút, từ chối', 'stopped_total'),
    rate('Tỷ lệ giải quyết trước và đúng hạn', 'on_time_rate'),
  ],
  notes: [
    'Cột (1) đến (13) theo Biểu 06; cột (14) và (15) bổ sung để đối chiếu.',
    '(3) = (4) + (5) + (6) = (7) + (11) + (14); (7) = (8) + (9) + (10); (11) = (12) + (13); (15) = [(8) + (9)] / (7).',
    'Hồ sơ dừng xử lý (14): công dân rút hồ sơ, từ chối tiếp nhận, dừng giải quyết trong kỳ.',
  ],
};

const DOSSIERS = 'Số hóa hồ sơ TTHC';
const RESULTS = 'Số hóa kết quả giải quyết TTHC';
const FEEDBACK = 'Phản ánh, kiến nghị về TTHC';
const RATINGS = 'Đánh giá mức độ hài lòng';

const UNIT_TABLES: UnitTable[] = [
  BIEU_06,
  {
    name: 'Số hóa',
    title: 'KẾT QUẢ SỐ HÓA HỒ SƠ, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
    measuredIn: 'Đơn vị tính: hồ sơ, kết quả',
    mart: 'fct_digitization',
    measures: [
      count('Số hồ sơ phải số hóa', 'dossiers_requiring_digitization', DOSSIERS),
      count('Số hồ sơ đã số hóa', 'dossiers_digitized', DOSSIERS),
      rate('Tỷ lệ', 'dossier_digitization_rate', DOSSIERS),
      count('Số kết quả đã cấp', 'results_total', RESULTS),
      count('Số kết quả cấp bản điện tử', 'results_digitized', RESULTS),
      rate('Tỷ lệ', 'result_digitization_rate', RESULTS),
    ],
    notes: [
      'Hồ sơ phải số hóa (3): hồ sơ tiếp nhận trong kỳ có thành phần phải số hóa; hồ sơ mà mọi thành phần lấy từ cơ sở dữ liệu dùng chung không phải số hóa.',
      'Kết quả đã cấp (6): hồ sơ đã giải quyết trong kỳ (tiêu chí 7.2.4 Chỉ số CCHC).',
    ],
  },
  {
    name: 'DVC trực tuyến',
    title: 'KẾT QUẢ ÁP DỤNG DỊCH VỤ CÔNG TRỰC TUYẾN TRONG TIẾP NHẬN HỒ SƠ TTHC',
    measuredIn: 'Đơn vị tính: hồ sơ',
    mart: 'fct_online_service',
    measures: [
      count('Số hồ sơ của TTHC có dịch vụ công trực tuyến (toàn trình, một phần)', 'dossiers_of_online_procedures'),
      count('Số hồ sơ tiếp nhận trực tuyến', 'dossiers_online'),
      rate('Tỷ lệ', 'online_rate'),
    ],
    notes: [
      'Hồ sơ nộp trực tuyến của TTHC chưa được cung cấp dịch vụ công trực tuyến được tính ở Biểu 06, không tính ở biểu này.',
    ],
  },
  {
    name: 'Thanh toán trực tuyến',
    title: 'KẾT QUẢ THANH TOÁN TRỰC TUYẾN PHÍ, LỆ PHÍ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH',
    measuredIn: 'Đơn vị tính: hồ sơ',
    mart: 'fct_online_payment',
    measures: [
      count('Số hồ sơ trực tuyến có nghĩa vụ tài chính', 'online_dossiers_with_fee'),
      count('Số hồ sơ đã thanh toán trực tuyến', 'online_paid'),
      rate('Tỷ lệ', 'online_payment_rate'),
    ],
    notes: ['Hồ sơ tiếp nhận trực tuyến trong kỳ có phí, lệ phí; đã thanh toán trực tuyến theo Hệ thống một cửa điện tử hoặc Cổng dịch vụ công.'],
  },
  {
    name: 'PAKN và hài lòng',
    title: 'TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ VÀ ĐÁNH GIÁ MỨC ĐỘ HÀI LÒNG',
    measuredIn: 'Đơn vị tính: phản ánh, kiến nghị; phiếu',
    mart: 'fct_feedback_satisfaction',
    measures: [
      count('Số tiếp nhận', 'feedback_received', FEEDBACK),
      count('Đã trả lời', 'feedback_answered', FEEDBACK),
      count('Trả lời đúng hạn', 'feedback_answered_on_time', FEEDBACK),
      count('Số phiếu đánh giá', 'ratings_total', RATINGS),
      count('Hài lòng, rất hài lòng', 'ratings_satisfied', RATINGS),
      rate('Tỷ lệ hài lòng', 'satisfaction_rate', RATINGS),
    ],
    notes: ['Phản ánh, kiến nghị tính theo ngày tiếp nhận; phiếu đánh giá tính theo ngày đánh giá.'],
  },
];

const FACT_MARTS = ['fct_tthc_resolution', 'fct_digitization', 'fct_online_service', 'fct_online_payment', 'fct_feedback_satisfaction'] as const;
type FactMart = (typeof FACT_MARTS)[number];
const MARTS = ['dim_period', 'dim_unit', ...FACT_MARTS, 'fct_budget_execution', 'fct_par_criteria'] as const;
type Mart = (typeof MARTS)[number];

const STT: Column = { header: 'STT', kind: 'code', width: 6 };

// ---------------------------------------------------------------------------------------------
// Reading the release.

type Period = {
  period_key: string;
  period_type: string;
  period_label: string;
  year: number;
  period_start: Date;
  period_end: Date;
  is_complete: boolean;
};

async function readReport(releaseDir: string, periodKey: string): Promise<{ heading: Heading; sheets: Sheet[] }> {
  const mart = martReader(releaseDir);
  const db = await Warehouse.open(':memory:');
  try {
    const period = await findPeriod(db, mart, periodKey, releaseDir);
    const heading = await headingOf(db, mart, period, releaseDir);
    const levels = await db.all<Level>(
      `SELECT level, unit_name AS label FROM ${mart('dim_unit')} WHERE is_rollup AND level IS NOT NULL ORDER BY level_position`,
    );
    const sheets: Sheet[] = [];
    for (const table of UNIT_TABLES) {
      // The deployment's name: in 2025 its units are a city's until 30 June and a province's after.
      const title = `${table.title} – ${heading.deployment.toLocaleUpperCase('vi-VN')}`;
      sheets.push(unitSheet({ ...table, title }, levels, await unitRows(db, mart, table.mart, period.period_key)));
    }
    sheets.push(budgetSheet(await budgetLines(db, mart, period.period_key)));
    sheets.push(await parSheet(db, mart, period));
    return { heading, sheets };
  } finally {
    db.close();
  }
}

/** Reads a mart of the release: `read_parquet(...)`, with options after the path. */
type MartReader = (name: Mart, options?: string) => string;

/** The reader of the release's marts, once the release is known to hold them all. */
function martReader(releaseDir: string): MartReader {
  const path = (name: Mart) => join(releaseDir, 'marts', `${name}.parquet`);
  const missing = MARTS.filter((name) => !existsSync(path(name)));
  if (missing.length > 0) {
    throw new CchcError(`the release ${releaseDir} has no ${missing.map((m) => `${m}.parquet`).join(', ')}`, {
      action: 'pass the folder of a published release (<publish_dir>/current), or run `npx cchc run` until every source has been published once',
    });
  }
  return (name, options = '') => `read_parquet(${literal(path(name))}${options})`;
}

async function findPeriod(db: Warehouse, mart: MartReader, periodKey: string, releaseDir: string): Promise<Period> {
  const [period] = await db.all<Period>(`SELECT * FROM ${mart('dim_period')} WHERE period_key = $1`, [periodKey]);
  if (period) return period;
  const complete = await db.all<{ period_type: string; keys: string }>(
    `SELECT period_type, string_agg(period_key, ', ' ORDER BY period_start) AS keys FROM ${mart('dim_period')}
     WHERE is_complete AND period_type IN ('year', 'quarter') GROUP BY period_type ORDER BY period_type DESC`,
  );
  const listed = complete.map((c) => `complete ${c.period_type === 'year' ? 'years' : 'quarters'}: ${c.keys}`).join('; ');
  throw new UnknownPeriodError(`no period "${periodKey}" in the release ${releaseDir} (${listed || 'no complete year or quarter yet'})`, {
    action: 'pass --period with one of them, a year as 2023 or a quarter as 2024-Q1 (halves and months such as 2023-H2 or 2024-03 work too)',
  });
}

async function headingOf(db: Warehouse, mart: MartReader, period: Period, releaseDir: string): Promise<Heading> {
  // The reporting unit is the entity at the top of the register at the end of the period:
  // UBND thành phố Đồng Hới for 2023, UBND tỉnh Quảng Trị for 2026.
  const [entity] = await db.all<{ unit_name: string }>(
    `SELECT unit_name FROM ${mart('dim_unit')}
     WHERE parent_code IS NULL AND NOT is_rollup AND $1::DATE BETWEEN coalesce(valid_from, DATE '0001-01-01') AND coalesce(valid_to, DATE '9999-12-31')
     ORDER BY valid_from DESC NULLS LAST LIMIT 1`,
    [isoDay(period.period_end)],
  );
  const [deployment] = await db.all<{ unit_name: string }>(`SELECT unit_name FROM ${mart('dim_unit')} WHERE unit_type = 'total'`);
  const manifest = readManifest(releaseDir);
  const asOf = manifest?.data_as_of ? ` (số liệu cập nhật đến ngày ${vietnameseDate(new Date(manifest.data_as_of))})` : '';
  const running = period.is_complete ? '' : '; kỳ báo cáo chưa kết thúc';
  return {
    reportingUnit: committeeOf(entity?.unit_name ?? deployment?.unit_name ?? ''),
    deployment: deployment?.unit_name ?? '',
    period:
      `Kỳ báo cáo: ${period.period_label} (từ ngày ${vietnameseDate(period.period_start)} ` +
      `đến ngày ${vietnameseDate(period.period_end)}${running})`,
    source: `Nguồn: kho dữ liệu CCHC, bản phát hành ${manifest?.run_id ?? releaseDir}${asOf}.`,
  };
}

function readManifest(releaseDir: string): { run_id?: string; data_as_of?: string | null } | undefined {
  const path = join(releaseDir, 'manifest.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

/**
 * The mart's rows of the period, units in the order of the register, each unit that existed in
 * part of the period only named with its dates: 2025 lists phường Đồng Sơn twice, the ward of
 * the city until 30/06 and that of the province from 01/07.
 */
function unitRows(db: Warehouse, mart: MartReader, name: FactMart, periodKey: string): Promise<Row[]> {
  return db.all(
    `SELECT f.* REPLACE (f.unit_name || CASE
         WHEN f.scope <> 'unit' THEN ''
         WHEN u.valid_from > f.period_start AND u.valid_to < f.period_end
           THEN ' (từ ' || strftime(u.valid_from, '%d/%m/%Y') || ' đến ' || strftime(u.valid_to, '%d/%m/%Y') || ')'
         WHEN u.valid_from > f.period_start THEN ' (từ ' || strftime(u.valid_from, '%d/%m/%Y') || ')'
         WHEN u.valid_to < f.period_end THEN ' (đến ' || strftime(u.valid_to, '%d/%m/%Y') || ')'
         ELSE '' END AS unit_name)
     FROM ${mart(name)} f
     LEFT JOIN (SELECT unit_code, valid_from, valid_to, file_row_number AS position FROM ${mart('dim_unit', ', file_row_number = true')}) u
       USING (unit_code)
     WHERE f.period_key = $1 ORDER BY u.position NULLS LAST, f.unit_name`,
    [periodKey],
  );
}

function budgetLines(db: Warehouse, mart: MartReader, periodKey: string): Promise<Row[]> {
  return db.all(`SELECT * FROM ${mart('fct_budget_execution')} WHERE period_key = $1 AND item_key IS NOT NULL ORDER BY item_path`, [periodKey]);
}

// ---------------------------------------------------------------------------------------------
// Sheets.

/** A level of the deployment's register, as the report prints it (Cấp tỉnh, Cấp xã…), in the register's order. */
type Level = { level: string; label: string };
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII'];

/**
 * The table of a fact mart: the deployment's total, then each level of the register that has
 * units in the period with its units, as Biểu 06 lays them out.
 */
function unitSheet(table: UnitTable, levels: Level[], rows: Row[]): Sheet {
  const values = (row: Row | undefined): Value[] => table.measures.map((m) => (row ? ((row[m.field] as Value) ?? null) : null));
  const units = (level: unknown) => rows.filter((r) => r.scope === 'unit' && r.level === level);
  const body: TableRow[] = [];
  const total = rows.find((r) => r.scope === 'total');
  if (total) body.push({ cells: ['', 'Tổng cộng', ...values(total)], emphasis: 'total' });
  const sections = levels
    .filter(({ level }) => rows.some((r) => r.scope === 'level' && r.level === level))
    .map(({ level, label }) => ({ label, rollup: rows.find((r) => r.scope === 'level' && r.level === level), members: units(level) }));
  // A unit the exports name but the register lacks has no level: it counts in the total only.
  const unlisted = rows.filter((r) => r.scope === 'unit' && !levels.some((l) => l.level === r.level));
  if (unlisted.length > 0) sections.push({ label: 'Đơn vị chưa có trong danh mục (chỉ cộng vào tổng cộng)', rollup: undefined, members: unlisted });
  sections.forEach((section, i) => {
    body.push({ cells: [ROMAN[i] ?? '', section.label, ...values(section.rollup)], emphasis: 'group' });
    section.members.forEach((unit, j) => body.push({ cells: [j + 1, String(unit.unit_name), ...values(unit)], emphasis: 'item' }));
  });
  return {
    ...table,
    columns: [STT, { header: 'Đơn vị', kind: 'label', width: 40 }, ...table.measures],
    rows: body,
  };
}

const ACTUAL = 'Thực hiện';

function budgetSheet(lines: Row[]): Sheet {
  return {
    name: 'Ngân sách',
    title: 'TÌNH HÌNH THỰC HIỆN DỰ TOÁN NGÂN SÁCH (CÁC CHỈ TIÊU CHÍNH)',
    measuredIn: 'Đơn vị tính: triệu đồng',
    columns: [
      STT,
      { header: 'Nội dung', kind: 'label', width: 50 },
      { header: 'Dự toán năm', kind: 'amount', width: 15 },
      { group: ACTUAL, header: 'Trong kỳ', kind: 'amount', width: 15 },
      { group: ACTUAL, header: 'Lũy kế từ đầu năm', kind: 'amount', width: 15 },
      { header: 'Tỷ lệ lũy kế so với dự toán', kind: 'rate', width: 13 },
    ],
    rows: lines.map((line) => ({
      cells: [line.item_code, line.item_name, line.estimate_mvnd, line.actual_period_mvnd, line.actual_cumulative_mvnd, line.execution_rate] as Value[],
      emphasis: line.item_depth === 1 ? 'group' : 'item',
    })),
    notes: [
      lines.length > 0
        ? 'Ngân sách báo cáo theo quý và năm dương lịch; thực hiện lũy kế từ đầu năm đến hết kỳ; (6) = (5) / (3).'
        : 'Ngân sách chỉ báo cáo theo quý và năm: kỳ này không có số liệu ngân sách.',
      'Ô trống hoặc "-" là không có số liệu, không phải số 0.',
    ],
  };
}

const MEASURES: Record<string, string> = {
  result_digitization_rate: 'Tỷ lệ số hóa kết quả giải quyết TTHC',
  revenue_execution_rate: 'Tỷ lệ thu ngân sách so với dự toán',
};
const POINTS = 'Điểm';
const FROM_DATA = 'Tính từ số liệu của kho dữ liệu';

// Criteria are scored once a year: a quarter or a month shows those of its year once assessed,
// else those of the last year assessed before it, which is what the province has just published.
async function parSheet(db: Warehouse, mart: MartReader, period: Period): Promise<Sheet> {
  const criteria = await db.all<Row>(
    `SELECT * FROM ${mart('fct_par_criteria')}
     WHERE period_key = (SELECT max_by(period_key, period_start) FROM ${mart('fct_par_criteria')} WHERE period_end <= $1::DATE)
     ORDER BY string_split(criterion_code, '.')::INTEGER[]`,
    [isoDay(period.period_end)],
  );
  const year = criteria[0]?.period_key as string | undefined;
  return {
    name: 'Chỉ số CCHC',
    title: `KẾT QUẢ MỘT SỐ TIÊU CHÍ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH${year ? ` NĂM ${year}` : ''}`,
    measuredIn: 'Đơn vị tính: điểm',
    columns: [
      STT,
      { header: 'Tiêu chí', kind: 'code', width: 9 },
      { header: 'Nội dung tiêu chí', kind: 'label', width: 50 },
      { group: POINTS, header: 'Tối đa', kind: 'points', width: 9 },
      { group: POINTS, header: 'Tỉnh chấm (đã công bố)', kind: 'points', width: 11 },
      { group: FROM_DATA, header: 'Chỉ số đo', kind: 'label', width: 24 },
      { group: FROM_DATA, header: 'Giá trị', kind: 'rate', width: 11 },
      { group: FROM_DATA, header: 'Điểm tính được', kind: 'points', width: 10 },
      { group: FROM_DATA, header: 'Ngưỡng chấm điểm', kind: 'label', width: 22 },
    ],
    rows: criteria.map((c, i) => ({
      cells: [
        i + 1, c.criterion_code, c.criterion_name, c.max_points, c.published_points,
        c.measure ? (MEASURES[c.measure as string] ?? c.measure) : null, c.measured_value, c.computed_points,
        c.thresholds ? withDecimalCommas(String(c.thresholds)) : null,
      ] as Value[],
      emphasis: 'item',
    })),
    notes: [
      year
        ? `Kết quả Chỉ số CCHC năm ${year}${year === String(period.year) ? '' : ', năm đánh giá gần nhất trước kỳ báo cáo'}; các cột (6) đến (9) chỉ có ở tiêu chí tính được từ số liệu.`
        : 'Chưa có kết quả Chỉ số CCHC của năm nào đến kỳ báo cáo này.',
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Excel.

// Excel keeps a number format in one syntax whatever the language ("," groups thousands, "."
// marks decimals) and shows it with the separators of the viewer's regional settings. So
// '#,##0' shows 15.755 and '0.00 %' shows 78,51 % in a Vietnamese Excel, and a reader with other
// settings still sees the right numbers. Writing the Vietnamese marks into the code instead
// ('#.##0') would mean decimals to Excel, and numbers written as text could no longer be summed:
// the cells hold the marts' numbers unrounded, the format only rounds what is shown.
const NUMBER_FORMATS: Partial<Record<Kind, string>> = { count: '#,##0', amount: '#,##0', rate: '0.00 %', points: '0.00' };
const WIDTHS: Record<Kind, number> = { code: 7, label: 30, count: 12, amount: 14, rate: 11, points: 9 };
const FONT = { name: 'Times New Roman', size: 12 };
const THIN = { style: 'thin' } as const;
const BORDER = { top: THIN, left: THIN, bottom: THIN, right: THIN };
/** Rows 1–4 are the heading, 5–6 the two-row header, 7 the column numbers, data from 8. */
const HEADER_ROW = 5;
const NUMBER_ROW = HEADER_ROW + 2;

function addSheet(workbook: ExcelJS.Workbook, heading: Heading, sheet: Sheet): void {
  const frozenColumns = sheet.columns.findIndex((c) => c.kind === 'label') + 1;
  const ws = workbook.addWorksheet(sheet.name, {
    views: [{ state: 'frozen', xSplit: frozenColumns, ySplit: NUMBER_ROW }],
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      printTitlesRow: `${HEADER_ROW}:${NUMBER_ROW}`,
      margins: { left: 0.5, right: 0.5, top: 0.6, bottom: 0.6, header: 0.3, footer: 0.3 },
    },
    headerFooter: { oddFooter: `&L${sheet.name}&RTrang &P/&N` } as Partial<ExcelJS.HeaderFooter>,
  });
  sheet.columns.forEach((column, i) => (ws.getColumn(i + 1).width = widthOf(column)));
  writeHeading(ws, heading, sheet);
  writeHeader(ws, sheet.columns);
  sheet.rows.forEach((row, i) => writeRow(ws, NUMBER_ROW + 1 + i, sheet.columns, row));
  writeNotes(ws, NUMBER_ROW + sheet.rows.length + 2, sheet.columns, [...sheet.notes, heading.source]);
}

function widthOf(column: Column): number {
  return column.width ?? WIDTHS[column.kind];
}

function writeHeading(ws: ExcelJS.Worksheet, heading: Heading, sheet: Sheet): void {
  const last = sheet.columns.length;
  put(ws.getCell(1, 1), `Đơn vị báo cáo: ${heading.reportingUnit}`, { font: { bold: true } });
  if (sheet.form) put(ws.getCell(1, last), sheet.form, { font: { bold: true }, alignment: { horizontal: 'right' } });
  spanRow(ws, 2, last, sheet.title, { font: { bold: true, size: 14 } });
  spanRow(ws, 3, last, heading.period, { font: { italic: true } });
  put(ws.getCell(4, last), sheet.measuredIn, { font: { italic: true }, alignment: { horizontal: 'right' } });
  ws.getRow(2).height = lineCount(sheet.title, totalWidth(sheet.columns), 14) * 20;
}

/** The two-row header: a group over its columns, a column without one spans both rows; then (1), (2)… */
function writeHeader(ws: ExcelJS.Worksheet, columns: Column[]): void {
  const style = { font: { bold: true }, alignment: { horizontal: 'center', vertical: 'middle', wrapText: true }, border: BORDER } as const;
  columns.forEach((column, i) => {
    const col = i + 1;
    if (column.group === undefined) {
      ws.mergeCells(HEADER_ROW, col, HEADER_ROW + 1, col);
    } else if (columns[i - 1]?.group !== column.group) {
      const span = columns.slice(i).findIndex((c) => c.group !== column.group);
      ws.mergeCells(HEADER_ROW, col, HEADER_ROW, col + (span === -1 ? columns.length - i : span) - 1);
      put(ws.getCell(HEADER_ROW, col), column.group, style);
    }
    put(ws.getCell(column.group === undefined ? HEADER_ROW : HEADER_ROW + 1, col), column.header, style);
    put(ws.getCell(NUMBER_ROW, col), `(${col})`, { ...style, font: { bold: false, italic: true } });
    // Merged-away cells keep their own border in Excel: each one needs it for the grid to close.
    for (const row of [HEADER_ROW, HEADER_ROW + 1]) ws.getCell(row, col).border = BORDER;
  });
  ws.getRow(HEADER_ROW).height = headerHeight(columns, (c) => c.group ?? '');
  ws.getRow(HEADER_ROW + 1).height = headerHeight(columns, (c) => (c.group === undefined ? '' : c.header));
}

function headerHeight(columns: Column[], text: (column: Column) => string): number {
  // A column without a group spans both rows: each row holds half of it.
  const lines = columns.map((c) => (c.group === undefined ? lineCount(c.header, widthOf(c)) / 2 : lineCount(text(c), widthOf(c))));
  return Math.max(1, Math.ceil(Math.max(...lines))) * 16 + 4;
}

function writeRow(ws: ExcelJS.Worksheet, rowNumber: number, columns: Column[], row: TableRow): void {
  const font = { bold: row.emphasis !== 'item' };
  let lines = 1;
  columns.forEach((column, i) => {
    const value = row.cells[i] ?? null;
    const cell = ws.getCell(rowNumber, i + 1);
    const format = NUMBER_FORMATS[column.kind];
    if (format && value !== null) {
      put(cell, value, { font, border: BORDER, numFmt: format, alignment: { vertical: 'middle' } });
    } else {
      // No figure is "-", never 0, as the reports print it.
      const text = value ?? (format ? '-' : '');
      const horizontal = column.kind === 'label' ? 'left' : column.kind === 'code' ? 'center' : 'right';
      put(cell, text, { font, border: BORDER, alignment: { horizontal, vertical: 'middle', wrapText: column.kind === 'label' } });
      if (column.kind === 'label') lines = Math.max(lines, lineCount(String(text), widthOf(column)));
    }
  });
  ws.getRow(rowNumber).height = lines * 16 + 2;
}

function writeNotes(ws: ExcelJS.Worksheet, firstRow: number, columns: Column[], notes: string[]): void {
  put(ws.getCell(firstRow, 1), 'Ghi chú:', { font: { bold: true, italic: true } });
  notes.forEach((note, i) => {
    const row = firstRow + 1 + i;
    spanRow(ws, row, columns.length, note, { font: { italic: true }, alignment: { horizontal: 'left', vertical: 'top', wrapText: true } });
    ws.getRow(row).height = lineCount(note, totalWidth(columns)) * 16 + 2;
  });
}

type Style = { font?: Partial<ExcelJS.Font>; alignment?: Partial<ExcelJS.Alignment>; border?: Partial<ExcelJS.Borders>; numFmt?: string };

function put(cell: ExcelJS.Cell, value: Value, style: Style): void {
  cell.value = value;
  cell.font = { ...FONT, ...style.font };
  if (style.alignment) cell.alignment = style.alignment;
  if (style.border) cell.border = style.border;
  if (style.numFmt) cell.numFmt = style.numFmt;
}

function spanRow(ws: ExcelJS.Worksheet, row: number, columns: number, text: string, style: Style): void {
  ws.mergeCells(row, 1, row, columns);
  put(ws.getCell(row, 1), text, { alignment: { horizontal: 'center', vertical: 'middle', wrapText: true }, ...style });
}

function totalWidth(columns: Column[]): number {
  return columns.reduce((sum, c) => sum + widthOf(c), 0);
}

/** Lines a text wraps into in a column of `width` characters; exceljs cannot measure, so rows get their height from this. */
function lineCount(text: string, width: number, size = FONT.size): number {
  const perLine = Math.max(1, Math.floor((width * FONT.size) / size) - 1);
  return Math.max(1, Math.ceil(text.length / perLine));
}

/** Written aside, flushed, then renamed over `out`: a reader never finds half a workbook. */
async function saveWhole(workbook: ExcelJS.Workbook, out: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const temporary = `${out}.${process.pid}.tmp`;
  try {
    await workbook.xlsx.writeFile(temporary);
    await syncPath(temporary);
    await rename(temporary, out);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncPath(dirname(out));
}

// ---------------------------------------------------------------------------------------------
// Vietnamese text.

/**
 * dd/mm/yyyy, read in UTC: DATE columns come back as midnight UTC, and the exports' times are
 * Vietnam's local times stored without a zone (shifting them by 7 hours would change the day).
 */
function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function vietnameseDate(date: Date): string {
  return new Intl.DateTimeFormat('vi-VN', { timeZone: 'UTC', day: '2-digit', month: '2-digit', year: 'numeric' }).format(date);
}

/** "≥ 50.0 %: 0.5" → "≥ 50,0 %: 0,5": text is not formatted by Excel, so it is written as Vietnamese reads it. */
function withDecimalCommas(text: string): string {
  return text.replace(/(\d)\.(\d)/g, '$1,$2');
}

/** "Thành phố Đồng Hới" → "UBND thành phố Đồng Hới"; a name that is not a unit's kind and place stays as it is. */
function committeeOf(name: string): string {
  if (!/^(Tỉnh|Thành phố|Thị xã|Huyện|Quận|Phường|Xã|Đặc khu) /u.test(name)) return name;
  return `UBND ${name.charAt(0).toLocaleLowerCase('vi-VN')}${name.slice(1)}`;
}
