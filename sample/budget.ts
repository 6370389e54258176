// The sample budget execution workbooks of Đồng Hới, one per quarter from Q1 2023 to Q1 2024,
// cumulative from the start of the year, laid out as the budget system prints them. The 2023
// figures reproduce B1–B4 of the report: revenue 1,419 of 1,710 billion đồng (83 %), balanced
// revenue 287 of 407.1 (70.5 %), expenditure 932 of 1,013 (92 %), capital 510 of 564.2 (90.4 %).
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { Random } from './random.js';

type Line = { code: string; name: string; children?: Line[]; ofWhich?: { name: string; share: number } };

const TREE: Line[] = [
  {
    code: 'A', name: 'TỔNG THU NGÂN SÁCH NHÀ NƯỚC TRÊN ĐỊA BÀN', children: [
      {
        code: 'I', name: 'Thu cân đối ngân sách (không kể tiền sử dụng đất, thu bổ sung có mục tiêu)', children: [
          { code: '1', name: 'Thu từ khu vực doanh nghiệp nhà nước' },
          { code: '2', name: 'Thu từ khu vực công thương nghiệp ngoài quốc doanh' },
          { code: '3', name: 'Lệ phí trước bạ' },
          { code: '4', name: 'Thuế thu nhập cá nhân' },
          { code: '5', name: 'Thu phí, lệ phí' },
          { code: '6', name: 'Thuế sử dụng đất phi nông nghiệp' },
          { code: '7', name: 'Thu tiền thuê đất, thuê mặt nước' },
          { code: '8', name: 'Thu khác ngân sách' },
        ],
      },
      { code: 'II', name: 'Thu tiền sử dụng đất', ofWhich: { name: 'Trong đó: thu đấu giá quyền sử dụng đất', share: 0.6 } },
      { code: 'III', name: 'Thu bổ sung có mục tiêu từ ngân sách cấp trên' },
    ],
  },
  {
    code: 'B', name: 'TỔNG CHI NGÂN SÁCH ĐỊA PHƯƠNG', children: [
      {
        code: 'I', name: 'Chi đầu tư phát triển', children: [
          { code: '1', name: 'Chi đầu tư xây dựng cơ bản tập trung' },
          { code: '2', name: 'Chi đầu tư từ nguồn thu tiền sử dụng đất' },
          { code: '3', name: 'Chi đầu tư từ nguồn bổ sung có mục tiêu' },
        ],
      },
      {
        code: 'II', name: 'Chi thường xuyên', children: [
          { code: '1', name: 'Chi sự nghiệp giáo dục – đào tạo và dạy nghề', children: [{ code: '1.1', name: 'Sự nghiệp giáo dục' }, { code: '1.2', name: 'Sự nghiệp đào tạo và dạy nghề' }] },
          { code: '2', name: 'Chi sự nghiệp y tế, dân số và gia đình' },
          { code: '3', name: 'Chi sự nghiệp văn hóa thông tin, thể dục thể thao' },
          { code: '4', name: 'Chi sự nghiệp kinh tế' },
          { code: '5', name: 'Chi quản lý hành chính, Đảng, đoàn thể' },
          { code: '6', name: 'Chi đảm bảo xã hội' },
          { code: '7', name: 'Chi quốc phòng, an ninh' },
          { code: '8', name: 'Chi khác ngân sách' },
        ],
      },
      { code: 'III', name: 'Dự phòng ngân sách' },
    ],
  },
];

/** Millions of đồng, by path: the estimate of the year and the actual at its end. */
const YEARS = [
  {
    year: 2023,
    estimate: { A: 1_710_000, 'A.I': 407_100, 'A.II': 900_000, 'A.III': 402_900, B: 1_013_000, 'B.I': 564_200, 'B.II': 440_000, 'B.III': 8_800 },
    actual: { A: 1_419_246, 'A.I': 287_038, 'A.II': 690_100, 'A.III': 442_108, B: 932_145, 'B.I': 510_088, 'B.II': 419_007, 'B.III': 3_050 },
    quarters: [1, 2, 3, 4],
  },
  {
    year: 2024,
    estimate: { A: 1_850_000, 'A.I': 452_000, 'A.II': 950_000, 'A.III': 448_000, B: 1_102_000, 'B.I': 598_000, 'B.II': 492_000, 'B.III': 12_000 },
    actual: { A: 1_910_000, 'A.I': 430_000, 'A.II': 1_020_000, 'A.III': 460_000, B: 1_050_000, 'B.I': 560_000, 'B.II': 480_000, 'B.III': 10_000 },
    quarters: [1],
  },
];

/** Share of the year's actual reached by the end of each quarter, for most lines. */
const QUARTER_SHARE: [number, number][] = [[0.15, 0.27], [0.4, 0.52], [0.62, 0.76], [1, 1]];
/** The reserve is not drawn before the third quarter: printed "-", which is not zero. */
const UNDRAWN_UNTIL_Q3 = 'B.III';
const ROMAN = ['I', 'II', 'III', 'IV'];

type Figures = { estimate: number | null; cumulative: (number | null)[] };

export async function writeBudgetWorkbooks(dir: string, random: Random): Promise<number> {
  let files = 0;
  for (const plan of YEARS) {
    const figures = new Map<string, Figures>();
    for (const line of TREE) plan_(line, line.code, plan.estimate, plan.actual, figures, random);
    for (const quarter of plan.quarters) {
      // The report of the second quarter of 2023 came in đồng rather than millions.
      const inDong = plan.year === 2023 && quarter === 2;
      await writeWorkbook(join(dir, `bao-cao-ngan-sach-${plan.year}-Q${quarter}.xlsx`), plan.year, quarter, figures, inDong);
      files++;
    }
  }
  return files;
}

/** Splits fixed totals down the tree at random (children add up to their parent), then spreads each leaf over the quarters. */
function plan_(line: Line, path: string, estimates: Record<string, number>, actuals: Record<string, number>, out: Map<string, Figures>, random: Random, estimate?: number, actual?: number): void {
  const e = estimates[path] ?? estimate!;
  const a = actuals[path] ?? actual!;
  if (!line.children) {
    const undrawn = path === UNDRAWN_UNTIL_Q3;
    const cumulative = QUARTER_SHARE.map(([lo, hi], q) => (undrawn && q < 2 ? null : Math.round(a * (lo + random.next() * (hi - lo)))));
    out.set(path, { estimate: e, cumulative });
  } else {
    const childPaths = line.children.map((c) => childPath(path, c.code));
    const eParts = split(e, childPaths.map((p) => estimates[p]), random, 100);
    const aParts = split(a, childPaths.map((p) => actuals[p]), random, 1);
    line.children.forEach((child, i) => plan_(child, childPaths[i]!, estimates, actuals, out, random, eParts[i], aParts[i]));
    const kids = childPaths.map((p) => out.get(p)!);
    out.set(path, { estimate: e, cumulative: [0, 1, 2, 3].map((q) => kids.reduce((sum, k) => sum + (k.cumulative[q] ?? 0), 0)) });
  }
  if (line.ofWhich) {
    const whole = out.get(path)!;
    out.set(`${path}.-1`, { estimate: Math.round(e * line.ofWhich.share), cumulative: whole.cumulative.map((c) => (c === null ? null : Math.round(c * line.ofWhich!.share))) });
  }
}

/** `total` in parts: the fixed ones as given, the others sharing the rest at random, in steps of `step`. */
function split(total: number, fixed: (number | undefined)[], random: Random, step: number): number[] {
  const rest = total - fixed.reduce<number>((sum, f) => sum + (f ?? 0), 0);
  const free = fixed.map((f, i) => (f === undefined ? i : -1)).filter((i) => i >= 0);
  const weights = free.map(() => 0.5 + random.next());
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const parts = [...fixed] as number[];
  let left = rest;
  free.forEach((index, k) => {
    const share = k === free.length - 1 ? left : Math.round((rest * weights[k]!) / weightSum / step) * step;
    parts[index] = share;
    left -= share;
  });
  return parts;
}

/** A line of the table, with its path in the figures; an "of which" line comes right after its line, coded "-". */
type TableLine = { path: string; line: Line; code: string; name: string };

/** Rows 1 to 9 are the heading. */
const FIRST_LINE_ROW = 10;

async function writeWorkbook(path: string, year: number, quarter: number, figures: Map<string, Figures>, inDong: boolean): Promise<void> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'Phòng Tài chính – Kế hoạch';
  workbook.created = workbook.modified = new Date(Date.UTC(year, quarter * 3, 10));
  const sheet = workbook.addWorksheet(`Q${quarter}-${year}`);
  sheet.columns = [{ width: 6 }, { width: 62 }, { width: 16 }, { width: 16 }, { width: 18 }, { width: 14 }];
  writeHeading(sheet, year, quarter, inDong);

  const lines = tableLines(TREE, '');
  const rows = new Map(lines.map((entry, i) => [entry.path, FIRST_LINE_ROW + i]));
  const scale = inDong ? 1_000_000 : 1;
  for (const entry of lines) writeLine(sheet.getRow(rows.get(entry.path)!), entry, figures.get(entry.path)!, quarter, scale, rows);
  const end = FIRST_LINE_ROW + lines.length;
  sheet.getCell(`B${end + 1}`).value = 'NGƯỜI LẬP BIỂU';
  sheet.getCell(`E${end + 1}`).value = 'TRƯỞNG PHÒNG';
  for (let r = 7; r < end; r++) {
    for (let c = 1; c <= 6; c++) sheet.getCell(r, c).border = { top: { style: 'thin' }, left: { style: 'thin' }, bottom: { style: 'thin' }, right: { style: 'thin' } };
  }
  await workbook.xlsx.writeFile(path);
}

/** The letterhead, the title of the period and the column headings, as the budget system prints them. */
function writeHeading(sheet: ExcelJS.Worksheet, year: number, quarter: number, inDong: boolean): void {
  const periodTitle = quarter === 1 ? `QUÝ I NĂM ${year}` : quarter === 2 ? `6 THÁNG ĐẦU NĂM ${year}` : quarter === 3 ? `9 THÁNG NĂM ${year}` : `NĂM ${year}`;
  const merged = (range: string, value: string, bold = true) => {
    sheet.mergeCells(range);
    const cell = sheet.getCell(range.split(':')[0]!);
    cell.value = value;
    cell.font = { bold };
    cell.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  };
  merged('A1:C1', 'UBND THÀNH PHỐ ĐỒNG HỚI');
  merged('D1:F1', 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
  merged('A2:C2', 'PHÒNG TÀI CHÍNH – KẾ HOẠCH');
  merged('D2:F2', 'Độc lập - Tự do - Hạnh phúc');
  merged('A4:F4', `BÁO CÁO TÌNH HÌNH THỰC HIỆN DỰ TOÁN NGÂN SÁCH NHÀ NƯỚC ${periodTitle}`);
  merged('A5:F5', `(Kèm theo Báo cáo số ${10 + quarter}/BC-TCKH của Phòng Tài chính – Kế hoạch)`, false);
  sheet.getCell('F6').value = inDong ? 'Đơn vị tính: đồng' : 'Đơn vị tính: triệu đồng';
  sheet.getCell('F6').alignment = { horizontal: 'right' };
  merged('A7:A8', 'STT');
  merged('B7:B8', 'Nội dung');
  merged('C7:C8', `Dự toán năm ${year}`);
  merged('D7:E7', 'Thực hiện');
  merged('F7:F8', 'So sánh TH lũy kế/DT (%)');
  sheet.getCell('D8').value = `Quý ${ROMAN[quarter - 1]}`;
  sheet.getCell('E8').value = 'Lũy kế từ đầu năm';
  sheet.getRow(9).values = ['(1)', '(2)', '(3)', '(4)', '(5)', '(6)=(5)/(3)'];
}

/** The lines of the tree in print order. */
function tableLines(lines: Line[], parent: string, out: TableLine[] = []): TableLine[] {
  for (const line of lines) {
    const path = parent ? childPath(parent, line.code) : line.code;
    out.push({ path, line, code: line.code, name: line.name });
    if (line.ofWhich) out.push({ path: `${path}.-1`, line, code: '-', name: line.ofWhich.name });
    if (line.children) tableLines(line.children, path, out);
  }
  return out;
}

/** A line's figures: a parent's are formulas over its children's rows, so that the workbook adds up when opened. */
function writeLine(row: ExcelJS.Row, { path, line, code, name }: TableLine, f: Figures, quarter: number, scale: number, rows: Map<string, number>): void {
  const r = row.number;
  const cumulative = f.cumulative[quarter - 1] ?? null;
  const before = quarter > 1 ? (f.cumulative[quarter - 2] ?? 0) : 0;
  const ofQuarter = cumulative === null ? null : cumulative - before;
  row.getCell(1).value = code;
  row.getCell(2).value = name;
  const childRows = code !== '-' && line.children ? line.children.map((c) => rows.get(childPath(path, c.code))!) : undefined;
  const put = (column: string, value: number | null) => {
    const cell = row.getCell(column);
    if (value === null) cell.value = '-';
    else if (childRows) cell.value = { formula: childRows.map((cr) => `${column}${cr}`).join('+'), result: value * scale };
    else cell.value = value * scale;
    cell.numFmt = '#,##0';
    cell.alignment = { horizontal: 'right' };
  };
  put('C', f.estimate);
  put('D', ofQuarter);
  put('E', cumulative);
  row.getCell('F').value = cumulative === null || !f.estimate ? '' : { formula: `E${r}/C${r}*100`, result: Math.round((cumulative / f.estimate) * 1000) / 10 };
  if (code.length === 1 && /[A-Z]/.test(code)) row.font = { bold: true };
}

/** Line "1.2" under path "B.II" is "B.II.2". */
function childPath(parent: string, code: string): string {
  return `${parent}.${code.split('.').at(-1)}`;
}
