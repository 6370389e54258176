// Stage 2, load: each landed file that has no load yet goes into its raw table. Files are read
// into raw.<source>__<table> in batches (duckdb.load_batch_mb), one transaction each (a commit
// per file would write every row twice); then every value of the batch is checked against the
// table contract, and the rows with a problem move to ops.quarantine with their reason, before
// the commit with the files' ops.loads rows. So for every file: rows read = rows loaded + rows
// quarantined, and a load is either complete or absent. A file that cannot be read fails alone:
// its batch is loaded again file by file. Two batches are in flight at once (inTwoLanes).
import { extname } from 'node:path';
import { rawTableName, type TableContract } from '../../connectors/contract.js';
import { readBudgetWorkbook } from '../../connectors/formats/budget-workbook.js';
import { isCsvForm, readCsvFiles, readCsvForm, type CsvLoad } from '../../connectors/formats/csv.js';
import { INCOMING, refuseTooManyRecords, type FileReader, type ReadResult } from '../../connectors/formats/incoming.js';
import { readJsonPage } from '../../connectors/formats/json-page.js';
import { readXlsx } from '../../connectors/formats/xlsx.js';
import type { ConfiguredSource } from '../../connectors/registry.js';
import { CchcError, RunInterrupted, SourceFileError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { ident } from '../../core/warehouse.js';
import { stopIfAsked, type RunContext } from '../context.js';
import { resourceFailureIn } from '../ops/resources.js';
import { judgeQuarantine, type QuarantineReport } from './quarantine-report.js';
import { quarantineBadRows, releaseHeldRows, type Problem, type Release } from './quarantine.js';

export type FileLoad = { file: string; loadId: number; rowsRead: number; rowsLoaded: number; rowsQuarantined: number };
/** A file that could not be read: `cause` is the error without the file's name, the same for every file that fails alike. */
export type LoadFailure = { source: string; file: string; error: string; cause: string; action: string };
export type LoadResult = {
  loads: FileLoad[];
  failures: LoadFailure[];
  failedBefore: string[];
  /** Rows of earlier loads that passed their checks at last, and moved from the quarantine to raw. */
  released: Release[];
  /** The source's quarantine since it last passed, against limits.max_quarantine_rate. */
  quarantine?: QuarantineReport;
};
export type LoadOptions = { retryFailed?: boolean };

type PendingFile = { sha256: string; table_name: string; original_name: string; landed_path: string; bytes: number; lines: number | null; decomposed: boolean | null; loadId: number };
/** A file read into raw, not yet checked. */
type ReadFile = { file: PendingFile; table: TableContract; raw: string; loadId: number; read: ReadResult; startedAt: Date };

export async function loadSource(ctx: RunContext, source: ConfiguredSource, options: LoadOptions = {}): Promise<LoadResult> {
  const log = ctx.log.child({ stage: 'load', source: source.contract.name });
  const result: LoadResult = { loads: [], failures: [], failedBefore: [], released: await releaseHeldRows(ctx, source) };
  if (result.released.length > 0) {
    log.info({ rows_released: sum(result.released.map((r) => r.rows)), files: result.released.map((r) => r.file) }, 'quarantined rows now pass their checks: moved to raw');
  }
  result.failedBefore.push(...(await filesFailedBefore(ctx, source, options, log)));
  const landed = await ctx.db.all<Omit<PendingFile, 'loadId'>>(
    `SELECT sha256, table_name, original_name, landed_path, bytes, lines, decomposed FROM ops.landed_files f
     WHERE source = $1
       AND NOT EXISTS (SELECT 1 FROM ops.loads l WHERE l.source = f.source AND l.sha256 = f.sha256)
       AND NOT EXISTS (SELECT 1 FROM ops.load_failures x WHERE x.source = f.source AND x.sha256 = f.sha256)
       AND NOT EXISTS (SELECT 1 FROM ops.landed_files_erased e WHERE e.source = f.source AND e.sha256 = f.sha256)
     ORDER BY landed_at, original_name`,
    [source.contract.name],
  );
  // Numbered in the order they landed before two batches load at once: the latest load of a key
  // wins (version_rank, latest_loaded). A file loaded again alone, after its batch failed, keeps its number.
  const ids = (await ctx.db.all<{ id: number }>(`SELECT nextval('ops.load_ids') AS id FROM range(${landed.length})`)).map((r) => r.id).sort((a, b) => a - b);
  const pending = landed.map((file, i) => ({ ...file, loadId: ids[i]! }));
  let rows = 0;
  ctx.progress.start(`load ${source.contract.name}`, pending.length, 'files');
  const onRead = (file: PendingFile) => ctx.progress.advance(`${rows.toLocaleString('en-US')} rows loaded; ${file.original_name}`);
  const collect = (batch: BatchLoad) => {
    result.failures.push(...batch.failures);
    for (const loaded of batch.loads) {
      result.loads.push(loaded);
      rows += loaded.rowsLoaded;
      log.debug(loaded, 'loaded');
      if (loaded.rowsQuarantined > 0) {
        log.debug({ file: loaded.file, rows_quarantined: loaded.rowsQuarantined }, 'rows quarantined: see ops.quarantine for each row and its reason');
      }
    }
  };
  await inTwoLanes(ctx, [...batches(pending, ctx.config.duckdb.load_batch_mb * 1024 * 1024)], (lane, batch) => loadBatch(lane, source, batch, onRead, log), collect);
  ctx.progress.end();
  for (const group of groupFailures(result.failures)) log.error({ files: group.files, err: group.message, action: group.action }, 'files not loaded');
  result.quarantine = await judgeQuarantine(ctx, source);
  const quarantined = sum(result.loads.map((l) => l.rowsQuarantined));
  log.info({ files: pending.length, rows_loaded: rows, rows_quarantined: quarantined, quarantine_over_limit: result.quarantine.over_limit }, 'load done');
  return result;
}

type BatchLoad = { loads: FileLoad[]; failures: LoadFailure[] };

/**
 * Loads the batches in order on two connections, the next one's files read while the last one's
 * rows are checked and committed (each batch is its own transaction, as appends to the same
 * table from two transactions never conflict in DuckDB): the reader leaves a core idle at the end
 * of its files, and a commit writes more than it computes. `collect` gets each batch's result in
 * order. When one fails, the other ends (commits or rolls back) before the error goes on.
 */
async function inTwoLanes<B, R>(ctx: RunContext, items: B[], run: (lane: RunContext, item: B) => Promise<R>, collect: (result: R) => void): Promise<void> {
  if (items.length === 0) return;
  const lanes = [ctx, { ...ctx, db: await ctx.db.another() }];
  const settled = (p: Promise<R>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
  let failure: { error: unknown } | undefined;
  const take = (done: { value: R } | { error: unknown } | undefined) => {
    if (done && 'error' in done) failure ??= done;
    else if (done) collect(done.value);
  };
  try {
    let last: Promise<{ value: R } | { error: unknown }> | undefined;
    for (const [i, item] of items.entries()) {
      if (failure) break;
      const next = settled(run(lanes[i % 2]!, item));
      take(await last);
      last = next;
    }
    take(await last);
  } finally {
    lanes[1]!.db.close();
  }
  if (failure) throw failure.error;
}

/** One batch in one transaction; when one of its files cannot be read, each file alone. */
async function loadBatch(ctx: RunContext, source: ConfiguredSource, batch: PendingFile[], onRead: (file: PendingFile) => void, log: Logger): Promise<BatchLoad> {
  try {
    return { loads: await ctx.db.transaction(() => loadFiles(ctx, source, batch, onRead)), failures: [] };
  } catch (error) {
    if (!(error instanceof CchcError) || error instanceof RunInterrupted || resourceFailureIn(error)) throw error;
  }
  // One of the files cannot be read: each goes alone, so that the others load.
  const done: BatchLoad = { loads: [], failures: [] };
  for (const file of batch) {
    try {
      done.loads.push(...(await ctx.db.transaction(() => loadFiles(ctx, source, [file], () => {}))));
    } catch (fileError) {
      // A full disk or DuckDB's memory limit is not the file's fault: the run fails, the file stays pending.
      if (!(fileError instanceof CchcError) || fileError instanceof RunInterrupted || resourceFailureIn(fileError)) throw fileError;
      done.failures.push(await recordFailure(ctx, source, file, fileError, log));
    }
  }
  return done;
}

/** The files that failed to load in earlier runs, not tried again unless asked (--retry-failed). */
async function filesFailedBefore(ctx: RunContext, source: ConfiguredSource, options: LoadOptions, log: Logger): Promise<string[]> {
  if (options.retryFailed) await ctx.db.run('DELETE FROM ops.load_failures WHERE source = $1', [source.contract.name]);
  const files = (await ctx.db.all<{ file_name: string }>('SELECT file_name FROM ops.load_failures WHERE source = $1 ORDER BY file_name', [source.contract.name])).map((f) => f.file_name);
  if (files.length > 0) {
    log.warn({ files }, 'files that failed to load in an earlier run are not retried: see ops.load_failures, and run with --retry-failed once they can be read');
  }
  return files;
}

/**
 * Failures of the same cause, as one: the first files by name, and how many more. An export
 * system that drops a column drops it from every file of the week.
 */
export function groupFailures(failures: readonly LoadFailure[]): { message: string; action: string; files: string[] }[] {
  const groups = new Map<string, LoadFailure[]>();
  for (const f of failures) {
    const key = JSON.stringify([f.cause, f.action]);
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()].map((same) => {
    const files = same.map((f) => f.file);
    if (same.length === 1) return { message: same[0]!.error, action: same[0]!.action, files };
    const named = `${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
    return { message: `${files.length} files (${named}): ${same[0]!.cause}`, action: same[0]!.action, files };
  });
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The files in order, cut into batches of at most `batchBytes` (duckdb.load_batch_mb) unless a file alone is larger. */
function* batches(files: PendingFile[], batchBytes: number): Generator<PendingFile[]> {
  let batch: PendingFile[] = [];
  let bytes = 0;
  for (const file of files) {
    if (batch.length > 0 && bytes + Number(file.bytes) > batchBytes) {
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
  log.debug({ file: file.original_name, err: error.message, action }, 'file not loaded');
  const cause = error instanceof SourceFileError && error.message.startsWith(`${error.file}: `) ? error.message.slice(error.file.length + 2) : error.message;
  return { source: source.contract.name, file: file.original_name, error: error.message, cause, action };
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
    const { table, read: first } = group[0]!;
    const loadIds = group.map((r) => r.loadId);
    for (const [loadId, n] of await quarantineBadRows(ctx, source, table, first.mapping.original, loadIds)) quarantined.set(loadId, n);
  }
  const loads: FileLoad[] = [];
  for (const r of read) loads.push(await recordLoad(ctx, source, r, quarantined.get(r.loadId) ?? 0));
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
    const { loadId } = file;
    const startedAt = new Date();
    refuseIfTooBig(ctx, file);
    const reader = await readerFor(source, table, file);
    if (reader === 'csv') {
      const text = file.lines === null ? undefined : { lines: Number(file.lines), decomposed: file.decomposed === true };
      csv.set(table, [...(csv.get(table) ?? []), { file, load: { path: file.landed_path, displayName: file.original_name, loadId, text }, startedAt }]);
      continue;
    }
    onRead(file);
    const result = await reader(ctx.db, file.landed_path, file.original_name, table, source.headerAliases, { maxRecordBytes: ctx.config.limits.max_row_kb * 1024 });
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
    if (r.read.leftOut?.length) {
      ctx.log.info({ stage: 'load', file: r.file.original_name, rows: r.read.leftOut.map((l) => l.row), text: r.read.leftOut.map((l) => l.text).slice(0, 5) }, 'lines under the table of a printed form hold no record (notes, signatures): left out');
    }
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

async function recordLoad(ctx: RunContext, source: ConfiguredSource, r: ReadFile, quarantined: number): Promise<FileLoad> {
  const names = { source: source.contract.name, table: r.table.name, file: r.file.original_name };
  for (const reject of r.read.rejects) {
    // The reader's reason starts with its kind ("missing columns: Expected…"): the kind groups them.
    const problems: Problem[] = [{ column: null, header: null, problem: reject.reason.split(':')[0]!, list: null, value: null, reason: reject.reason }];
    await ctx.db.run('INSERT INTO ops.quarantine (load_id, source, table_name, file_name, row_number, reason, record, problems) VALUES ($id, $source, $table, $file, $row, $reason, $text, $problems)', {
      id: r.loadId, ...names, row: reject.row, reason: reject.reason, text: reject.text, problems: JSON.stringify(problems),
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
    `INSERT INTO ops.loads (load_id, run_id, source, table_name, sha256, file_name, rows_read, rows_loaded, rows_quarantined, started_at, finished_at, headers)
     VALUES ($id, $run, $source, $table, $sha, $file, $read, $loaded, $quarantined, $started, current_timestamp, $headers)`,
    {
      id: r.loadId, run: ctx.runId, ...names, sha: r.file.sha256,
      read: loaded.rowsRead, loaded: loaded.rowsLoaded, quarantined: loaded.rowsQuarantined, started: r.startedAt.toISOString(),
      // What the quarantine's second look needs to check the file's rows again.
      headers: JSON.stringify(Object.fromEntries(r.read.mapping.original)),
    },
  );
  return loaded;
}

/**
 * The reader of a file; 'csv' for text exports (.csv, and whatever is not JSON or a workbook),
 * read together by readCsvFiles, unless laid out as a printed form.
 */
async function readerFor(source: ConfiguredSource, table: TableContract, file: PendingFile): Promise<FileReader | 'csv'> {
  const extension = extname(file.landed_path);
  if (table.layout === 'budget_workbook') return readBudgetWorkbook;
  if (extension === '.json') return readJsonPage;
  if (extension === '.xlsx') return readXlsx;
  return (await isCsvForm(file.landed_path, file.original_name, table, source.headerAliases)) ? readCsvForm : 'csv';
}
