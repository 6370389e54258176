// A budget execution report laid out as the budget system prints it (a title block, a header
// over two rows, a row of column numbers, the lines, then the signatures), for the tests of the
// budget workbooks and the fixtures of test/fixtures/bad/make.ts, which runs without vitest.
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
