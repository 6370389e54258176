// Reads an XLSX export with exceljs's streaming reader (memory stays flat as the file grows)
// and appends its rows to `incoming` through DuckDB's appender. The first sheet is the export;
// its first non-empty row is the header. Cells become the text the CSV exports would carry.
import ExcelJS from 'exceljs';
import { SourceFileError } from '../../pipelines/errors.js';
import { mapHeaders, type HeaderMapping } from '../headers.js';
import { createIncoming, INCOMING, type FileReader, type Reject } from './incoming.js';

export const readXlsx: FileReader = async (db, path, displayName, table, extraAliases) => {
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache', // dates are numbers with a date format: the styles tell them apart
    hyperlinks: 'ignore',
    entries: 'ignore',
  });

  await createIncoming(db, table);
  const appender = await db.appender(INCOMING);
  // The appender writes columns by position: `_row`, then the contract's columns in order.
  const slots = table.columns.map((c) => c.name);
  let mapping: HeaderMapping | undefined;
  let positions: number[] = [];
  let rowsRead = 0;
  const rejects: Reject[] = [];

  try {
    for await (const sheet of workbook) {
      for await (const row of sheet) {
        // row.values is sparse: Array.from turns its holes into empty cells, so columns keep their places.
        const cells = Array.from((row.values as unknown[]).slice(1), cellText);
        if (cells.every((c) => c === null || c.trim() === '')) continue;
        if (!mapping) {
          mapping = mapHeaders(displayName, cells.map((c) => c ?? ''), table, extraAliases);
          positions = slots.map((name) => mapping!.names.indexOf(name));
          continue;
        }
        if (cells.length > mapping.names.length && cells.slice(mapping.names.length).some((c) => c !== null && c.trim() !== '')) {
          rejects.push({ row: row.number, reason: `too many columns: values beyond the ${mapping.names.length} headed columns`, text: cells.join('\t') });
          continue;
        }
        appender.appendBigInt(BigInt(row.number));
        for (const position of positions) {
          const value = position >= 0 ? cells[position] : null;
          if (value === null || value === undefined) appender.appendNull();
          else appender.appendVarchar(value);
        }
        appender.endRow();
        rowsRead++;
      }
      break; // the export is the first sheet
    }
    appender.flushSync();
  } catch (error) {
    if (error instanceof SourceFileError) throw error;
    throw new SourceFileError(displayName, `cannot be read as an XLSX workbook: ${(error as Error).message}`, {
      action: 'open it in a spreadsheet program to check it, and export it again as .xlsx',
      cause: error,
    });
  } finally {
    appender.closeSync();
  }
  if (!mapping) {
    throw new SourceFileError(displayName, 'the first sheet is empty', { action: 'export the file again with its header row and data' });
  }
  return { mapping, rowsRead, rejects };
};

/** The text of a cell as a CSV export would write it; null for an empty cell. */
export function cellText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 19).replace('T', ' ');
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(value).replace('.', ',');
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'object') {
    const cell = value as { richText?: { text: string }[]; result?: unknown; text?: unknown; error?: unknown };
    if (cell.richText) return cell.richText.map((part) => part.text).join('');
    if ('result' in cell) return cellText(cell.result);
    if (cell.text !== undefined) return cellText(cell.text);
    if (cell.error !== undefined) return String(cell.error);
  }
  return String(value);
}
