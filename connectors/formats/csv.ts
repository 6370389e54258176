// Reads CSV exports with DuckDB's own CSV reader (parallel, in C++), after a look at their first
// bytes in JS to learn the encoding, the delimiter and the header (csv-sniff.ts). An export that is
// not UTF-8 is read from a UTF-8 copy (see encoding.ts). Every record lands in the raw table (or
// `incoming`) or comes back as a reject with DuckDB's reason; none is dropped.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { messageOf, SourceFileError } from '../../core/errors.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import type { TableContract } from '../contract.js';
import { mapHeaders, type HeaderMapping } from '../headers.js';
import { DEFAULT_LIMITS, lineCount, numberRows, type CsvLimits, type ScanCounts } from './csv-lines.js';
import { sniffCsv, type CsvShape } from './csv-sniff.js';
import { convertToUtf8, type Encoding } from './encoding.js';
import { createIncoming, INCOMING, refuseTooManyRecords, type FileReader, type ReadResult } from './incoming.js';

export { sniffCsv, type CsvShape };
// Exports laid out as printed forms are read row by row instead.
export { isCsvForm, readCsvForm } from './csv-form.js';

/** Where to write the UTF-8 copies of legacy-encoded exports, and the limits of the config (limits.*; DuckDB's own by default). */
export type CsvOptions = { tempDir: string } & Partial<CsvLimits>;

/** A CSV export to read into a raw table, as the load of this id. */
export type CsvLoad = {
  path: string;
  displayName: string;
  loadId: number;
  /** The file's lines and whether a record holds decomposed text, when known from its landing (lineCount's answer). */
  text?: { lines: number; decomposed: boolean } | undefined;
};

/**
 * Reads CSV exports of one table into `rawTable` (with `_load_id`, `_file`, `_row`), in one scan
 * of DuckDB's reader for all the files of the same delimiter and header: a scan per file would
 * cost twice as much. Exports not in UTF-8 are read from UTF-8 copies written in `tempDir`, and
 * deleted after. Returns each file's result, in the order given.
 */
export async function readCsvFiles(
  db: Warehouse,
  rawTable: string,
  files: CsvLoad[],
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>>,
  options: CsvOptions,
): Promise<ReadResult[]> {
  const limits = { ...DEFAULT_LIMITS, ...options };
  return withUtf8Copies(options.tempDir, async (asUtf8) => {
    const shapes = new Map<string, { shape: CsvShape; mapping: HeaderMapping; files: CsvLoad[] }>();
    for (const file of files) {
      const shape = await sniffCsv(file.path, file.displayName);
      const mapping = mapHeaders(file.displayName, shape.headers, table, extraAliases);
      const key = JSON.stringify([shape.delimiter, shape.headers]);
      // Lines counted on the bytes as landed hold for the UTF-8 copy of an export only if it was UTF-8 already.
      const read = await asUtf8(shape.encoding === 'utf-8' ? file : { ...file, text: undefined }, shape.encoding);
      shapes.set(key, { shape, mapping, files: [...(shapes.get(key)?.files ?? []), read] });
    }
    const results = new Map<number, ReadResult>();
    for (const { shape, mapping, files: same } of shapes.values()) {
      const counts = await scan(db, { table: rawTable, files: same }, shape, mapping, limits);
      for (const file of same) results.set(file.loadId, { mapping, ...(await numberRows(db, { table: rawTable, where: `_load_id = ${file.loadId}` }, file.path, counts.get(file.path)!, limits)) });
    }
    return files.map((f) => results.get(f.loadId)!);
  });
}

/**
 * One file into `incoming`, as the other readers do (for tools and tests; the load stage uses
 * readCsvFiles). Having no warehouse, it writes the UTF-8 copy of an export in the system's
 * temporary folder.
 */
export const readCsv: FileReader = async (db, path, displayName, table, extraAliases) => {
  const shape = await sniffCsv(path, displayName);
  const mapping = mapHeaders(displayName, shape.headers, table, extraAliases);
  await createIncoming(db, table);
  return withUtf8Copies(tmpdir(), async (asUtf8) => {
    const file = await asUtf8({ path, displayName }, shape.encoding);
    const counts = await scan(db, { table: INCOMING, files: [file] }, shape, mapping, DEFAULT_LIMITS);
    return { mapping, ...(await numberRows(db, { table: INCOMING, where: 'true' }, file.path, counts.get(file.path)!, DEFAULT_LIMITS)) };
  });
};

/** Gives a file as DuckDB can read it: the file itself when it is UTF-8, else its UTF-8 copy. */
type AsUtf8 = <F extends { path: string }>(file: F, encoding: Encoding) => Promise<F>;

/**
 * Runs `read` with a way to get UTF-8 versions of exports, written in `tempDir`: the landed file
 * is never rewritten (its name is its content's hash). The copies are deleted when `read` ends,
 * whether it succeeds or fails.
 */
async function withUtf8Copies<T>(tempDir: string, read: (asUtf8: AsUtf8) => Promise<T>): Promise<T> {
  const copies: string[] = [];
  const asUtf8: AsUtf8 = async (file, encoding) => {
    if (encoding === 'utf-8') return file;
    await mkdir(tempDir, { recursive: true });
    const copy = join(tempDir, `${basename(file.path)}.${randomBytes(4).toString('hex')}.utf8.csv`);
    copies.push(copy);
    await convertToUtf8(file.path, copy, encoding);
    return { ...file, path: copy };
  };
  try {
    return await read(asUtf8);
  } finally {
    await Promise.all(copies.map((copy) => rm(copy, { force: true })));
  }
}

/** The files of one scan, into `table`: with their load ids when it is a raw table. */
type ScanInto = { table: string; files: { path: string; displayName: string; loadId?: number; text?: CsvLoad['text'] }[] };

/**
 * Files of one shape into a table in one INSERT. Header and types are known, so DuckDB's sniffer
 * stays off. Text with letters written decomposed (NFD, a base letter and combining marks, as
 * some keyboards and Macs type Vietnamese) is composed to NFC by DuckDB in the same INSERT, so
 * that "Đồng Hới" equals itself whichever way it was typed. The rows are numbered after
 * (numberInFileOrder).
 */
async function scan(db: Warehouse, into: ScanInto, shape: CsvShape, mapping: HeaderMapping, limits: CsvLimits): Promise<Map<string, ScanCounts>> {
  const { counts, decomposed } = await countLines(into.files, limits.maxRows);
  const columns = `{${mapping.names.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;
  const present = [...mapping.original.keys()].map(ident).join(', ');
  const values = decomposed ? [...mapping.original.keys()].map((n) => `nfc_normalize(${ident(n)})`).join(', ') : present;
  const paths = sqlList(into.files.map((f) => f.path));
  const withLoad = into.files[0]!.loadId !== undefined;
  const load = withLoad ? `${sqlList(into.files.map((f) => String(f.loadId)), false)}[i], ${sqlList(into.files.map((f) => f.displayName))}[i], ` : '';
  await db.run('DROP TABLE IF EXISTS csv_rejects');
  await db.run('DROP TABLE IF EXISTS csv_reject_scans');
  try {
    await db.run(
      `INSERT INTO ${into.table} (${withLoad ? '_load_id, _file, ' : ''}${present})
       SELECT ${load}${values}
       FROM (SELECT file_index::BIGINT + 1 AS i, *
             FROM read_csv(${paths}, auto_detect = false, header = true, delim = ${literal(shape.delimiter)},
                           quote = '"', escape = '"', columns = ${columns}, max_line_size = ${limits.maxLineBytes},
                           store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans'))`,
    );
  } catch (error) {
    // What the file holds, not a mistake in this SQL: that stays a crash, to be fixed here.
    if (!/^(Invalid Input|Conversion|IO) Error/.test(messageOf(error))) throw error;
    const names = into.files.map((f) => f.displayName).join(', ');
    throw new SourceFileError(names, `DuckDB cannot read it as CSV: ${messageOf(error)}`, {
      action: 'open it in a text editor at the place named and export it again',
      cause: error,
    });
  }
  await numberInFileOrder(db, into, counts);
  await countRejected(db, counts);
  return counts;
}

/**
 * The lines of each file, counted before the scan, so that a file with too many is refused before
 * DuckDB reads a row. Whether any holds decomposed text comes from the same pass (lineCount), or
 * from the read of the file when it was landed.
 */
async function countLines(files: ScanInto['files'], maxRows: number): Promise<{ counts: Map<string, ScanCounts>; decomposed: boolean }> {
  const counts = new Map<string, ScanCounts>();
  let decomposed = false;
  for (const f of files) {
    const text = f.text ?? (await lineCount(f.path));
    refuseTooManyRecords(f.displayName, text.lines - 1, maxRows, 'lines of records');
    counts.set(f.path, { lines: text.lines, accepted: 0, rejected: [] });
    decomposed ||= text.decomposed;
  }
  return { counts, decomposed };
}

/**
 * Counts the records each file of a scan had accepted, and numbers them: `_row` is the line a
 * record starts on when records sit one per line after the header (numberRows puts right the
 * others). The INSERT keeps the scan's order (DuckDB's insertion order), so a file's rows have
 * consecutive row ids in its order: the first is on line 2. A window numbering them in the
 * INSERT would make DuckDB read the files on one thread; updating rows just inserted makes the
 * commit write them again, which costs less.
 */
async function numberInFileOrder(db: Warehouse, into: ScanInto, counts: Map<string, ScanCounts>): Promise<void> {
  const withLoad = into.files[0]!.loadId !== undefined;
  const scanned = withLoad ? `_load_id IN (${into.files.map((f) => f.loadId).join(', ')})` : 'true';
  const firsts = await db.all<{ id: number | null; n: number; first: bigint | number }>(
    `SELECT ${withLoad ? '_load_id' : 'NULL'} AS id, count(*) AS n, min(rowid) AS first FROM ${into.table} WHERE ${scanned} GROUP BY ALL`,
  );
  const byLoad = new Map(firsts.map((f) => [f.id === null ? null : Number(f.id), f]));
  for (const f of into.files) counts.get(f.path)!.accepted = Number(byLoad.get(f.loadId ?? null)?.n ?? 0);
  if (firsts.length === 0) return;
  const first = withLoad ? `CASE _load_id ${firsts.map((f) => `WHEN ${f.id} THEN ${f.first}`).join(' ')} END` : String(firsts[0]!.first);
  await db.run(`UPDATE ${into.table} SET _row = rowid - ${first} + 2 WHERE ${scanned}`);
}

/** The records of each file of a scan that DuckDB rejected, from its rejects tables. */
async function countRejected(db: Warehouse, counts: Map<string, ScanCounts>): Promise<void> {
  const rejected = await db.all<{ file_path: string; line: number; error_type: string; error_message: string; csv_line: string | null }>(
    // DuckDB reports one error per column of a bad record (a record cut short: one per missing
    // column, each counting the fields differently): one reject per record here, each kind of
    // error said once, as at the first column it concerns.
    `WITH kinds AS (
       SELECT scan_id, file_id, line, lower(error_type) AS error_type, arg_min(error_message, coalesce(column_idx, 0)) AS error_message, any_value(csv_line) AS csv_line
       FROM csv_rejects GROUP BY ALL)
     SELECT s.file_path, e.line, string_agg(e.error_type, ', ' ORDER BY e.error_type) AS error_type,
            string_agg(e.error_message, '; ' ORDER BY e.error_type) AS error_message, any_value(e.csv_line) AS csv_line
     FROM kinds e JOIN csv_reject_scans s USING (scan_id, file_id) GROUP BY s.file_path, e.line ORDER BY e.line`,
  );
  for (const { file_path, ...reject } of rejected) counts.get(file_path)?.rejected.push(reject);
}

function sqlList(values: string[], quoted = true): string {
  return `[${values.map((v) => (quoted ? literal(v) : v)).join(', ')}]`;
}
