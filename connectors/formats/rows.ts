// Exports read row by row in JS, workbooks and CSV files laid out as printed forms alike: the
// header found where the form puts it (headers.ts: locateHeader), each record appended to
// `incoming` through DuckDB's appender, and the notes and signatures printed under a form's table
// told from records.
import type { DuckDBAppender } from '@duckdb/node-api';
import { SourceFileError } from '../../core/errors.js';
import type { Warehouse } from '../../core/warehouse.js';
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
  /** The rows up to the HEADER_SEARCH_ROWS-th non-blank one: blank ones too, which end a form's table. */
  const top: NumberedRow[] = [];
  let filled = 0;
  let body: TableBody | undefined;
  const start = () => {
    const layout = locateHeader(displayName, top.map((r) => r.cells.map((c) => c ?? '')), table, extraAliases);
    const started = new TableBody(appender, layout, table, gapsAreBlank);
    for (const row of top.slice(layout.dataRow)) started.take(row);
    return started;
  };

  try {
    for await (const batch of rows) {
      for (const row of batch) {
        if (body) {
          body.take(row);
          continue;
        }
        top.push(row);
        if (!row.cells.every(isBlank) && ++filled >= HEADER_SEARCH_ROWS) body = start();
      }
    }
    if (!body) {
      if (filled === 0) throw new SourceFileError(displayName, 'the first sheet is empty', { action: 'export the file again with its header row and data' });
      body = start();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return body.result();
}

/** The rows under the header, as appendRows tells records, rejects and a form's footer apart. */
class TableBody {
  private rowsRead = 0;
  private readonly rejects: Reject[] = [];
  private readonly footer: NumberedRow[] = [];
  /** The headed columns: values beyond them make a reject. */
  private readonly width: number;
  /** The position in a row of each column of the table, -1 for one the header lacks. */
  private readonly positions: number[];
  private readonly required: number[];
  private readonly isForm: boolean;
  private afterBlank = false;
  private lastNumber = 0;

  constructor(
    private readonly appender: DuckDBAppender,
    private readonly layout: HeaderLayout,
    table: TableContract,
    private readonly gapsAreBlank: boolean,
  ) {
    const names = layout.mapping.names;
    this.width = names.length;
    this.positions = table.columns.map((c) => names.indexOf(c.name));
    this.isForm = layout.headerRow > 0 || layout.headerRows > 1 || layout.dataRow > layout.headerRow + 1;
    this.required = table.columns.filter((c) => c.required).map((c) => names.indexOf(c.name)).filter((p) => p >= 0);
  }

  take(row: NumberedRow): void {
    const gap = this.gapsAreBlank && this.lastNumber > 0 && row.number > this.lastNumber + 1;
    this.lastNumber = row.number;
    if (row.cells.every(isBlank) || gap) this.afterBlank ||= this.isForm && this.rowsRead > 0;
    if (row.cells.every(isBlank)) return;
    if (!this.afterBlank) return this.append(row);
    this.footer.push(row);
    if (this.required.filter((p) => !isBlank(row.cells[p])).length * 2 >= this.required.length) {
      // A record after the blank row: what looked like a footer was records.
      for (const held of this.footer.splice(0)) this.append(held);
      this.afterBlank = false;
    }
  }

  private append(row: NumberedRow): void {
    const { appender, width } = this;
    if (row.cells.length > width && row.cells.slice(width).some((c) => !isBlank(c))) {
      this.rejects.push({ row: row.number, reason: `too many columns: values beyond the ${width} headed columns`, text: row.cells.join('\t') });
      return;
    }
    appender.appendBigInt(BigInt(row.number));
    for (const position of this.positions) {
      const value = position >= 0 ? row.cells[position] : null;
      if (value === null || value === undefined) appender.appendNull();
      else appender.appendVarchar(value);
    }
    appender.endRow();
    if (++this.rowsRead % FLUSH_ROWS === 0) appender.flushSync();
  }

  result(): ReadResult {
    const leftOut = this.footer.map((row) => ({ row: row.number, text: row.cells.filter((c) => !isBlank(c)).join(' | ') }));
    return { mapping: this.layout.mapping, rowsRead: this.rowsRead, rejects: this.rejects, leftOut };
  }
}

function isBlank(cell: string | null | undefined): boolean {
  return cell === null || cell === undefined || cell.trim() === '';
}

/** Whether the first rows of an export are laid out as a printed form, not one header row then records. */
export function isFormLayout(rows: readonly (readonly string[])[], table: TableContract, extraAliases: Readonly<Record<string, readonly string[]>>): boolean {
  return findHeader(rows, table, extraAliases).dataRow > 1;
}
