// Reads a CSV export with DuckDB's own CSV reader (parallel, in C++), after a look at its first
// bytes in JS to learn the encoding, the delimiter and the header. Every record lands in
// `incoming` or comes back as a reject with DuckDB's reason; none is dropped.
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { ident, literal, type Warehouse } from '../../pipelines/db.js';
import { SourceFileError } from '../../pipelines/errors.js';
import type { TableContract } from '../contract.js';
import { mapHeaders } from '../headers.js';
import { createIncoming, INCOMING, type ReadResult, type Reject } from './incoming.js';

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

export async function readCsv(
  db: Warehouse,
  path: string,
  displayName: string,
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>>,
): Promise<ReadResult> {
  const shape = await sniffCsv(path, displayName);
  const mapping = mapHeaders(displayName, shape.headers, table, extraAliases);
  const columns = `{${mapping.names.map((n) => `${literal(n)}: 'VARCHAR'`).join(', ')}}`;

  const present = [...mapping.original.keys()].map(ident).join(', ');

  await createIncoming(db, table);
  await db.run('DROP TABLE IF EXISTS csv_rejects');
  await db.run('DROP TABLE IF EXISTS csv_reject_scans');
  // Header and types are known, so DuckDB's sniffer stays off. The scan keeps file order, so
  // row_number() counts records; `_row` is the line a spreadsheet shows (the header is row 1).
  await db.run(
    `INSERT INTO ${INCOMING} (_row, ${present})
     SELECT row_number() OVER () + 1, ${present}
     FROM read_csv(${literal(path)}, auto_detect = false, header = true, delim = ${literal(shape.delimiter)},
                   quote = '"', escape = '"', columns = ${columns},
                   store_rejects = true, rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`,
  );

  const rejects = (
    await db.all<{ line: number; error_type: string; error_message: string; csv_line: string | null }>(
      // DuckDB reports one error per column of a bad record: one reject per record here.
      `SELECT line, string_agg(DISTINCT lower(error_type), ', ') AS error_type,
              string_agg(DISTINCT error_message, '; ') AS error_message, any_value(csv_line) AS csv_line
       FROM csv_rejects GROUP BY line ORDER BY line`,
    )
  ).map((r): Reject => ({ row: r.line, reason: `${r.error_type}: ${r.error_message}`, text: r.csv_line ?? '' }));

  // Rejected records hold their places in the count: the accepted ones after them move down.
  if (rejects.length > 0) {
    await db.run(
      `UPDATE ${INCOMING} SET _row = _row + (
         SELECT count(*) FROM (SELECT line - 1 - row_number() OVER (ORDER BY line) AS accepted_before FROM (SELECT DISTINCT line FROM csv_rejects)) r
         WHERE r.accepted_before < ${INCOMING}._row - 1)`,
    );
  }
  const counted = await db.one<{ n: number }>(`SELECT count(*) AS n FROM ${INCOMING}`);
  return { mapping, rowsRead: counted?.n ?? 0, rejects };
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
