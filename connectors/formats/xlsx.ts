// Reads an XLSX export and appends its rows to `incoming` through DuckDB's appender. The first
// visible sheet is the export; its first row that names the required columns is the header (a
// title block may come above it). Cells become the text the CSV exports would carry. The sheet
// is scanned as it inflates, so memory stays flat as the file grows; only the shared strings
// are held, since cells refer to them by number.
import { ident, type Warehouse } from '../../pipelines/db.js';
import { SourceFileError } from '../../pipelines/errors.js';
import { mapHeaders, type HeaderMapping } from '../headers.js';
import { createIncoming, INCOMING, type FileReader, type Reject } from './incoming.js';
import type { CellRange } from './xlsx-sheet.js';
import { firstSheetRows } from './xlsx-workbook.js';

/**
 * The appender holds its rows outside DuckDB's memory_limit until it flushes them into the table,
 * by default every 204,800 rows (over 100 MB of these exports); flushing more often keeps memory
 * flat for a few per cent of the time.
 */
const FLUSH_ROWS = 8192;

/**
 * Non-empty rows looked at for the header. Exports laid out for print put a title block above
 * it (the system's name, "DANH SÁCH HỒ SƠ", the period), merged across the columns.
 */
const HEADER_SEARCH_ROWS = 10;

export const readXlsx: FileReader = async (db, path, displayName, table, extraAliases) => {
  await createIncoming(db, table);
  const appender = await db.appender(INCOMING);
  // The appender writes columns by position: `_row`, then the contract's columns in order.
  const slots = table.columns.map((c) => c.name);
  let mapping: HeaderMapping | undefined;
  let positions: number[] = [];
  let rowsRead = 0;
  const rejects: Reject[] = [];
  const mergedCells: CellRange[] = [];
  /** What is wrong with the first row as a header: what the file is told, when no row is one. */
  let notAHeader: SourceFileError | undefined;
  let rowsBeforeHeader = 0;

  try {
    for await (const rows of firstSheetRows(path, mergedCells)) {
      for (const { number, cells } of rows) {
        if (cells.every((c) => c === null || c.trim() === '')) continue;
        if (!mapping) {
          try {
            mapping = mapHeaders(displayName, cells.map((c) => c ?? ''), table, extraAliases);
          } catch (error) {
            if (!(error instanceof SourceFileError)) throw error;
            notAHeader ??= error;
            if (++rowsBeforeHeader >= HEADER_SEARCH_ROWS) throw notAHeader;
            continue;
          }
          positions = slots.map((name) => mapping!.names.indexOf(name));
          continue;
        }
        if (cells.length > mapping.names.length && cells.slice(mapping.names.length).some((c) => c !== null && c.trim() !== '')) {
          rejects.push({ row: number, reason: `too many columns: values beyond the ${mapping.names.length} headed columns`, text: cells.join('\t') });
          continue;
        }
        appender.appendBigInt(BigInt(number));
        for (const position of positions) {
          const value = position >= 0 ? cells[position] : null;
          if (value === null || value === undefined) appender.appendNull();
          else appender.appendVarchar(value);
        }
        appender.endRow();
        if (++rowsRead % FLUSH_ROWS === 0) appender.flushSync();
      }
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
    if (notAHeader) throw notAHeader;
    throw new SourceFileError(displayName, 'the first sheet is empty', { action: 'export the file again with its header row and data' });
  }
  await fillMergedCells(db, mergedCells, mapping);
  return { mapping, rowsRead, rejects };
};

/**
 * A value merged down a column (a unit's name over its dossiers, in exports laid out for print)
 * is the value of every row it spans, as the sheet shows it; Excel keeps it in the top cell
 * alone. Merged across columns, it stays in the first, under whose header it is written.
 */
async function fillMergedCells(db: Warehouse, ranges: CellRange[], mapping: HeaderMapping): Promise<void> {
  const spans = new Map<string, CellRange[]>();
  for (const range of ranges) {
    const name = mapping.names[range.left];
    if (range.bottom > range.top && name && mapping.original.has(name)) spans.set(name, [...(spans.get(name) ?? []), range]);
  }
  for (const [name, down] of spans) {
    const column = ident(name);
    await db.run(
      `UPDATE ${INCOMING} SET ${column} = filled.value
       FROM (SELECT i._row, top_cell.${column} AS value
             FROM ${INCOMING} i
             JOIN (VALUES ${down.map((r) => `(${r.top}, ${r.bottom})`).join(', ')}) AS m(top_row, bottom_row) ON i._row > m.top_row AND i._row <= m.bottom_row
             JOIN ${INCOMING} top_cell ON top_cell._row = m.top_row) AS filled
       WHERE ${INCOMING}._row = filled._row AND ${INCOMING}.${column} IS NULL`,
    );
  }
}
