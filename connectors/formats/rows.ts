// Exports read row by row in JS, workbooks and CSV files laid out as printed forms alike: the
// header found where the form puts it (headers.ts: locateHeader), each record appended to
// `incoming` through DuckDB's appender, and the notes and signatures printed under a form's table
// told from records.
import type { Warehouse } from '../../core/warehouse.js';
import { SourceFileError } from '../../core/errors.js';
import type { TableContract } from '../contract.js';
import { findHeader, locateHeader, type HeaderLayout } from '../headers.js';
import { createIncoming, INCOMING, type ReadResult, type Reject } from './incoming.js';

/** A row as the file numbers it (a sheet's row, a CSV line), its cells by column. */
export type NumberedRow = { number: number; cells: (string | null)[] };

/**
 * The appender holds its rows outside DuckDB's memory_limit until it flushes them into the table,
 * by default every 204,800 rows (over 100 MB of these exports); flushing more often keeps memory
 * flat for a few per cent of the time.
 */
const FLUSH_ROWS = 8192;

/**
 * Non-empty rows looked at for the header. Exports laid out for print put a title block above
 * it (the issuing body, "SỔ THEO DÕI HỒ SƠ", the period), and the header may take two rows.
 */
const HEADER_SEARCH_ROWS = 12;

/**
 * Appends the records of `rows` to a new `incoming` table. A row with values beyond the header's
 * columns is a reject. Under a form's table (a header not on the first row, or over two rows),
 * the rows after the first blank one are its notes and signatures unless one of them fills at
 * least half of the required columns, as records do: then they are all records.
 */
export async function appendRows(
  db: Warehouse,
  rows: AsyncIterable<NumberedRow[]>,
  displayName: string,
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>>,
  /** A sheet leaves its empty rows out: a gap in its row numbers is a blank row. In a CSV file a line break inside a field makes one. */
  { gapsAreBlank = false }: { gapsAreBlank?: boolean } = {},
): Promise<ReadResult> {
  await createIncoming(db, table);
  const appender = await db.appender(INCOMING);
  const rejects: Reject[] = [];
  const footer: NumberedRow[] = [];
  let rowsRead = 0;
  let layout: HeaderLayout | undefined;
  let positions: number[] = [];
  let isForm = false;
  let required: number[] = [];
  let afterBlank = false;
  /** The rows up to the HEADER_SEARCH_ROWS-th non-blank one: blank ones too, which end a form's table. */
  const top: NumberedRow[] = [];
  let filled = 0;

  const append = (row: NumberedRow) => {
    const width = layout!.mapping.names.length;
    if (row.cells.length > width && row.cells.slice(width).some((c) => !isBlank(c))) {
      rejects.push({ row: row.number, reason: `too many columns: values beyond the ${width} headed columns`, text: row.cells.join('\t') });
      return;
    }
    appender.appendBigInt(BigInt(row.number));
    for (const position of positions) {
      const value = position >= 0 ? row.cells[position] : null;
      if (value === null || value === undefined) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.endRow();
    if (++rowsRead % FLUSH_ROWS === 0) appender.flushSync();
  };
  let lastNumber = 0;
  const take = (row: NumberedRow) => {
    const gap = gapsAreBlank && lastNumber > 0 && row.number > lastNumber + 1;
    lastNumber = row.number;
    if (row.cells.every(isBlank) || gap) afterBlank ||= isForm && rowsRead > 0;
    if (row.cells.every(isBlank)) return;
    if (!afterBlank) return append(row);
    footer.push(row);
    if (required.filter((p) => !isBlank(row.cells[p])).length * 2 >= required.length) {
      // A record after the blank row: what looked like a footer was records.
      for (const held of footer.splice(0)) append(held);
      afterBlank = false;
    }
  };
  const start = () => {
    layout = locateHeader(displayName, top.map((r) => r.cells.map((c) => c ?? '')), table, extraAliases);
    const names = layout.mapping.names;
    positions = table.columns.map((c) => names.indexOf(c.name));
    isForm = layout.headerRow > 0 || layout.headerRows > 1 || layout.dataRow > layout.headerRow + 1;
    required = table.columns.filter((c) => c.required).map((c) => names.indexOf(c.name)).filter((p) => p >= 0);
    for (const row of top.slice(layout.dataRow)) take(row);
  };

  try {
    for await (const batch of rows) {
      for (const row of batch) {
        if (layout) {
          take(row);
          continue;
        }
        top.push(row);
        if (!row.cells.every(isBlank) && ++filled >= HEADER_SEARCH_ROWS) start();
      }
    }
    if (!layout) {
      if (filled === 0) throw new SourceFileError(displayName, 'the first sheet is empty', { action: 'export the file again with its header row and data' });
      start();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  const leftOut = footer.map((row) => ({ row: row.number, text: row.cells.filter((c) => !isBlank(c)).join(' | ') }));
  return { mapping: layout!.mapping, rowsRead, rejects, leftOut };
}

function isBlank(cell: string | null | undefined): boolean {
  return cell === null || cell === undefined || cell.trim() === '';
}

/** Whether the first rows of an export are laid out as a printed form, not one header row then records. */
export function isFormLayout(rows: readonly (readonly string[])[], table: TableContract, extraAliases: Readonly<Record<string, readonly string[]>>): boolean {
  return findHeader(rows, table, extraAliases).dataRow > 1;
}
