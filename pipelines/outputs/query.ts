// `cchc query`: SQL on the current snapshot, read-only, printed as a table, CSV or JSON. The file
// is resolved through `current` once, so a publish during the query does not change what it reads.
// The query reads the snapshot and the files of its release, nothing else (sandbox.ts).
import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StatementType } from '@duckdb/node-api';
import { CchcError, messageOf } from '../../core/errors.js';
import { Warehouse, type Row } from '../../core/warehouse.js';
import { SNAPSHOT_FILE } from '../stages/snapshot.js';
import { isRefusedFile, sandbox } from './sandbox.js';

export const QUERY_FORMATS = ['table', 'csv', 'json'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export async function querySnapshot(publishDir: string, sql: string): Promise<Row[]> {
  const link = join(publishDir, 'current', SNAPSHOT_FILE);
  const path = await realpath(link).catch(() => {
    throw new CchcError(`no snapshot is published yet (${link})`, { action: 'run the job first: `cchc run`' });
  });
  const release = dirname(path);
  const db = await Warehouse.openReadOnly(path);
  const failed = (problem: string) =>
    new CchcError(`the query failed: ${problem}`, {
      action: isRefusedFile(problem)
        ? `query the snapshot's tables (\`cchc query "SHOW ALL TABLES"\`); the only files a query may read are those of the release, under ${release}/ (its Parquet in marts/)`
        : 'give one SELECT; the snapshot is read-only, and `cchc query "SHOW ALL TABLES"` lists what it holds (docs/analysts.md)',
    });
  try {
    // Locked as well: the user's SQL cannot change a setting, not even one that reads no file.
    for (const statement of [...sandbox([release]), 'SET lock_configuration = true']) await db.run(statement);
    let types: StatementType[];
    try {
      types = await db.statementTypes(sql);
    } catch (error) {
      throw failed(messageOf(error));
    }
    // One question at a time, and only questions: a COPY … TO would write files, even from a read-only database.
    if (types.length !== 1) throw failed(`${types.length} statements; give one`);
    if (!ANSWERS.has(types[0]!)) throw failed(`${StatementType[types[0]!]} is not a query`);
    // EXPLAIN ANALYZE runs what it explains, and EXPLAIN ANALYZE COPY … TO writes the file: an
    // EXPLAIN is taken only of a query, whatever comments or options come between.
    if (types[0] === StatementType.EXPLAIN && !EXPLAINED_QUERY.test(withoutComments(sql))) throw failed('give EXPLAIN followed by the query itself (EXPLAIN SELECT …): EXPLAIN ANALYZE runs the statement it explains');
    return await db.all(sql).catch((error: Error) => {
      throw failed(error.message);
    });
  } finally {
    db.close();
  }
}

/** Statements that only read: SELECT (SHOW and DESCRIBE are SELECTs too) and EXPLAIN. A PRAGMA could set a file to write. */
const ANSWERS = new Set([StatementType.SELECT, StatementType.EXPLAIN]);

const EXPLAINED_QUERY = /^\s*explain\s+(select|with|from|values|table|show|describe|summarize|pivot|unpivot)\b/i;

/** The statement without its comments, for the check above only (a comment mark inside a string may cut it short: refused, never let through). */
function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*|\/\*[\s\S]*?(\*\/|$)/g, ' ');
}

export function formatRows(rows: readonly Row[], format: QueryFormat): string {
  if (format === 'json') {
    const plain = rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? text(v) : typeof v === 'bigint' ? v.toString() : v])));
    return JSON.stringify(plain, null, 2);
  }
  const columns = Object.keys(rows[0] ?? {});
  const cells = rows.map((row) => columns.map((c) => text(row[c])));
  if (format === 'csv') return [columns, ...cells].map((line) => line.map(csvField).join(',')).join('\n');
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((line) => line[i]!.length)));
  const numeric = columns.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const pad = (value: string, i: number) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!));
  const lines = [columns.map(pad), widths.map((w) => '-'.repeat(w)), ...cells.map((line) => line.map(pad))];
  return [...lines.map((line) => line.join('  ').trimEnd()), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().replace(/T00:00:00\.000Z$/, '');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
