// Stage 2, load: each landed file that has no load yet goes into its raw table. Files are read
// into raw.<source>__<table> in batches, one transaction each (a commit per file would write
// every row twice); then every value of the batch is checked against the table contract, and
// the rows with a problem move to ops.quarantine with their reason, before the commit with the
// files' ops.loads rows. So for every file: rows read = rows loaded + rows quarantined, and a
// load is either complete or absent. A file that cannot be read fails alone: its batch is
// loaded again file by file.
import { extname } from 'node:path';
import { rawTableName, type ColumnContract, type TableContract } from '../../connectors/contract.js';
import { readBudgetWorkbook } from '../../connectors/formats/budget-workbook.js';
import { readCsvFiles, type CsvLoad } from '../../connectors/formats/csv.js';
import { INCOMING, refuseTooManyRecords, type FileReader, type ReadResult } from '../../connectors/formats/incoming.js';
import { readJsonPage } from '../../connectors/formats/json-page.js';
import { readXlsx } from '../../connectors/formats/xlsx.js';
import type { HeaderMapping } from '../../connectors/headers.js';
import type { ConfiguredSource } from '../../connectors/registry.js';
import { stopIfAsked, type RunContext } from '../context.js';
import { ident, literal } from '../db.js';
import { CchcError, RunInterrupted, SourceFileError } from '../errors.js';
import type { Logger } from '../log.js';

export type FileLoad = { file: string; loadId: number; rowsRead: number; rowsLoaded: number; rowsQuarantined: number };
export type LoadFailure = { source: string; file: string; error: string; action: string };
export type LoadResult = { loads: FileLoad[]; failures: LoadFailure[]; failedBefore: string[] };
export type LoadOptions = { retryFailed?: boolean };

type PendingFile = { sha256: string; table_name: string; original_name: string; landed_path: string; bytes: number };
/** A file read into raw, not yet checked. */
type ReadFile = { file: PendingFile; table: TableContract; raw: string; loadId: number; read: ReadResult; startedAt: Date };

/** Bytes of exports read per transaction: big enough that commits cost little, small enough that a failure redoes little. */
const BATCH_BYTES = 512 * 1024 * 1024;

export async function loadSource(ctx: RunContext, source: ConfiguredSource, options: LoadOptions = {}): Promise<LoadResult> {
  const result: LoadResult = { loads: [], failures: [], failedBefore: [] };
  const log = ctx.log.child({ stage: 'load', source: source.contract.name });
  if (options.retryFailed) await ctx.db.run('DELETE FROM ops.load_failures WHERE source = $1', [source.contract.name]);
  const failedBefore = await ctx.db.all<{ file_name: string }>(
    'SELECT file_name FROM ops.load_failures WHERE source = $1 ORDER BY file_name',
    [source.contract.name],
  );
  if (failedBefore.length > 0) {
    result.failedBefore.push(...failedBefore.map((f) => f.file_name));
    log.warn({ files: failedBefore.map((f) => f.file_name) }, 'files that failed to load in an earlier run are not retried: see ops.load_failures, and run with --retry-failed once they can be read');
  }
  const pending = await ctx.db.all<PendingFile>(
    `SELECT sha256, table_name, original_name, landed_path, bytes FROM ops.landed_files f
     WHERE source = $1
       AND NOT EXISTS (SELECT 1 FROM ops.loads l WHERE l.source = f.source AND l.sha256 = f.sha256)
       AND NOT EXISTS (SELECT 1 FROM ops.load_failures x WHERE x.source = f.source AND x.sha256 = f.sha256)
       AND NOT EXISTS (SELECT 1 FROM ops.landed_files_erased e WHERE e.source = f.source AND e.sha256 = f.sha256)
     ORDER BY landed_at, original_name`,
    [source.contract.name],
  );
  let rows = 0;
  ctx.progress.start(`load ${source.contract.name}`, pending.length, 'files');
  const onRead = (file: PendingFile) => ctx.progress.advance(`${rows.toLocaleString('en-US')} rows loaded; ${file.original_name}`);
  for (const batch of batches(pending)) {
    let loads: FileLoad[];
    try {
      loads = await ctx.db.transaction(() => loadFiles(ctx, source, batch, onRead));
    } catch (error) {
      if (!(error instanceof CchcError) || error instanceof RunInterrupted) throw error;
      // One of the files cannot be read: each goes alone, so that the others load.
      loads = [];
      for (const file of batch) {
        try {
          loads.push(...(await ctx.db.transaction(() => loadFiles(ctx, source, [file], () => {}))));
        } catch (fileError) {
          if (!(fileError instanceof CchcError) || fileError instanceof RunInterrupted) throw fileError;
          result.failures.push(await recordFailure(ctx, source, file, fileError, log));
        }
      }
    }
    for (const loaded of loads) {
      result.loads.push(loaded);
      rows += loaded.rowsLoaded;
      log.debug(loaded, 'loaded');
      if (loaded.rowsQuarantined > 0) {
        log.warn({ file: loaded.file, rows_quarantined: loaded.rowsQuarantined }, 'rows quarantined: see ops.quarantine for each row and its reason');
      }
    }
  }
  ctx.progress.end();
  const quarantined = result.loads.reduce((n, l) => n + l.rowsQuarantined, 0);
  log.info({ files: pending.length, rows_loaded: rows, rows_quarantined: quarantined }, 'load done');
  return result;
}

function* batches(files: PendingFile[]): Generator<PendingFile[]> {
  let batch: PendingFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length > 0 && bytes + Number(file.bytes) > BATCH_BYTES) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(file);
    bytes += Number(file.bytes);
  }
  if (batch.length > 0) yield batch;
}

async function recordFailure(ctx: RunContext, source: ConfiguredSource, file: PendingFile, error: CchcError, log: Logger): Promise<LoadFailure> {
  const action = `${error.action}; the file is not tried again until \`cchc run --retry-failed\` (a corrected export with new content loads by itself)`;
  await ctx.db.run(
    'INSERT OR REPLACE INTO ops.load_failures VALUES ($source, $sha, $file, $error, $action, $run, current_timestamp)',
    { source: source.contract.name, sha: file.sha256, file: file.original_name, error: error.message, action, run: ctx.runId },
  );
  log.error({ file: file.original_name, err: error.message, action }, 'file not loaded');
  return { source: source.contract.name, file: file.original_name, error: error.message, action };
}

/**
 * Reads the files into raw, checks their rows, and records their loads. The caller holds the
 * transaction: on a failure its rollback takes the temporary tables too (no cleanup here, which
 * a failed statement would refuse, hiding the error that says which file and why).
 */
async function loadFiles(ctx: RunContext, source: ConfiguredSource, files: PendingFile[], onRead: (file: PendingFile) => void): Promise<FileLoad[]> {
  const read = await readFiles(ctx, source, files, onRead);
  const quarantined = new Map<number, number>();
  for (const group of byShape(read)) {
    for (const [loadId, n] of await quarantineBadRows(ctx, source, group)) quarantined.set(loadId, n);
  }
  const loads: FileLoad[] = [];
  for (const r of read) loads.push(await recordLoad(ctx, source, r, quarantined.get(r.loadId) ?? 0));
  await ctx.db.run('DROP TABLE IF EXISTS reasons');
  await ctx.db.run('DROP TABLE IF EXISTS bad_values');
  return loads;
}

/**
 * Reads the files into their raw tables: the CSV exports of a table together, in DuckDB's
 * reader, the others one by one through `incoming`.
 */
async function readFiles(ctx: RunContext, source: ConfiguredSource, files: PendingFile[], onRead: (file: PendingFile) => void): Promise<ReadFile[]> {
  const read: ReadFile[] = [];
  const csv = new Map<TableContract, { file: PendingFile; load: CsvLoad; startedAt: Date }[]>();
  for (const file of files) {
    stopIfAsked(ctx);
    const table = tableOf(source, file);
    const loadId = (await ctx.db.one<{ id: number }>(`SELECT nextval('ops.load_ids') AS id`))!.id;
    const startedAt = new Date();
    refuseIfTooBig(ctx, file);
    const reader = readerFor(table, file);
    if (reader === 'csv') {
      csv.set(table, [...(csv.get(table) ?? []), { file, load: { path: file.landed_path, displayName: file.original_name, loadId }, startedAt }]);
      continue;
    }
    onRead(file);
    const result = await reader(ctx.db, file.landed_path, file.original_name, table, source.headerAliases);
    refuseTooManyRecords(file.original_name, result.rowsRead + result.rejects.length, ctx.config.limits.max_rows_per_file);
    const columns = table.columns.map((c) => ident(c.name)).join(', ');
    await ctx.db.run(
      `INSERT INTO ${rawOf(source, table)} (_load_id, _file, _row, ${columns}) SELECT $id, $file, _row, ${columns} FROM ${INCOMING}`,
      { id: loadId, file: file.original_name },
    );
    await ctx.db.run(`DROP TABLE ${INCOMING}`);
    read.push({ file, table, raw: rawOf(source, table), loadId, read: result, startedAt });
  }
  for (const [table, loads] of csv) {
    stopIfAsked(ctx);
    for (const { file } of loads) onRead(file);
    const { limits } = ctx.config;
    const results = await readCsvFiles(ctx.db, rawOf(source, table), loads.map((l) => l.load), table, source.headerAliases, {
      tempDir: ctx.config.paths.tempDir,
      maxLineBytes: limits.max_row_kb * 1024,
      maxRows: limits.max_rows_per_file,
    });
    loads.forEach(({ file, load, startedAt }, i) => read.push({ file, table, raw: rawOf(source, table), loadId: load.loadId, read: results[i]!, startedAt }));
  }
  for (const r of read) {
    if (r.read.mapping.unknown.length > 0) {
      ctx.log.debug({ stage: 'load', file: r.file.original_name, columns: r.read.mapping.unknown }, 'columns the contract does not know were left out');
    }
  }
  return read.sort((a, b) => a.loadId - b.loadId);
}

/** A file beyond limits.max_file_mb is refused before anything reads it. */
function refuseIfTooBig(ctx: RunContext, file: PendingFile): void {
  const limit = ctx.config.limits.max_file_mb;
  if (file.bytes <= limit * 1024 * 1024) return;
  throw new SourceFileError(file.original_name, `is ${(file.bytes / 1024 / 1024).toLocaleString('en-US', { maximumSignificantDigits: 3 })} MB, more than limits.max_file_mb (${limit} MB)`, {
    action: 'split the export (by week or month), or raise limits.max_file_mb in the config if the machine has the memory and disk for it',
  });
}

function tableOf(source: ConfiguredSource, file: PendingFile): TableContract {
  const table = source.contract.tables[file.table_name];
  if (!table) {
    throw new SourceFileError(file.original_name, `was landed as table "${file.table_name}", which ${source.contract.name} no longer has`, {
      action: 'check sources.<source>.files in the config',
    });
  }
  return table;
}

function rawOf(source: ConfiguredSource, table: TableContract): string {
  return `raw.${ident(rawTableName(source.contract.name, table))}`;
}

/** Files of one table whose headers name the same columns the same way: their rows are checked in one pass. */
function byShape(read: ReadFile[]): ReadFile[][] {
  const groups = new Map<string, ReadFile[]>();
  for (const r of read) {
    const key = JSON.stringify([r.table.name, [...r.read.mapping.original]]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/**
 * Checks every row the files put in raw; moves the rows with a problem to ops.quarantine with
 * their reasons. Returns the rows quarantined by load id.
 */
async function quarantineBadRows(ctx: RunContext, source: ConfiguredSource, group: ReadFile[]): Promise<Map<number, number>> {
  const { table, raw, read } = group[0]!;
  const rows = `(SELECT * FROM ${raw} WHERE _load_id IN (${group.map((r) => r.loadId).join(', ')}))`;
  await findBadValues(ctx, table, read.mapping, rows);
  const badColumns = new Set((await ctx.db.all<{ column_name: string }>('SELECT DISTINCT column_name FROM bad_values')).map((b) => b.column_name));
  await ctx.db.run(
    `CREATE OR REPLACE TEMP TABLE reasons AS
     SELECT _load_id, _row, _reason FROM (SELECT _load_id, _row, ${reasonExpression(table, read.mapping, badColumns)} AS _reason FROM ${rows}) WHERE _reason IS NOT NULL`,
  );
  const counts = await ctx.db.all<{ load_id: number; n: number }>('SELECT _load_id AS load_id, count(*) AS n FROM reasons GROUP BY _load_id');
  if (counts.length > 0) {
    await ctx.db.run(
      `INSERT INTO ops.quarantine SELECT _load_id, $source, $table, _file, _row, _reason, ${recordJson(table, read.mapping)}
       FROM ${rows} JOIN reasons USING (_load_id, _row)`,
      { source: source.contract.name, table: table.name },
    );
    await ctx.db.run(`DELETE FROM ${raw} USING reasons r WHERE ${raw}._load_id = r._load_id AND ${raw}._row = r._row`);
  }
  return new Map(counts.map((c) => [Number(c.load_id), Number(c.n)]));
}

async function recordLoad(ctx: RunContext, source: ConfiguredSource, r: ReadFile, quarantined: number): Promise<FileLoad> {
  const names = { source: source.contract.name, table: r.table.name, file: r.file.original_name };
  for (const reject of r.read.rejects) {
    await ctx.db.run('INSERT INTO ops.quarantine VALUES ($id, $source, $table, $file, $row, $reason, $text)', {
      id: r.loadId, ...names, row: reject.row, reason: reject.reason, text: reject.text,
    });
  }
  const loaded: FileLoad = {
    file: r.file.original_name,
    loadId: r.loadId,
    rowsRead: r.read.rowsRead + r.read.rejects.length,
    rowsLoaded: r.read.rowsRead - quarantined,
    rowsQuarantined: quarantined + r.read.rejects.length,
  };
  await ctx.db.run(
    `INSERT INTO ops.loads VALUES ($id, $run, $source, $table, $sha, $file, $read, $loaded, $quarantined, $started, current_timestamp)`,
    {
      id: r.loadId, run: ctx.runId, ...names, sha: r.file.sha256,
      read: loaded.rowsRead, loaded: loaded.rowsLoaded, quarantined: loaded.rowsQuarantined, started: r.startedAt.toISOString(),
    },
  );
  return loaded;
}

/** The reader of a file; 'csv' for text exports (.csv, and whatever is not JSON or a workbook), read together by readCsvFiles. */
function readerFor(table: TableContract, file: PendingFile): FileReader | 'csv' {
  const extension = extname(file.landed_path);
  if (table.layout === 'budget_workbook') return readBudgetWorkbook;
  if (extension === '.json') return readJsonPage;
  return extension === '.xlsx' ? readXlsx : 'csv';
}

/** SQL: true when a present value `v` cannot be read as the column's type; undefined for text. */
function valueCheck(column: ColumnContract, v: string): string | undefined {
  const type = column.type;
  if (type === 'timestamp') return `vn_timestamp(${v}) IS NULL`;
  if (type === 'amount') return column.nonNegative ? `coalesce(vn_amount(${v}) < 0, true)` : `vn_amount(${v}) IS NULL`;
  if (type === 'integer') return `vn_integer(${v}) IS NULL`;
  if (type === 'boolean') return `vn_boolean(${v}) IS NULL`;
  if (typeof type === 'object') return `NOT norm_key(${v}) IN (SELECT alias_key FROM seeds.code_aliases WHERE list = ${literal(type.lookup)})`;
  return undefined;
}

/**
 * Fills `bad_values` with the present values that fail their column's valueCheck. Exports repeat
 * their dates, codes and amounts over and over: each distinct value is judged once, not each row.
 * The distinct values are a table of their own: in one query, DuckDB would push the check down
 * below the DISTINCT, onto every row.
 */
async function findBadValues(ctx: RunContext, table: TableContract, mapping: HeaderMapping, rows: string): Promise<void> {
  const checked = table.columns.filter((c) => mapping.original.has(c.name) && valueCheck(c, 'v'));
  const none = 'SELECT NULL::VARCHAR AS column_name, NULL::VARCHAR AS value WHERE false';
  const distinct = checked.map((c) => `SELECT ${literal(c.name)} AS column_name, v AS value FROM (SELECT DISTINCT ${ident(c.name)} AS v FROM ${rows})`);
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE distinct_values AS ${[...distinct, none].join(' UNION ALL ')}`);
  const bad = checked.map((c) => `SELECT column_name, value FROM distinct_values WHERE column_name = ${literal(c.name)} AND blank_to_null(value) IS NOT NULL AND ${valueCheck(c, 'value')}`);
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE bad_values AS ${[...bad, none].join(' UNION ALL ')}`);
  await ctx.db.run('DROP TABLE distinct_values');
}

/** SQL: every problem of a row, joined by "; ", or NULL when the row is good. */
function reasonExpression(table: TableContract, mapping: HeaderMapping, badColumns: Set<string>): string {
  const checks = table.columns
    .filter((c) => mapping.original.has(c.name))
    .flatMap((c) => columnChecks(c, mapping.original.get(c.name)!, badColumns.has(c.name)));
  return checks.length === 0 ? 'NULL::VARCHAR' : `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
}

const WHAT_IS_WRONG = { timestamp: 'unreadable date', amount: 'not an amount', integer: 'not a whole number', boolean: 'not a yes/no value' } as const;

function columnChecks(column: ColumnContract, header: string, hasBadValues: boolean): string[] {
  const value = ident(column.name);
  const label = literal(`${header} (${column.name})`);
  const checks: string[] = [];
  if (column.notNull) checks.push(`CASE WHEN blank_to_null(${value}) IS NULL THEN ${label} || ': empty, a value is required' END`);
  // Usually no value is bad, and then there is nothing to check row by row.
  if (hasBadValues) {
    const what = typeof column.type === 'object' ? `unknown ${column.type.lookup}` : WHAT_IS_WRONG[column.type as keyof typeof WHAT_IS_WRONG];
    const saying = column.nonNegative ? `CASE WHEN vn_amount(${value}) < 0 THEN ': negative, an amount of 0 or more is expected ' ELSE ${literal(`: ${what} `)} END` : literal(`: ${what} `);
    checks.push(
      `CASE WHEN ${value} IN (SELECT value FROM bad_values WHERE column_name = ${literal(column.name)})
       THEN ${label} || ${saying} || '"' || ${value} || '"' END`,
    );
  }
  return checks;
}

/** SQL: the row as the file had it, a JSON object keyed by the file's own headers. */
/** The row as JSON under its original headers, but for its personal columns: they stay in raw alone. */
function recordJson(table: TableContract, mapping: HeaderMapping): string {
  const pairs = table.columns
    .filter((c) => mapping.original.has(c.name) && !c.personal)
    .map((c) => `${literal(mapping.original.get(c.name)!)}, ${ident(c.name)}`);
  return `json_object(${pairs.join(', ')})::VARCHAR`;
}

