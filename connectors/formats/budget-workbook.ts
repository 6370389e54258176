// Reads a budget execution workbook as offices print it, the budget system's own report or an
// official disclosure form (Circular 343/2016/TT-BTC, "Biểu số 93/CK-NSNN"): a title block
// (issuing body, form number, report name with its period, the unit as "Đơn vị tính:", "Đơn vị:"
// or "ĐVT:"), a header over one or two rows with merged cells, a row of column numbers (A, B, 1,
// 2, 4=3/1), then budget lines whose STT codes (A, I, 1, 1.1, "-") make a hierarchy in which
// parents and children are both printed, then notes and signatures. Each line becomes one row of
// `incoming`, with its place in the hierarchy as item_path. "-" and blank amounts stay empty,
// never zero.
import ExcelJS from 'exceljs';
import { messageOf, SourceFileError } from '../../core/errors.js';
import type { TableContract } from '../contract.js';
import { headerKey, isColumnNumberRow, type HeaderMapping } from '../headers.js';
import { cellText } from './cell-text.js';
import { createIncoming, INCOMING, type FileReader } from './incoming.js';
import { refuseZipBombs } from './xlsx-workbook.js';

const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII', 'XIII', 'XIV', 'XV'];
const NO_AMOUNT = new Set(['', '-', '–', '—', 'x']);
/** Columns of the header that only restate others (the rate column), never data. */
const RATE_HEADER = /so_sanh|ty_le|_dt$/;

export const readBudgetWorkbook: FileReader = async (db, path, displayName, table, extraAliases) => {
  const rows = await sheetRows(path, displayName);
  const { headerIndex, headerRows } = findBudgetHeader(rows, displayName);
  // A merged title cell repeats its text in every cell it spans.
  const titleRows = rows.slice(0, headerIndex).map((row) => [...new Set(row.filter(Boolean))]);
  const title = titleRows.map((row) => row.join(' ')).filter(Boolean).join('\n');
  const period = reportPeriod(title, displayName);
  const unit = amountUnit(titleRows.flat(), displayName);
  const bottom = headerRows === 2 ? (rows[headerIndex + 1] ?? []) : [];
  const columns = mapBudgetColumns(displayName, rows[headerIndex]!, bottom, table, extraAliases);

  await createIncoming(db, table);
  const appender = await db.appender(INCOMING);
  const hierarchy = new Hierarchy();
  let rowsRead = 0;
  try {
    for (let i = headerIndex + headerRows; i < rows.length; i++) {
      const row = rows[i]!;
      const code = (row[columns.item_code] ?? '').trim();
      const name = (row[columns.item_name] ?? '').trim();
      if (!code && !name) {
        if (rowsRead > 0) break; // the signatures below the table
        continue;
      }
      // The column numbers sit above the first line; below it, a nameless line that looks like
      // them must reach the quarantine, not vanish.
      if (rowsRead === 0 && isColumnNumberRow(row)) continue;
      const values: Record<string, string | null> = {
        report_period: period,
        report_title: title.replaceAll('\n', ' '),
        amount_unit: unit,
        item_code: code,
        item_path: hierarchy.place(code),
        item_name: name,
        estimate: amount(row[columns.estimate]),
        actual_period: columns.actual_period === undefined ? null : amount(row[columns.actual_period]),
        actual_cumulative: amount(row[columns.actual_cumulative]),
      };
      appender.appendBigInt(BigInt(i + 1));
      for (const column of table.columns) {
        const value = values[column.name];
        if (value === null || value === undefined) appender.appendNull();
        else appender.appendVarchar(value);
      }
      appender.endRow();
      rowsRead++;
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const original = new Map(table.columns.map((c) => [c.name, columns.labels[c.name] ?? `${c.name}, from the title block`]));
  const mapping: HeaderMapping = { names: table.columns.map((c) => c.name), original, unknown: [] };
  return { mapping, rowsRead, rejects: [] };
};

/** The header: the first row with an "STT" column, and whether a second row under it completes it. */
function findBudgetHeader(rows: string[][], displayName: string): { headerIndex: number; headerRows: 1 | 2 } {
  const isStt = (cell: string) => ['stt', 'tt', 'so_thu_tu'].includes(headerKey(cell));
  const headerIndex = rows.findIndex((row) => row.some(isStt));
  if (headerIndex < 0) {
    throw new SourceFileError(displayName, 'no header row with an "STT" column was found', {
      action: 'check that this is a budget execution report exported by the budget system',
    });
  }
  // A header of one row has the column numbers, or the first line (an STT code: A, I, 1), right under it.
  const next = rows[headerIndex + 1] ?? [];
  const firstLine = /^([A-H]|[IVX]+|\d+(\.\d+)*)\.?$/i.test((next[rows[headerIndex]!.findIndex(isStt)] ?? '').trim());
  return { headerIndex, headerRows: isColumnNumberRow(next) || firstLine ? 1 : 2 };
}

/** The text of every cell of the first visible sheet, row by row (merged cells repeat their value). */
async function sheetRows(path: string, displayName: string): Promise<string[][]> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs inflates every part whole, in memory: a zip bomb would take it all.
    await refuseZipBombs(path);
    await workbook.xlsx.readFile(path);
  } catch (error) {
    throw new SourceFileError(displayName, `cannot be read as an XLSX workbook: ${messageOf(error)}`, {
      action: 'open it in a spreadsheet program to check it, and export it again as .xlsx',
      cause: error,
    });
  }
  const sheet = workbook.worksheets.find((s) => s.state === 'visible');
  if (!sheet) throw new SourceFileError(displayName, 'the workbook has no visible sheet', { action: 'export the report again' });
  const rows: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, number) => {
    // row.values is sparse: Array.from turns its holes into empty cells, so columns keep their places.
    rows[number - 1] = Array.from((row.values as unknown[]).slice(1), (v) => cellText(v) ?? '');
  });
  return Array.from(rows, (row) => row ?? []);
}

/** 2023-Q4 from "… QUÝ IV NĂM 2023" ("QUÝ 4 NĂM 2023", "Quý 4/2023"), "6 THÁNG ĐẦU NĂM 2023", "9 THÁNG NĂM 2023" or "… NĂM 2023". */
export function reportPeriod(title: string, displayName: string): string {
  const text = ` ${headerKey(title).replaceAll('_', ' ')} `;
  const quarter = / quy (iv|iii|ii|i|[1-4]) (?:nam )?(\d{4}) /.exec(text);
  if (quarter) {
    const q = /\d/.test(quarter[1]!) ? Number(quarter[1]) : ROMAN.indexOf(quarter[1]!.toUpperCase()) + 1;
    return `${quarter[2]}-Q${q}`;
  }
  const months = / 0?(6|9) thang (?:dau )?(?:cuoi )?nam (\d{4}) /.exec(text);
  if (months) return `${months[2]}-Q${months[1] === '6' ? 2 : 3}`;
  const year = / nam (\d{4}) /.exec(text);
  if (year) return `${year[1]}-Q4`;
  throw new SourceFileError(displayName, 'the title block names no period ("QUÝ I NĂM 2024", "6 THÁNG ĐẦU NĂM 2023", "NĂM 2023")', {
    action: 'export the report with its title, or name the period in it',
  });
}

/**
 * The unit of the amounts, as written: "Đơn vị tính: triệu đồng", "ĐVT: Tr.đ", "(Đơn vị: tỷ đồng)".
 * "Đơn vị:" also names the reporting unit in some title blocks ("Đơn vị: UBND xã Bảo Ninh"), so
 * it counts only with an amount unit after it, and "Đơn vị tính" or "ĐVT" comes first.
 */
export function amountUnit(titleCells: readonly string[], displayName: string): string {
  const found: { label: string; value: string }[] = [];
  for (const cell of titleCells) {
    const parts = cell.normalize('NFC').split(':');
    for (let i = 1; i < parts.length; i++) {
      const label = /(?:^|_)(don_vi_tinh|dvt|don_vi)$/.exec(headerKey(parts[i - 1]!))?.[1];
      const value = parts[i]!.split(/[\n)]/)[0]!.trim();
      if (label && value) found.push({ label, value });
    }
  }
  const unit = found.find((f) => f.label !== 'don_vi') ?? found.find((f) => AMOUNT_UNIT.test(headerKey(f.value)));
  if (!unit) {
    throw new SourceFileError(displayName, 'the title block has no "Đơn vị tính" (unit of the amounts)', {
      action: 'export the report with its title block ("Đơn vị tính: triệu đồng"); amounts cannot be read without their unit',
    });
  }
  return unit.value;
}

/** Đồng at any scale, spelled out or cut short: "triệu đồng", "Tr.đ", "nghìn VNĐ", "tỷ"; not "Đồng Sơn", a ward. */
const AMOUNT_UNIT = /^(?:(?:nghin|ngan|trieu|tr|ty)_?)?(?:dong|d|vnd)(?:_viet_nam)?$|^(?:nghin|ngan|trieu|ty)$/;

function amount(text: string | undefined): string | null {
  const value = (text ?? '').trim();
  return NO_AMOUNT.has(value) ? null : value;
}

type BudgetColumns = {
  item_code: number;
  item_name: number;
  estimate: number;
  actual_cumulative: number;
  actual_period: number | undefined;
  /** The header text of each column found, for messages. */
  labels: Record<string, string>;
};

/** Columns by the text of the two header rows together ("Thực hiện" over "Lũy kế từ đầu năm"). */
function mapBudgetColumns(
  displayName: string,
  top: string[],
  bottom: string[],
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>>,
): BudgetColumns {
  const width = Math.max(top.length, bottom.length);
  const keys = Array.from({ length: width }, (_, i) => headerKey(`${top[i] ?? ''} ${bottom[i] === top[i] ? '' : (bottom[i] ?? '')}`));
  const taken = new Set<number>();
  const found: Record<string, number> = {};
  const labels: Record<string, string> = {};
  // The cumulative column first: "Thực hiện lũy kế" also reads as "Thực hiện".
  for (const name of ['item_code', 'item_name', 'estimate', 'actual_cumulative', 'actual_period']) {
    const column = table.columns.find((c) => c.name === name)!;
    const aliases = [...column.aliases, ...(extraAliases[name] ?? [])].map(headerKey);
    const exact = name === 'item_code';
    const index = keys.findIndex((key, i) => !taken.has(i) && !RATE_HEADER.test(key) && aliases.some((a) => (exact ? key === a : key.includes(a))));
    if (index >= 0) {
      taken.add(index);
      found[name] = index;
      labels[name] = [...new Set([top[index], bottom[index]])].filter(Boolean).join(' / ');
    } else if (column.required) {
      throw new SourceFileError(displayName, `the header has no column for ${name} (e.g. "${column.aliases[0]}")`, {
        action: 'check the report layout, or add that header under sources.ngansach.header_aliases in the config',
      });
    }
  }
  return { ...found, labels } as BudgetColumns;
}

/**
 * The place of each line in the report's hierarchy: sections A, B…; Roman I, II… under them;
 * 1, 2… under those; 1.1, 1.2… deeper; "-" or "+" lines ("trong đó") under the last coded line.
 */
class Hierarchy {
  private readonly stack: { depth: number; segment: string }[] = [];
  private bullets = 0;

  place(code: string): string {
    const { depth, segment } = this.classify(code);
    while (this.stack.length > 0 && this.stack.at(-1)!.depth >= depth) this.stack.pop();
    this.stack.push({ depth, segment });
    const path = this.stack.map((s) => s.segment).join('.');
    if (depth < 20) this.bullets = 0;
    return path;
  }

  private classify(code: string): { depth: number; segment: string } {
    const upper = code.toUpperCase().replace(/\.$/, '');
    if (ROMAN.includes(upper)) return { depth: 2, segment: upper };
    if (/^[A-H]$/.test(upper)) return { depth: 1, segment: upper };
    if (/^\d+(\.\d+)*$/.test(upper)) {
      const parts = upper.split('.');
      return { depth: 2 + parts.length, segment: parts.at(-1)! };
    }
    if (/^[a-z]$/.test(code)) return { depth: 15, segment: code };
    this.bullets++;
    return { depth: 20, segment: `-${this.bullets}` };
  }
}
