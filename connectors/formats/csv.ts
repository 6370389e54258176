// Reads a CSV export with DuckDB's own CSV reader (parallel, in C++), after a look at its first
// bytes in JS to learn the encoding, the delimiter and the header. Every record lands in
// `incoming` or comes back as a reject with DuckDB's reason; none is dropped.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ident, literal, type Warehouse } from '../../pipelines/db.js';
import { SourceFileError } from '../../pipelines/errors.js';
import { mapHeaders } from '../headers.js';
import { createIncoming, INCOMING, type FileReader, type Reject } from './incoming.js';

const SNIFF_BYTES = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'] as const;

export type CsvShape = { delimiter: string; headers: string[] };

/** Reads the header line of a CSV file and guesses its delimiter from it. */
export async function sniffCsv(path: string, displayName: string): Promise<CsvShape> {
  const handle = await open(path, 'r');
  const buffer = Buffer.alloc(SNIFF_BYTES);
  const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0).finally(() => handle.close());
  const head = buffer.subarray(0, bytesRead);

  if (bytesRead === 0) {
    throw new SourceFileError(displayName, 'the file is empty', { action: 'check the export job that wrote it and export again' });
  }
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new SourceFileError(displayName, 'the file is UTF-16 ("Unicode text"), not UTF-8', {
      action: 'save the export as "CSV UTF-8" and drop it in the inbox again',
    });
  }
  let text: string;
  try {
    // A cut in the middle of a character at the end of the sample is not an encoding error.
    text = new TextDecoder('utf-8', { fatal: true }).decode(trimPartialCharacter(head));
  } catch {
    throw new SourceFileError(displayName, 'the file is not UTF-8 text', {
      action: 'export it as UTF-8 CSV (legacy TCVN3/VNI files must be converted first)',
    });
  }

  const headerLine = firstRecord(text.replace(/^\uFEFF/, ''));
  const delimiter = guessDelimiter(headerLine);
  const [headers] = parse(headerLine, { delimiter, relax_quotes: true, relax_column_count: true }) as string[][];
  if (!headers || headers.every((h) => h.trim() === '')) {
    throw new SourceFileError(displayName, 'the first line holds no column names', {
      action: 'export the file with its header row',
    });
  }
  return { delimiter, headers };
}

export const readCsv: FileReader = async (db, path, displayName, table, extraAliases) => {
  const shape = await sniffCsv(path, displayName);
  const mapping = mapHeaders(displayName, shape.headers, table, extraAliases);
  const columns = `{${mapping.names.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;

  const present = [...mapping.original.keys()].map(ident).join(', ');

  await createIncoming(db, table);
  await db.run('DROP TABLE IF EXISTS csv_rejects');
  await db.run('DROP TABLE IF EXISTS csv_reject_scans');
  // Header and types are known, so DuckDB's sniffer stays off. The insert keeps file order (the
  // table is new), so rowid counts the records accepted, at no cost: row_number() over the scan
  // would order it on one thread. numberRowsByLine turns that count into lines.
  await db.run(
    `INSERT INTO ${INCOMING} (${present})
     SELECT ${present}
     FROM read_csv(${literal(path)}, auto_detect = false, header = true, delim = ${literal(shape.delimiter)},
                   quote = '"', escape = '"', columns = ${columns},
                   store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
  );
  await db.run(`UPDATE ${INCOMING} SET _row = rowid + 1`);

  const rejectedLines = await db.all<{ line: number; error_type: string; error_message: string; csv_line: string | null }>(
    // DuckDB reports one error per column of a bad record: one reject per record here.
    `SELECT line, string_agg(DISTINCT lower(error_type), ', ') AS error_type,
            string_agg(DISTINCT error_message, '; ') AS error_message, any_value(csv_line) AS csv_line
     FROM csv_rejects GROUP BY line ORDER BY line`,
  );
  const accepted = (await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${INCOMING}`))!.n;
  // One line per record, the header's included, and no blank line: nothing shifts, and the
  // byte-by-byte scan (slow in JS) is not needed.
  const shifts = (await lineCount(path)) === accepted + rejectedLines.length + 1 ? [] : await lineShifts(path);
  const rejects = rejectedLines.map((r) => ({ record: recordAtDuckdbLine(r.line, shifts), reason: `${r.error_type}: ${r.error_message}`, text: r.csv_line ?? '' }));
  await numberRowsByLine(db, rejects.map((r) => r.record), shifts);
  const rejected = rejects.map(({ record, reason, text }): Reject => ({ row: lineOfRecord(record, shifts), reason, text }));
  return { mapping, rowsRead: accepted, rejects: rejected };
};

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

/** Lines of a file, as a text editor counts them (a last line without a line break counts). */
async function lineCount(path: string): Promise<number> {
  let breaks = 0;
  let last = LF;
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer;
    for (let i = bytes.indexOf(LF); i !== -1; i = bytes.indexOf(LF, i + 1)) breaks++;
    if (bytes.length > 0) last = bytes[bytes.length - 1]!;
  }
  return breaks + (last === LF ? 0 : 1);
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
async function numberRowsByLine(db: Warehouse, rejectedRecords: number[], shifts: LineShift[]): Promise<void> {
  if (rejectedRecords.length > 0) {
    await db.run('CREATE OR REPLACE TEMP TABLE csv_rejected_records (record BIGINT)');
    for (const record of rejectedRecords) await db.run('INSERT INTO csv_rejected_records VALUES ($1)', [record]);
    await db.run(
      `UPDATE ${INCOMING} SET _row = _row + (
         SELECT count(*) FROM (SELECT record - row_number() OVER (ORDER BY record) AS accepted_before FROM csv_rejected_records) r
         WHERE r.accepted_before < ${INCOMING}._row)`,
    );
  }
  if (shifts.length === 0) {
    await db.run(`UPDATE ${INCOMING} SET _row = _row + 1`);
    return;
  }
  await db.run('CREATE OR REPLACE TEMP TABLE csv_line_shifts (record BIGINT, line BIGINT)');
  for (const shift of shifts) await db.run('INSERT INTO csv_line_shifts VALUES ($1, $2)', [shift.record, shift.line]);
  await db.run(
    `UPDATE ${INCOMING} SET _row = _row + 1 + coalesce(
       (SELECT max_by(line - record - 1, record) FROM csv_line_shifts s WHERE s.record <= ${INCOMING}._row), 0)`,
  );
}

function trimPartialCharacter(bytes: Buffer): Buffer {
  let end = bytes.length;
  // Step back over continuation bytes to the last lead byte, and drop an incomplete sequence.
  let i = end - 1;
  while (i >= 0 && i > end - 4 && (bytes[i]! & 0xc0) === 0x80) i--;
  if (i >= 0) {
    const lead = bytes[i]!;
    const length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (i + length > end) end = i;
  }
  return bytes.subarray(0, end);
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

function guessDelimiter(line: string): string {
  const counts = DELIMITERS.map((d) => ({ d, n: countOutsideQuotes(line, d) }));
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
