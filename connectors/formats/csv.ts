// Reads CSV exports with DuckDB's own CSV reader (parallel, in C++), after a look at their first
// bytes in JS to learn the encoding, the delimiter and the header. An export that is not UTF-8 is
// read from a UTF-8 copy (see encoding.ts). Every record lands in the raw table (or `incoming`)
// or comes back as a reject with DuckDB's reason; none is dropped.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parse as parseStream } from 'csv-parse';
import { parse } from 'csv-parse/sync';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import { messageOf, SourceFileError } from '../../core/errors.js';
import type { TableContract } from '../contract.js';
import { mapHeaders, type HeaderMapping } from '../headers.js';
import { convertToUtf8, decodedText, detectEncoding, type Encoding } from './encoding.js';
import { createIncoming, INCOMING, refuseTooManyRecords, type FileReader, type ReadResult, type Reject } from './incoming.js';
import { appendRows, isFormLayout, type NumberedRow } from './rows.js';

const SNIFF_BYTES = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'] as const;

export type CsvShape = {
  delimiter: string;
  /** The first record: the header of an export. */
  headers: string[];
  encoding: Encoding;
  /** The first records, for a look at whether the file is laid out as a printed form (rows.ts). */
  rows: string[][];
};

/** Records looked at for a printed form's title block and header (see rows.ts). */
const FIRST_ROWS = 12;

/** Reads the first bytes of a CSV file: its encoding, its first records, and their delimiter, guessed. */
export async function sniffCsv(path: string, displayName: string): Promise<CsvShape> {
  const handle = await open(path, 'r');
  const buffer = Buffer.alloc(SNIFF_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0).finally(() => handle.close());

  if (bytesRead === 0) {
    throw new SourceFileError(displayName, 'the file is empty', { action: 'check the export job that wrote it and export again' });
  }
  const { encoding, text } = detectEncoding(buffer.subarray(0, bytesRead), displayName, bytesRead < SNIFF_BYTES);
  const headerLine = firstRecord(text);
  const delimiter = guessDelimiter(firstLines(text, FIRST_ROWS));
  const [headers] = parse(headerLine, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][];
  if (!headers || headers.every((h) => h.trim() === '')) {
    throw new SourceFileError(displayName, 'the first line holds no column names', {
      action: 'export the file with its header row',
    });
  }
  return { delimiter, headers, encoding, rows: firstRows(text, delimiter) ?? [headers] };
}

/** The first records of the sample, or undefined when they cannot be split (DuckDB's reader will say where). */
function firstRows(text: string, delimiter: string): string[][] | undefined {
  try {
    return parse(text, { delimiter, relax_quotes: true, relax_column_count: true, skip_empty_lines: true, to: FIRST_ROWS }) as string[][];
  } catch {
    return undefined;
  }
}

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

type CsvLimits = { maxLineBytes: number; maxRows: number };
/** Where to write the UTF-8 copies of legacy-encoded exports, and the limits of the config (limits.*; DuckDB's own by default). */
export type CsvOptions = { tempDir: string } & Partial<CsvLimits>;
const DEFAULT_LIMITS: CsvLimits = { maxLineBytes: 2 * 1024 * 1024, maxRows: 50_000_000 };

/** A CSV export to read into a raw table, as the load of this id. */
export type CsvLoad = { path: string; displayName: string; loadId: number };

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
      shapes.set(key, { shape, mapping, files: [...(shapes.get(key)?.files ?? []), await asUtf8(file, shape.encoding)] });
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

/** The records of a file a scan accepted, and those it rejected, by DuckDB's line numbers. */
type ScanCounts = { lines: number; accepted: number; rejected: { line: number; error_type: string; error_message: string; csv_line: string | null }[] };

/**
 * Files of one shape into a table in one INSERT. Header and types are known, so DuckDB's sniffer
 * stays off. `_row` is the line a record starts on when records sit one per line after the
 * header: row_number() over the scan, in file order (DuckDB streams it, at no cost), plus one,
 * less the data lines of the files before (counted beforehand). When a file before held other
 * than one record a line, the rows after it are put right; updating rows just inserted makes
 * the commit rewrite them, so it is done only then. Text with letters written decomposed (NFD, a
 * base letter and combining marks, as some keyboards and Macs type Vietnamese) is composed to NFC
 * by DuckDB in the same INSERT, so that "Đồng Hới" equals itself whichever way it was typed.
 */
async function scan(
  db: Warehouse,
  into: { table: string; files: { path: string; displayName: string; loadId?: number }[] },
  shape: CsvShape,
  mapping: HeaderMapping,
  limits: CsvLimits,
): Promise<Map<string, ScanCounts>> {
  const columns = `{${mapping.names.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;
  const present = [...mapping.original.keys()].map(ident).join(', ');
  const paths = sqlList(into.files.map((f) => f.path));
  const withLoad = into.files[0]!.loadId !== undefined;
  const load = withLoad ? `${sqlList(into.files.map((f) => String(f.loadId)), false)}[i], ${sqlList(into.files.map((f) => f.displayName))}[i], ` : '';
  const counts = new Map<string, ScanCounts>();
  const linesBefore: number[] = [];
  let lines = 0;
  let decomposed = false;
  for (const f of into.files) {
    linesBefore.push(lines);
    const text = await lineCount(f.path);
    // Refused before DuckDB reads a row: the lines are counted anyway.
    refuseTooManyRecords(f.displayName, text.lines - 1, limits.maxRows, 'lines of records');
    counts.set(f.path, { lines: text.lines, accepted: 0, rejected: [] });
    lines += text.lines - 1;
    decomposed ||= text.decomposed;
  }
  const values = decomposed ? [...mapping.original.keys()].map((n) => `nfc_normalize(${ident(n)})`).join(', ') : present;
  await db.run('DROP TABLE IF EXISTS csv_rejects');
  await db.run('DROP TABLE IF EXISTS csv_reject_scans');
  try {
    await db.run(
      `INSERT INTO ${into.table} (${withLoad ? '_load_id, _file, ' : ''}_row, ${present})
       SELECT ${load}row_number() OVER () + 1 - ${sqlList(linesBefore.map(String), false)}[i], ${values}
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
  if (withLoad) {
    const accepted = new Map(
      (await db.all<{ id: number; n: number }>(
        `SELECT _load_id AS id, count(*) AS n FROM ${into.table} WHERE _load_id IN (${into.files.map((f) => f.loadId).join(', ')}) GROUP BY _load_id`,
      )).map((r) => [Number(r.id), Number(r.n)]),
    );
    let recordsBefore = 0;
    for (const [i, f] of into.files.entries()) {
      counts.get(f.path)!.accepted = accepted.get(f.loadId!) ?? 0;
      const off = linesBefore[i]! - recordsBefore;
      if (off !== 0) await db.run(`UPDATE ${into.table} SET _row = _row + ${off} WHERE _load_id = ${f.loadId}`);
      recordsBefore += counts.get(f.path)!.accepted;
    }
  } else {
    counts.get(into.files[0]!.path)!.accepted = (await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${into.table}`))!.n;
  }
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
  return counts;
}

/** Turns a file's `_row` into the line each record starts on, and its DuckDB rejects into rejects by line. */
async function numberRows(db: Warehouse, rows: RowsOf, path: string, counts: ScanCounts, limits: CsvLimits): Promise<{ rowsRead: number; rejects: Reject[] }> {
  // One line per record, the header's included, and no blank line: nothing shifts, and the
  // byte-by-byte scan (slow in JS) is not needed.
  const shifts = counts.lines === counts.accepted + counts.rejected.length + 1 ? [] : await lineShifts(path);
  const rejects = counts.rejected.map((r) => {
    const record = recordAtDuckdbLine(r.line, shifts);
    const reason = `${r.error_type}: ${r.error_message}${r.error_type.includes('line size') ? ' (limits.max_row_kb)' : ''}`;
    return { record, row: lineOfRecord(record, shifts), reason, text: (r.csv_line ?? '').normalize('NFC') };
  });
  await numberRowsByLine(db, rows, rejects.map((r) => r.record), shifts);
  // A quoted field longer than the line limit makes DuckDB report an unterminated quote, with
  // the text of the line before: the line's own length tells the truth.
  const suspects = rejects.filter((r) => r.reason.startsWith('unquoted value'));
  const lines = suspects.length > 0 ? await linesAt(path, new Set(suspects.map((r) => r.row))) : new Map<number, { bytes: number; head: string }>();
  for (const r of suspects) {
    const line = lines.get(r.row);
    if (!line || line.bytes <= limits.maxLineBytes) continue;
    r.reason = `line size over maximum: the line is ${line.bytes.toLocaleString('en-US')} bytes long, more than ${limits.maxLineBytes.toLocaleString('en-US')} (limits.max_row_kb)`;
    r.text = line.head;
  }
  return { rowsRead: counts.accepted, rejects: rejects.map(({ row, reason, text }): Reject => ({ row, reason, text })) };
}

/** The byte length and the first 10,000 bytes (as text) of the given lines of a file (1 is the first). */
async function linesAt(path: string, wanted: ReadonlySet<number>): Promise<Map<number, { bytes: number; head: string }>> {
  const found = new Map<number, { bytes: number; head: Buffer[] }>();
  let line = 1;
  const add = (bytes: Buffer) => {
    if (!wanted.has(line)) return;
    const entry = found.get(line) ?? { bytes: 0, head: [] };
    const kept = entry.head.reduce((n, b) => n + b.length, 0);
    if (kept < 10_000) entry.head.push(bytes.subarray(0, 10_000 - kept));
    entry.bytes += bytes.length;
    found.set(line, entry);
  };
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    let start = 0;
    for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, start)) {
      add(bytes.subarray(start, i));
      line++;
      start = i + 1;
    }
    add(bytes.subarray(start));
  }
  return new Map([...found].map(([n, e]) => [n, { bytes: e.bytes, head: Buffer.concat(e.head).toString('utf8').normalize('NFC') }]));
}

function sqlList(values: string[], quoted = true): string {
  return `[${values.map((v) => (quoted ? literal(v) : v)).join(', ')}]`;
}

/** The rows a read wrote: a table, and the condition that picks them out of it. */
type RowsOf = { table: string; where: string };

/**
 * Where records do not sit one per line (blank lines, fields with line breaks): each record at
 * which that changes, with the line it starts on and the number of blank lines before it. The
 * header is record 0 on line 1. DuckDB numbers the lines of its rejects counting blank lines but
 * not the line breaks inside fields; a text editor counts both.
 */
export type LineShift = { record: number; line: number; blanks: number };

export async function lineShifts(path: string): Promise<LineShift[]> {
  const shifts: LineShift[] = [];
  let line = 1;
  let blanks = 0;
  let record = -1;
  let last = { offset: 0, blanks: 0 };
  let quoted = false;
  let inRecord = false;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (!inRecord) {
        if (b === LF) {
          line++;
          blanks++;
          continue;
        }
        if (b === CR) continue;
        inRecord = true;
        record++;
        if (record === 0) blanks = 0; // lines before the header are not counted by anyone
        if (line - record - 1 !== last.offset || blanks !== last.blanks) {
          last = { offset: line - record - 1, blanks };
          shifts.push({ record, line, blanks });
        }
      }
      if (b === QUOTE) quoted = !quoted;
      else if (b === LF) {
        line++;
        if (!quoted) inRecord = false;
      }
    }
  }
  return shifts;
}

/**
 * Lines of a UTF-8 file, as a text editor counts them (a last line without a line break counts),
 * and whether its records hold combining marks (U+0300–U+036F, whose UTF-8 starts with 0xCC or
 * 0xCD, bytes that start nothing else): the marks of decomposed Vietnamese. Looking for them in
 * the same pass costs two memchr a chunk, and finds them wherever they are, where a sample would
 * miss the rows typed on one user's keyboard in the middle of an export. The header's marks do
 * not count: headers are matched whatever their form, and not loaded.
 */
async function lineCount(path: string): Promise<{ lines: number; decomposed: boolean }> {
  let breaks = 0;
  let last = LF;
  let decomposed = false;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    const records = breaks > 0 ? 0 : bytes.indexOf(LF);
    if (records !== -1) decomposed ||= bytes.includes(0xcc, records) || bytes.includes(0xcd, records);
    for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) breaks++;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  }
  return { lines: breaks + (last === LF ? 0 : 1), decomposed };
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

/** The record DuckDB means by a line of its rejects. */
function recordAtDuckdbLine(line: number, shifts: LineShift[]): number {
  let blanks = 0;
  for (const shift of shifts) if (shift.record + 1 + shift.blanks <= line) blanks = shift.blanks;
  return line - 1 - blanks;
}

/** The line a record starts on, as a text editor counts. */
function lineOfRecord(record: number, shifts: LineShift[]): number {
  let offset = 0;
  for (const shift of shifts) if (shift.record <= record) offset = shift.line - shift.record - 1;
  return record + 1 + offset;
}

/**
 * Turns `_row` from the number of an accepted record into the line it starts on, as a text
 * editor shows it (the header is line 1): rejected records hold their places in the count,
 * and blank lines and line breaks inside fields move the records after them down.
 */
async function numberRowsByLine(db: Warehouse, rows: RowsOf, rejectedRecords: number[], shifts: LineShift[]): Promise<void> {
  // On entry `_row` is the count of accepted records plus one (the header's line).
  if (rejectedRecords.length > 0) {
    await db.run('CREATE OR REPLACE TEMP TABLE csv_rejected_records (record BIGINT)');
    for (const record of rejectedRecords) await db.run('INSERT INTO csv_rejected_records VALUES ($1)', [record]);
    await db.run(
      `UPDATE ${rows.table} SET _row = _row + (
         SELECT count(*) FROM (SELECT record - row_number() OVER (ORDER BY record) AS accepted_before FROM csv_rejected_records) r
         WHERE r.accepted_before < ${rows.table}._row - 1)
       WHERE ${rows.where}`,
    );
  }
  if (shifts.length === 0) return;
  await db.run('CREATE OR REPLACE TEMP TABLE csv_line_shifts (record BIGINT, line BIGINT)');
  for (const shift of shifts) await db.run('INSERT INTO csv_line_shifts VALUES ($1, $2)', [shift.record, shift.line]);
  await db.run(
    `UPDATE ${rows.table} SET _row = _row + coalesce(
       (SELECT max_by(line - record - 1, record) FROM csv_line_shifts s WHERE s.record <= ${rows.table}._row - 1), 0)
     WHERE ${rows.where}`,
  );
}

/** The text up to the first line break outside quotes. */
function firstRecord(text: string): string {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if ((ch === '\n' || ch === '\r') && !quoted) return text.slice(0, i);
  }
  return text;
}

/** The first `n` lines of the text (a title block, the header…). */
function firstLines(text: string, n: number): string {
  return text.split('\n', n).join('\n');
}

/** The delimiter met most in the first lines: a title line alone may hold none, or only trailing ones. */
function guessDelimiter(lines: string): string {
  const counts = DELIMITERS.map((d) => ({ d, n: countOutsideQuotes(lines, d) }));
  counts.sort((a, b) => b.n - a.n);
  return counts[0]!.n > 0 ? counts[0]!.d : ',';
}

function countOutsideQuotes(line: string, char: string): number {
  let quoted = false;
  let n = 0;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === char && !quoted) n++;
  }
  return n;
}
