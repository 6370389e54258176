// Maps the header row of an export to the canonical column names of its table contract.
// Exports spell the same column many ways ("Mã hồ sơ", "MÃ HỒ SƠ", "Ma ho so", "MaHoSo", NFD
// text from old tools); all reduce to one key here.
import { ConfigError, SourceFileError } from '../core/errors.js';
import type { TableContract } from './contract.js';

/** "Ngày tiếp nhận", "NGAY TIEP NHAN", "NgayTiepNhan" → "ngay_tiep_nhan". */
export function headerKey(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1_$2')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export type HeaderMapping = {
  /** Canonical name for each position of the header; unknown columns get `_extra_<n>`. */
  names: string[];
  /** The header as written in the file, by canonical name, for messages. */
  original: Map<string, string>;
  /** Headers the contract does not know, kept out of `raw` (and reported). */
  unknown: string[];
};

type Aliases = Readonly<Record<string, readonly string[]>>;

/**
 * The column each header key names: the contract's spellings, then the config's, which win over
 * a built-in spelling of another column (the deployment knows what its exports mean). Two columns
 * the config gives the same spelling are refused by checkHeaderAliases before any file is read.
 */
export function headerResolver(table: TableContract, extraAliases: Aliases = {}): (header: string) => string | undefined {
  const byKey = new Map<string, string>();
  for (const column of table.columns) {
    for (const alias of [column.name, ...column.aliases]) byKey.set(headerKey(alias), column.name);
  }
  for (const column of table.columns) {
    for (const alias of extraAliases[column.name] ?? []) byKey.set(headerKey(alias), column.name);
  }
  return (header) => byKey.get(headerKey(header));
}

export function mapHeaders(
  file: string,
  headers: readonly string[],
  table: TableContract,
  extraAliases: Aliases = {},
  /** Files must hold every required column; an API item may leave out a field that is null. */
  { requireColumns = true }: { requireColumns?: boolean } = {},
): HeaderMapping {
  const resolve = headerResolver(table, extraAliases);
  const names: string[] = [];
  const original = new Map<string, string>();
  const unknown: string[] = [];
  headers.forEach((header, position) => {
    const name = resolve(header);
    if (!name) {
      names.push(`_extra_${position + 1}`);
      if (header.trim() !== '') unknown.push(header);
      return;
    }
    if (original.has(name)) {
      throw new SourceFileError(
        file,
        `columns "${original.get(name)}" and "${header}" (position ${position + 1}) both mean ${name}`,
        { action: 'remove one of the two columns from the export, or rename it if it means something else' },
      );
    }
    names.push(name);
    original.set(name, header);
  });

  const missing = requireColumns ? table.columns.filter((c) => c.required && !original.has(c.name)) : [];
  if (missing.length > 0) {
    const list = missing.map((c) => `${c.name} (e.g. "${c.aliases[0]}")`).join(', ');
    throw new SourceFileError(file, `missing required column${missing.length > 1 ? 's' : ''} ${list}`, {
      action: `re-export the file with ${missing.length > 1 ? 'these columns' : 'this column'}, or, if the file names it differently, add that header under sources.<source>.header_aliases in the config`,
    });
  }
  return { names, original, unknown };
}

/**
 * The config's header spellings of a source, checked against its tables: each names a column
 * one of them has, and no spelling is given to two columns of a table. Returns what the config
 * changes of the built-in spellings (for `cchc check`); throws a ConfigError on a clash.
 */
export function checkHeaderAliases(source: string, tables: readonly TableContract[], extraAliases: Aliases): string[] {
  const key = `sources.${source}.header_aliases`;
  const columns = new Set(tables.flatMap((t) => t.columns.map((c) => c.name)));
  const problems: string[] = [];
  const notes: string[] = [];
  for (const column of Object.keys(extraAliases).filter((c) => !columns.has(c))) {
    problems.push(`${key}.${column}: ${source} has no column ${column} (columns: ${[...columns].join(', ')})`);
  }
  for (const table of tables) {
    const claimed = new Map<string, string>();
    for (const column of table.columns) {
      for (const alias of extraAliases[column.name] ?? []) {
        const other = claimed.get(headerKey(alias));
        if (other && other !== column.name) problems.push(`${key}: "${alias}" is given to both ${other} and ${column.name} (table ${table.name})`);
        claimed.set(headerKey(alias), column.name);
        const builtIn = table.columns.find((c) => c.name !== column.name && [c.name, ...c.aliases].some((a) => headerKey(a) === headerKey(alias)));
        if (builtIn) notes.push(`${key}.${column.name}: "${alias}" means ${column.name} in this deployment's ${table.name}, not ${builtIn.name}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`header spellings that cannot be placed:\n${problems.map((p) => `  ${p}`).join('\n')}`, {
      action: 'give each spelling to one column of the table, under that column\'s name',
    });
  }
  return [...new Set(notes)];
}

/** Where a table laid out for print has its header, and where its records start. */
export type HeaderLayout = {
  mapping: HeaderMapping;
  /** Index in the given rows of the header's first row (a title block may come above it). */
  headerRow: number;
  /** 1, or 2 when a parent row is merged over children ("Ngày, tháng, năm" over the dates). */
  headerRows: 1 | 2;
  /** Index of the first row after the header (and after its row of column numbers, if any). */
  dataRow: number;
};

/**
 * Finds the header among the first rows of an export, where forms put it: under a title block,
 * over one row or two (a parent cell merged over its children, whose names are the child's, or
 * parent and child together), with a row of column numbers under it. The header is the row, or
 * pair of rows, that names the most columns of the table; a pair must name more than either of
 * its rows alone. When no row names two columns, the first row is taken, and mapHeaders says what it
 * lacks.
 */
export function locateHeader(file: string, rows: readonly (readonly string[])[], table: TableContract, extraAliases: Aliases = {}): HeaderLayout {
  const { headers, ...layout } = findHeader(rows, table, extraAliases);
  return { mapping: mapHeaders(file, headers, table, extraAliases), ...layout };
}

/** Where locateHeader finds the header, and its names, before they are mapped (and found wanting). */
export function findHeader(rows: readonly (readonly string[])[], table: TableContract, extraAliases: Aliases = {}): Omit<HeaderLayout, 'mapping'> & { headers: string[] } {
  const resolve = headerResolver(table, extraAliases);
  const named = (headers: readonly string[]) => new Set(headers.map(resolve).filter(Boolean)).size;
  let best = { headerRow: rows.findIndex((r) => r.some((c) => c.trim() !== '')), headerRows: 1 as 1 | 2, headers: [] as string[], score: 1 };
  rows.forEach((row, i) => {
    const single = row.map((c) => c.trim());
    const score = named(single);
    if (score > best.score) best = { headerRow: i, headerRows: 1, headers: single, score };
    const next = rows[i + 1];
    if (!next) return;
    const pair = combineHeaderRows(row, next, resolve);
    const pairScore = named(pair);
    if (pairScore > Math.max(score, named(next), best.score)) best = { headerRow: i, headerRows: 2, headers: pair, score: pairScore };
  });
  const headerRow = Math.max(best.headerRow, 0);
  const headers = best.headers.length > 0 ? best.headers : (rows[headerRow] ?? []).map((c) => c.trim());
  let dataRow = headerRow + best.headerRows;
  if (rows[dataRow] && isColumnNumberRow(rows[dataRow]!)) dataRow++;
  return { headers, headerRow, headerRows: best.headerRows, dataRow };
}

/**
 * One header from a parent row and a child row: for each column, parent and child together if
 * that names a column, else the child, else (no child) the parent. A parent merged across its
 * children is written in the first of them only: a blank parent over a child takes the parent on
 * its left.
 */
function combineHeaderRows(parents: readonly string[], children: readonly string[], resolve: (header: string) => string | undefined): string[] {
  const width = Math.max(parents.length, children.length);
  let spanning = '';
  return Array.from({ length: width }, (_, i) => {
    const parent = (parents[i] ?? '').trim();
    const child = (children[i] ?? '').trim();
    if (parent) spanning = parent;
    const over = parent || spanning;
    if (!child) return parent;
    const both = `${over} ${child}`;
    return over && resolve(both) ? both : child;
  });
}

/**
 * Printed forms number their columns on the row under the header: "(1)", "(2)" …, or "A", "B",
 * "1", "2", "4=3/1", "(5)=(3)/(1)". Such a row is no record. It needs at least two such cells and
 * nothing else: a record has words, dates or codes longer than these.
 */
export function isColumnNumberRow(cells: readonly (string | null | undefined)[]): boolean {
  const filled = cells.map((c) => (c ?? '').trim()).filter((c) => c !== '');
  return filled.length >= 2 && filled.every((c) => COLUMN_NUMBER.test(c));
}

/** A column's number or letter, alone or in brackets, or a formula of them ("4=3/1", "(5)=(3)-(1)", "6 = 4 x 100"). */
const COLUMN_NUMBER = /^\(?\s*(?:\d{1,2}|[A-Z])\s*\)?(?:\s*[=+\-*/x×:]\s*\(?\s*(?:\d{1,3}|[A-Z])\s*\)?%?)*$/;
