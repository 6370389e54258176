// Reads an XLSX export and appends its rows to `incoming` through DuckDB's appender. The first
// sheet is the export; its first non-empty row is the header. Cells become the text the CSV
// exports would carry. The sheet is scanned as it inflates, so memory stays flat as the file
// grows; only the shared strings are held, since cells refer to them by number.
import { SourceFileError } from '../../pipelines/errors.js';
import { mapHeaders, type HeaderMapping } from '../headers.js';
import { createIncoming, INCOMING, type FileReader, type Reject } from './incoming.js';
import { firstSheetRows } from './xlsx-workbook.js';

/**
 * The appender holds its rows outside DuckDB's memory_limit until it flushes them into the table,
 * by default every 204,800 rows (over 100 MB of these exports); flushing more often keeps memory
 * flat for a few per cent of the time.
 */
const FLUSH_ROWS = 8192;

export const readXlsx: FileReader = async (db, path, displayName, table, extraAliases) => {
  await createIncoming(db, table);
  const appender = await db.appender(INCOMING);
  // The appender writes columns by position: `_row`, then the contract's columns in order.
  const slots = table.columns.map((c) => c.name);
  let mapping: HeaderMapping | undefined;
  let positions: number[] = [];
  let rowsRead = 0;
  const rejects: Reject[] = [];

  try {
    for await (const rows of firstSheetRows(path)) {
      for (const { number, cells } of rows) {
        if (cells.every((c) => c === null || c.trim() === '')) continue;
        if (!mapping) {
          mapping = mapHeaders(displayName, cells.map((c) => c ?? ''), table, extraAliases);
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
    throw new SourceFileError(displayName, 'the first sheet is empty', { action: 'export the file again with its header row and data' });
  }
  return { mapping, rowsRead, rejects };
};
