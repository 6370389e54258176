// The sheets of the report: each table's rows laid out by level and unit, the budget and the
// PAR-index criteria, as the forms number and group them.
import type { Row } from '../../../core/warehouse.js';
import { STT, type Sheet, type TableRow, type UnitTable, type Value } from './forms.js';
import type { Period } from './release.js';
import { withDecimalCommas } from './vietnamese.js';

/** A level of the deployment's register, as the report prints it (Cấp tỉnh, Cấp xã…), in the register's order. */
export type Level = { level: string; label: string };
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII'];

/**
 * The table of a fact mart: the deployment's total, then each level of the register that has
 * units in the period with its units, as Biểu 06 lays them out.
 */
export function unitSheet(table: UnitTable, levels: Level[], rows: Row[]): Sheet {
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
    columns: [STT, { header: 'Đơn vị', kind: 'label', maxWidth: 45 }, ...table.measures],
    rows: body,
  };
}

const ACTUAL = 'Thực hiện';

export function budgetSheet(lines: Row[]): Sheet {
  return {
    name: 'Ngân sách',
    title: 'TÌNH HÌNH THỰC HIỆN DỰ TOÁN NGÂN SÁCH (CÁC CHỈ TIÊU CHÍNH)',
    measuredIn: 'Đơn vị tính: triệu đồng',
    columns: [
      STT,
      { header: 'Nội dung', kind: 'label', maxWidth: 50 },
      { header: 'Dự toán năm', kind: 'amount' },
      { group: ACTUAL, header: 'Trong kỳ', kind: 'amount' },
      { group: ACTUAL, header: 'Lũy kế từ đầu năm', kind: 'amount' },
      { header: 'Tỷ lệ lũy kế so với dự toán', kind: 'rate' },
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

/** The PAR-index criteria `period` shows (release.ts), in the order of their codes. */
export function parSheet(period: Pick<Period, 'year'>, criteria: Row[]): Sheet {
  const year = criteria[0]?.period_key as string | undefined;
  return {
    name: 'Chỉ số CCHC',
    title: `KẾT QUẢ MỘT SỐ TIÊU CHÍ CHỈ SỐ CẢI CÁCH HÀNH CHÍNH${year ? ` NĂM ${year}` : ''}`,
    measuredIn: 'Đơn vị tính: điểm',
    columns: [
      STT,
      { header: 'Tiêu chí', kind: 'code' },
      { header: 'Nội dung tiêu chí', kind: 'label', maxWidth: 50 },
      { group: POINTS, header: 'Tối đa', kind: 'points' },
      { group: POINTS, header: 'Tỉnh chấm (đã công bố)', kind: 'points' },
      { group: FROM_DATA, header: 'Chỉ số đo', kind: 'label', maxWidth: 24 },
      { group: FROM_DATA, header: 'Giá trị', kind: 'rate' },
      { group: FROM_DATA, header: 'Điểm tính được', kind: 'points' },
      { group: FROM_DATA, header: 'Ngưỡng chấm điểm', kind: 'label', maxWidth: 22 },
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
