// The lines of a CSV file as a text editor counts them, which DuckDB's reader does not: the line
// each record starts on, for `_row` and the rejects, and the lines and line lengths that the limits
// (limits.max_rows_per_file, limits.max_row_kb) are held to. Byte scans in JS, done only when needed.
import { createReadStream } from 'node:fs';
import type { Warehouse } from '../../core/warehouse.js';
import type { Reject } from './incoming.js';

/** The limits of the config (limits.max_row_kb, limits.max_rows_per_file); DuckDB's own line size by default. */
export type CsvLimits = { maxLineBytes: number; maxRows: number };
export const DEFAULT_LIMITS: CsvLimits = { maxLineBytes: 2 * 1024 * 1024, maxRows: 50_000_000 };

/** The records of a file a scan accepted, and those it rejected, by DuckDB's line numbers. */
export type ScanCounts = { lines: number; accepted: number; rejected: { line: number; error_type: string; error_message: string; csv_line: string | null }[] };

/** The rows a read wrote: a table, and the condition that picks them out of it. */
type RowsOf = { table: string; where: string };

/** Turns a file's `_row` into the line each record starts on, and its DuckDB rejects into rejects by line. */
export async function numberRows(db: Warehouse, rows: RowsOf, path: string, counts: ScanCounts, limits: CsvLimits): Promise<{ rowsRead: number; rejects: Reject[] }> {
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
export async function lineCount(path: string): Promise<{ lines: number; decomposed: boolean }> {
  let breaks = 0;
  let last = LF;
  let decomposed = false;
  // Chunks of a megabyte: the default 64 KB made the count a quarter slower.
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
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
