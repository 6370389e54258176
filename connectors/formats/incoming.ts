// What a file reader hands to the load stage: the rows of one file in the temporary table
// `incoming` (`_row` plus every column of the table contract, as text), and the records it
// could not split into columns. The load stage checks and commits them.
import { SourceFileError } from '../../core/errors.js';
import { ident, type Warehouse } from '../../core/warehouse.js';
import type { TableContract } from '../contract.js';
import type { HeaderMapping } from '../headers.js';

export const INCOMING = 'incoming';

/** A record the reader could not split into the header's columns. */
export type Reject = { row: number; reason: string; text: string };

export type ReadResult = {
  mapping: HeaderMapping;
  /** Rows in `incoming`. */
  rowsRead: number;
  rejects: Reject[];
  /** Lines under a printed form's table that hold no record (notes, signatures): neither loaded nor quarantined, but said. */
  leftOut?: { row: number; text: string }[];
};

/** What every reader is: a file in, its rows in `incoming`. */
export type FileReader = (
  db: Warehouse,
  path: string,
  displayName: string,
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>>,
  /** The longest record a text reader reads (limits.max_row_kb); the others read cells, whose size the workbook bounds. */
  limits?: { maxRecordBytes: number },
) => Promise<ReadResult>;

export async function createIncoming(db: Warehouse, table: TableContract): Promise<void> {
  const columns = table.columns.map((c) => `${ident(c.name)} VARCHAR`).join(', ');
  await db.run(`CREATE OR REPLACE TEMP TABLE ${INCOMING} (_row BIGINT, ${columns})`);
}

/** Refuses a file with more records than limits.max_rows_per_file (`what`: how they were counted). */
export function refuseTooManyRecords(displayName: string, count: number, limit: number, what = 'records'): void {
  if (count <= limit) return;
  throw new SourceFileError(displayName, `holds ${count.toLocaleString('en-US')} ${what}, more than limits.max_rows_per_file (${limit.toLocaleString('en-US')})`, {
    action: 'split the export (by week or month), or raise limits.max_rows_per_file in the config if the machine has the disk for it',
  });
}
