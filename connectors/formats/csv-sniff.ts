// A CSV export's first bytes, looked at in JS: its encoding, delimiter, header and first records.
// DuckDB's reader is told them rather than guessing them itself (csv.ts), and the first records
// tell a file laid out as a printed form, which is read row by row instead (csv-form.ts).
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { SourceFileError } from '../../core/errors.js';
import { detectEncoding, type Encoding } from './encoding.js';

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
