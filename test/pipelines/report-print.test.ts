// The report workbook as it prints: written from the release of the whole sample, converted to
// PDF by LibreOffice and read back page by page with pdftotext. Each page names its sheet and its
// number in the footer, which tells which sheet it belongs to and how the sheet is numbered.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { writeReport } from '../../pipelines/outputs/report/workbook.js';
import { tempDir } from '../helpers.js';

const run = promisify(execFile);
const onPath = (tool: string) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, tool)));
// Liberation Serif has Times New Roman's metrics: without it LibreOffice lays the forms out in another font.
const hasLiberation = () => onPath('fc-list') && execFileSync('fc-list', ['Liberation Serif'], { encoding: 'utf8' }).trim() !== '';
const SKIP = ['soffice', 'pdftotext', 'pdfinfo'].every(onPath) && hasLiberation()
  ? false
  : 'LibreOffice (Debian package libreoffice-calc-nogui), poppler-utils or fonts-liberation are not installed: `apt-get install libreoffice-calc-nogui poppler-utils fonts-liberation`';
if (SKIP) console.warn(`report-print.test.ts skipped: ${SKIP}`);

const SHEETS = ['Biểu 06', 'Số hóa', 'DVC trực tuyến', 'Thanh toán trực tuyến', 'PAKN và hài lòng', 'Ngân sách', 'Chỉ số CCHC'];
const UNIT_SHEETS = SHEETS.slice(0, 5);
/** The day the forms say they are signed. */
const WRITTEN_AT = new Date('2026-12-06T03:00:00Z');
/** Rows 1–5 are the heading, 6–7 the header, 8 the column numbers, data from 9. */
const FIRST_DATA_ROW = 9;

type Page = { sheet: string; number: number; total: number; text: string };
type Printed = { pages: Page[]; labels: Record<string, string[]> };

/** Text without its spaces: pdftotext spaces a line as it likes. */
const squeezed = (text: string) => text.replace(/\s+/g, '');

/** The workbook of `period`, printed to PDF by LibreOffice, its pages with their footers, and each sheet's row labels. */
async function print(period: string): Promise<Printed> {
  const dir = tempDir(`cchc-report-print-${period}-`);
  const { out } = await writeReport({ releaseDir: join(inject('publishDir'), 'current'), period, out: join(dir, 'report.xlsx'), writtenAt: WRITTEN_AT });
  // A profile of its own: LibreOffice instances sharing one wait on each other or fail. Its first
  // start in a new profile, four at once on a loaded machine, once aborted ("Unspecified
  // Application Error") on a workbook it printed at every other try: a second start, in a fresh
  // profile, before the test says the workbook does not print.
  const convert = (profile: string) => run('soffice', [`-env:UserInstallation=file://${join(dir, profile)}`, '--headless', '--convert-to', 'pdf', '--outdir', dir, out], { timeout: 120_000 });
  await convert('profile').catch(() => convert('profile-again'));
  const pdf = join(dir, 'report.pdf');
  const count = Number(/Pages:\s+(\d+)/.exec((await run('pdfinfo', [pdf])).stdout)?.[1]);
  const pages: Page[] = [];
  for (let p = 1; p <= count; p++) {
    const { stdout: text } = await run('pdftotext', ['-layout', '-f', String(p), '-l', String(p), pdf, '-']);
    const footer = /^\s*(\S.*?)\s{2,}Trang (\d+)\/(\d+)\s*$/m.exec(text.trimEnd().split('\n').at(-1) ?? '');
    pages.push({ sheet: footer?.[1] ?? `(no footer on page ${p})`, number: Number(footer?.[2]), total: Number(footer?.[3]), text });
  }
  return { pages, labels: await rowLabels(out) };
}

/** The label of each data row of each sheet (its first text column after the numbering), from the workbook. */
async function rowLabels(file: string): Promise<Record<string, string[]>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.readFile(file);
  const labels: Record<string, string[]> = {};
  for (const ws of workbook.worksheets) {
    const column = ws.name === 'Chỉ số CCHC' ? 3 : 2;
    labels[ws.name] = [];
    // Data rows have borders; the notes and the signatures under them have none.
    for (let n = FIRST_DATA_ROW; ws.getCell(n, column).border?.top; n++) labels[ws.name]!.push(String(ws.getCell(n, column).value));
  }
  return labels;
}

const pagesOf = (printed: Printed, sheet: string) => printed.pages.filter((page) => page.sheet === sheet);

describe.skipIf(SKIP)(`the report workbook printed by LibreOffice${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const printed: Record<string, Printed> = {};

  beforeAll(async () => {
    const periods = ['2023', '2024-Q1', '2025', '2026-Q3'];
    // Every LibreOffice ended before a failure is thrown: the folders are removed after it.
    const results = await Promise.allSettled(periods.map(print));
    periods.forEach((period, i) => {
      const result = results[i]!;
      if (result.status === 'rejected') throw result.reason;
      printed[period] = result.value;
    });
  }, 300_000);

  /** Each sheet with its pages' numbers as their footers print them, in the order printed. */
  const numbering = (period: string) => printed[period]!.pages.map((page) => `${page.sheet} ${page.number}/${page.total}`);

  it('prints every sheet of 2023 on one page of its own, Biểu 06 included, each numbered Trang 1/1', () => {
    expect(numbering('2023')).toEqual(SHEETS.map((sheet) => `${sheet} 1/1`));
  });

  it('prints every sheet of the first quarter of 2024 on one page, Biểu 06 included', () => {
    expect(numbering('2024-Q1')).toEqual(SHEETS.map((sheet) => `${sheet} 1/1`));
  });

  it('prints the 2025 tables, which list the units of both sides of the reform, on two pages each, numbered 1/2 and 2/2 within the sheet', () => {
    expect(numbering('2025')).toEqual([
      ...UNIT_SHEETS.flatMap((sheet) => [`${sheet} 1/2`, `${sheet} 2/2`]),
      'Ngân sách 1/1',
      'Chỉ số CCHC 1/1',
    ]);
  });

  it('prints the third quarter of 2026, under the province, one page per sheet', () => {
    expect(numbering('2026-Q3')).toEqual(SHEETS.map((sheet) => `${sheet} 1/1`));
  });

  it('never prints a page of header and notes only: each page of a table holds rows of it', () => {
    for (const [period, { pages, labels }] of Object.entries(printed)) {
      for (const page of pages) {
        const where = `${period}, ${page.sheet} page ${page.number}`;
        const table = labels[page.sheet] ?? [];
        // A table without rows (no budget lines in 2025) is its header and notes on one page.
        if (table.length === 0) expect([page.number, page.total], where).toEqual([1, 1]);
        else expect(table.filter((label) => squeezed(page.text).includes(squeezed(label))).length, where).toBeGreaterThan(0);
      }
    }
  });

  it('ends each sheet with the place and date and the two signatures, on the page where its table ends', () => {
    for (const [period, { pages, labels }] of Object.entries(printed)) {
      for (const sheet of SHEETS) {
        const last = pagesOf(printed[period]!, sheet).at(-1)!;
        const where = `${period}, ${sheet}`;
        const text = squeezed(last.text);
        for (const line of ['Đồng Hới, ngày 06 tháng 12 năm 2026', 'NGƯỜI LẬP BIỂU', '(Ký, ghi rõ họ tên)', 'THỦ TRƯỞNG ĐƠN VỊ', '(Ký tên, đóng dấu)']) {
          expect(text, `${where}: ${line}`).toContain(squeezed(line));
        }
        const lastRow = labels[sheet]!.at(-1);
        if (lastRow) expect(text, `${where}: last row ${lastRow}`).toContain(squeezed(lastRow));
        expect(pages.filter((page) => page.sheet === sheet && squeezed(page.text).includes(squeezed('NGƯỜI LẬP BIỂU'))), where).toEqual([last]);
      }
    }
  });

  it('names the unit the report goes to under the reporting unit: UBND tỉnh Quảng Bình for the city, Văn phòng Chính phủ for the province', () => {
    const expected = [
      ['2023', 'UBND thành phố Đồng Hới', 'UBND tỉnh Quảng Bình'],
      ['2024-Q1', 'UBND thành phố Đồng Hới', 'UBND tỉnh Quảng Bình'],
      ['2026-Q3', 'UBND tỉnh Quảng Trị', 'Văn phòng Chính phủ'],
    ] as const;
    for (const [period, reporting, receiving] of expected) {
      for (const sheet of SHEETS) {
        const lines = pagesOf(printed[period]!, sheet)[0]!.text.split('\n').map((line) => line.trim()).filter(Boolean);
        expect(squeezed(lines[0] ?? ''), `${period}, ${sheet}`).toMatch(new RegExp(`^${squeezed(`Đơn vị báo cáo: ${reporting}`)}`));
        expect(squeezed(lines[1] ?? ''), `${period}, ${sheet}`).toBe(squeezed(`Đơn vị nhận báo cáo: ${receiving}`));
      }
    }
  });
});
