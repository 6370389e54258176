// Budget execution reports as offices print them, for the tests of the budget workbooks and the
// fixtures of test/fixtures/bad/make.ts, which runs without vitest: the budget system's own layout
// (a title block, a header over two rows, a row of column numbers, the lines, then the
// signatures) and the disclosure form of Circular 343/2016/TT-BTC.
import ExcelJS from 'exceljs';

export type BudgetReportOptions = {
  /** A hidden sheet of notes before the report, as some offices keep. */
  hiddenNotesFirst?: boolean;
  /** The workbook's creation time: fixed, the same bytes each time. */
  created?: Date;
};

/** Writes the report with these title lines and rows of [STT, Nội dung, Dự toán, Quý, Lũy kế, So sánh]. */
export async function writeBudgetReport(path: string, title: string[], rows: (string | number | null)[][], options: BudgetReportOptions = {}): Promise<string> {
  const book = new ExcelJS.Workbook();
  if (options.created) book.created = book.modified = options.created;
  if (options.hiddenNotesFirst) book.addWorksheet('Ghi chú', { state: 'hidden' }).getCell('A1').value = 'Số liệu lấy từ TABMIS ngày 05/04/2024';
  const sheet = book.addWorksheet('Báo cáo');
  title.forEach((text, i) => (sheet.getCell(i + 1, 1).value = text));
  const header = title.length + 1;
  sheet.getRow(header).values = ['STT', 'Nội dung', 'Dự toán năm 2024', 'Thực hiện', 'Thực hiện', 'So sánh (%)'];
  sheet.getRow(header + 1).values = ['STT', 'Nội dung', 'Dự toán năm 2024', 'Quý I', 'Lũy kế từ đầu năm', 'So sánh (%)'];
  sheet.getRow(header + 2).values = ['(1)', '(2)', '(3)', '(4)', '(5)', '(6)'];
  rows.forEach((row, i) => (sheet.getRow(header + 3 + i).values = row));
  sheet.getCell(header + 4 + rows.length, 2).value = 'NGƯỜI LẬP BIỂU';
  await book.xlsx.writeFile(path);
  return path;
}

export type DisclosureForm = {
  /** Rows above the header: a string is a line centred over the form (merged A:G), an array its cells from column A. */
  title: (string | (string | null)[])[];
  /** Headers of the quarter's and the cumulative actual, e.g. "Ước thực hiện quý III", "Lũy kế 9 tháng". */
  actuals: [string, string];
  /** [STT, Nội dung, Dự toán năm, quarter, cumulative, % of the estimate, % of the same period last year]. */
  lines: (string | number | null)[][];
  /** The header on one row, the two rates named in full, as some offices retype the form. */
  oneHeaderRow?: boolean;
  /** No row of column numbers: the first line right under the header. */
  noColumnNumbers?: boolean;
};

/**
 * A report laid out as the disclosure forms of Circular 343/2016/TT-BTC ("Biểu số 93/CK-NSNN"):
 * the title block, a header over two rows with "So sánh (%)" merged over "Dự toán" and "Cùng kỳ
 * năm trước", the column numbers A, B, 1, 2, 3, 4=3/1, 5, the lines, a blank row, the signatures.
 */
export async function writeDisclosureForm(path: string, form: DisclosureForm): Promise<string> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Biểu 93');
  const merged = (range: string, value: string) => {
    sheet.mergeCells(range);
    sheet.getCell(range.split(':')[0]!).value = value;
  };
  form.title.forEach((line, i) => (typeof line === 'string' ? merged(`A${i + 1}:G${i + 1}`, line) : (sheet.getRow(i + 1).values = line)));
  const top = form.title.length + 1;
  const headers = ['STT', 'Nội dung', 'Dự toán năm 2024', ...form.actuals];
  if (form.oneHeaderRow) {
    sheet.getRow(top).values = [...headers, 'So sánh với dự toán (%)', 'So sánh với cùng kỳ (%)'];
  } else {
    headers.forEach((text, i) => merged(`${'ABCDE'[i]}${top}:${'ABCDE'[i]}${top + 1}`, text));
    merged(`F${top}:G${top}`, 'So sánh (%)');
    sheet.getRow(top + 1).getCell('F').value = 'Dự toán';
    sheet.getRow(top + 1).getCell('G').value = 'Cùng kỳ năm trước';
  }
  const numbers = (form.oneHeaderRow ? top + 1 : top + 2) - (form.noColumnNumbers ? 1 : 0);
  if (!form.noColumnNumbers) sheet.getRow(numbers).values = ['A', 'B', '1', '2', '3', '4=3/1', '5'];
  form.lines.forEach((line, i) => (sheet.getRow(numbers + 1 + i).values = line));
  const signatures = numbers + 2 + form.lines.length;
  sheet.getRow(signatures).values = [null, 'Người lập biểu', null, null, null, 'Thủ trưởng đơn vị'];
  sheet.getRow(signatures + 1).values = [null, '(Ký, ghi rõ họ tên)', null, null, null, '(Ký tên, đóng dấu)'];
  await book.xlsx.writeFile(path);
  return path;
}
