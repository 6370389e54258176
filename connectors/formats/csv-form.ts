// CSV exports laid out as printed forms (a title block above the header, notes and signatures under
// the table), which DuckDB's reader (csv.ts) would load as records: read row by row in JS instead,
// as workbooks are (rows.ts).
import { parse as parseStream } from 'csv-parse';
import { messageOf, SourceFileError } from '../../core/errors.js';
import type { TableContract } from '../contract.js';
import { DEFAULT_LIMITS } from './csv-lines.js';
import { sniffCsv, type CsvShape } from './csv-sniff.js';
import { decodedText } from './encoding.js';
import type { FileReader } from './incoming.js';
import { appendRows, isFormLayout, type NumberedRow } from './rows.js';

/** Whether a CSV export is laid out as a printed form (a title block, a header over two rows, column numbers): then readCsvForm reads it. */
export async function isCsvForm(path: string, displayName: string, table: TableContract, extraAliases: Readonly<Record<string, readonly string[]>>): Promise<boolean> {
  return isFormLayout((await sniffCsv(path, displayName)).rows, table, extraAliases);
}

/**
 * A CSV export laid out as a printed form, as "Save as CSV" of the printed workbook gives it: read
 * row by row like a workbook (rows.ts), which finds the header under the title block and leaves
 * out the notes and signatures under the table. Forms are a week's or a month's tracking book:
 * small enough for JS.
 */
export const readCsvForm: FileReader = async (db, path, displayName, table, extraAliases, limits = { maxRecordBytes: DEFAULT_LIMITS.maxLineBytes }) => {
  const shape = await sniffCsv(path, displayName);
  try {
    return await appendRows(db, csvRows(path, shape, limits.maxRecordBytes), displayName, table, extraAliases);
  } catch (error) {
    if (error instanceof SourceFileError) throw error;
    throw new SourceFileError(displayName, `cannot be read as CSV: ${messageOf(error)}`, {
      action: 'open it in a text editor at the place named and export it again (a record longer than limits.max_row_kb is refused too)',
      cause: error,
    });
  }
};

/** The records of a CSV file with the line each starts on, as a text editor counts (a line break inside a field counts). */
async function* csvRows(path: string, shape: CsvShape, maxRecordBytes: number): AsyncGenerator<NumberedRow[]> {
  const records = decodedText(path, shape.encoding).pipe(
    parseStream({ delimiter: shape.delimiter, relax_quotes: true, relax_column_count: true, bom: true, max_record_size: maxRecordBytes }),
  );
  let line = 1;
  let batch: NumberedRow[] = [];
  for await (const record of records as AsyncIterable<string[]>) {
    batch.push({ number: line, cells: record });
    line += 1 + record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    if (batch.length === 1000) {
      yield batch;
      batch = [];
    }
  }
  yield batch;
}
