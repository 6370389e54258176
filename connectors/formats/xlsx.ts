// Reads an XLSX export and appends its rows to `incoming` (rows.ts). The first visible sheet is
// the export, laid out as an export or as a printed form (rows.ts finds its header). Cells become
// the text the CSV exports would carry. The sheet is scanned as it inflates, so memory stays
// flat as the file grows; only the shared strings are held, since cells refer to them by number.
import { messageOf, SourceFileError } from '../../core/errors.js';
import { ident, type Warehouse } from '../../core/warehouse.js';
import type { HeaderMapping } from '../headers.js';
import { INCOMING, type FileReader } from './incoming.js';
import { appendRows } from './rows.js';
import type { CellRange } from './xlsx-sheet.js';
import { firstSheetRows } from './xlsx-workbook.js';

export const readXlsx: FileReader = async (db, path, displayName, table, extraAliases) => {
  const mergedCells: CellRange[] = [];
  let read;
  try {
    read = await appendRows(db, firstSheetRows(path, mergedCells), displayName, table, extraAliases, { gapsAreBlank: true });
  } catch (error) {
    if (error instanceof SourceFileError) throw error;
    throw new SourceFileError(displayName, `cannot be read as an XLSX workbook: ${messageOf(error)}`, {
      action: 'open it in a spreadsheet program to check it, and export it again as .xlsx',
      cause: error,
    });
  }
  await fillMergedCells(db, mergedCells, read.mapping);
  return read;
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
