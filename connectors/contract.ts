// What a connector declares about the data it brings: its tables, each table's columns with the
// header spellings met in exports, which columns must be present, which values must be readable,
// and which hold citizens' personal data (they stay in `raw`).
import { z } from 'zod';

/** How the load stage checks a value before it enters `raw` (raw keeps the text as landed). */
export type ColumnType =
  | 'text'
  | 'timestamp'
  | 'boolean'
  | 'amount'
  | 'integer'
  /** A code of a code list in sql/seeds/code_lists.csv (or a unit or level of the unit register), by code, label or alias. */
  | { lookup: string };

export type ColumnContract = {
  name: string;
  type: ColumnType;
  /** Header spellings; diacritics, case, NFC/NFD and CamelCase do not matter (see headers.ts). */
  aliases: readonly string[];
  /** The file must have this column. */
  required?: boolean;
  /** Every row must have a value; a row without one is quarantined. */
  notNull?: boolean;
  /** An amount that cannot be below 0 (a fee, a payment): a negative one is quarantined. */
  nonNegative?: boolean;
  /** Citizens' personal data: never leaves `raw`, erased after the retention (pipelines/setup/privacy.ts). */
  personal?: boolean;
  /** For a personal JSON column: the json_transform structure of what the retention keeps (what models read), instead of nothing. */
  keptOnErase?: string;
  description: string;
};

export type TableContract = {
  /** The raw table, `raw.<source>__<table>`. */
  name: string;
  description: string;
  primaryKey: readonly string[];
  /** The column that orders versions of a row (latest wins). */
  cursor?: string;
  /**
   * How files of this table are laid out: `export` (the default), a header row then one row
   * per record, in CSV or XLSX; `budget_workbook`, the budget system's XLSX report with a
   * title block, a two-row header and hierarchical rows (connectors/formats/budget-workbook.ts).
   */
  layout?: 'export' | 'budget_workbook';
  columns: readonly ColumnContract[];
};

/** A table that the source's sync API serves, and what each of its items must look like. */
export type ApiResource = {
  /** Path after the API's base URL, e.g. motcua/dossiers. */
  path: string;
  /** The field of each item that carries its update time (yyyyMMddHHmmss): the pull's cursor. */
  cursorField: string;
  /** The field of each item that identifies its record: with the update time, the key that pages advance by. */
  idField: string;
  /** The shape every item must have: a page with an item that does not match is an error, not a skip. */
  item: z.ZodType;
};

export type SourceContract = {
  name: string;
  description: string;
  tables: Readonly<Record<string, TableContract>>;
  /** The tables its API serves, by table name; the others come from files. */
  api?: Readonly<Record<string, ApiResource>>;
};

/** Update times of the sync APIs: yyyyMMddHHmmss, local time. */
export const syncTime = z.string().regex(/^\d{14}$/, 'expected a time as yyyyMMddHHmmss');

export function rawTableName(source: string, table: TableContract): string {
  return `${source}__${table.name}`;
}
