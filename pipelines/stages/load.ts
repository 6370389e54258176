// Stage 2, load: each landed file that has no load yet goes into its raw table. The reader puts
// the file's rows in `incoming`; here every value is checked against the table contract, and
// the good rows go to raw.<source>__<table> while the rest go to ops.quarantine with the reason,
// all in one transaction with the file's ops.loads row. So for every file:
// rows read = rows loaded + rows quarantined, and a load is either complete or absent.
import { extname } from 'node:path';
import { rawTableName, type ColumnContract, type TableContract } from '../../connectors/contract.js';
import { readBudgetWorkbook } from '../../connectors/formats/budget-workbook.js';
import { readCsv } from '../../connectors/formats/csv.js';
import { INCOMING, type FileReader } from '../../connectors/formats/incoming.js';
import { readJsonPage } from '../../connectors/formats/json-page.js';
import { readXlsx } from '../../connectors/formats/xlsx.js';
import type { HeaderMapping } from '../../connectors/headers.js';
import type { ConfiguredSource } from '../../connectors/registry.js';
import { stopIfAsked, type RunContext } from '../context.js';
import { ident, literal } from '../db.js';
import { CchcError, SourceFileError } from '../errors.js';

export type FileLoad = { file: string; loadId: number; rowsRead: number; rowsLoaded: number; rowsQuarantined: number };
export type LoadFailure = { source: string; file: string; error: string; action: string };
export type LoadResult = { loads: FileLoad[]; failures: LoadFailure[]; failedBefore: string[] };
export type LoadOptions = { retryFailed?: boolean };

type PendingFile = { sha256: string; table_name: string; original_name: string; landed_path: string };

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
    `SELECT sha256, table_name, original_name, landed_path FROM ops.landed_files f
     WHERE source = $1
       AND NOT EXISTS (SELECT 1 FROM ops.loads l WHERE l.source = f.source AND l.sha256 = f.sha256)
       AND NOT EXISTS (SELECT 1 FROM ops.load_failures x WHERE x.source = f.source AND x.sha256 = f.sha256)
     ORDER BY landed_at, original_name`,
    [source.contract.name],
  );
  let rows = 0;
  let quarantined = 0;
  ctx.progress.start(`load ${source.contract.name}`, pending.length, 'files');
  for (const file of pending) {
    stopIfAsked(ctx);
    ctx.progress.advance(`${rows.toLocaleString('en-US')} rows loaded; ${file.original_name}`);
    try {
      const loaded = await loadFile(ctx, source, file);
      result.loads.push(loaded);
      rows += loaded.rowsLoaded;
      quarantined += loaded.rowsQuarantined;
      log.debug(loaded, 'loaded');
      if (loaded.rowsQuarantined > 0) {
        log.warn({ file: file.original_name, rows_quarantined: loaded.rowsQuarantined }, 'rows quarantined: see ops.quarantine for each row and its reason');
      }
    } catch (error) {
      if (!(error instanceof CchcError)) throw error;
      const action = `${error.action}; the file is not tried again until \`cchc run --retry-failed\` (a corrected export with new content loads by itself)`;
      result.failures.push({ source: source.contract.name, file: file.original_name, error: error.message, action });
      await ctx.db.run(
        'INSERT OR REPLACE INTO ops.load_failures VALUES ($source, $sha, $file, $error, $action, $run, current_timestamp)',
        { source: source.contract.name, sha: file.sha256, file: file.original_name, error: error.message, action, run: ctx.runId },
      );
      log.error({ file: file.original_name, err: error.message, action }, 'file not loaded');
    }
  }
  ctx.progress.end();
  log.info({ files: pending.length, rows_loaded: rows, rows_quarantined: quarantined }, 'load done');
  return result;
}

async function loadFile(ctx: RunContext, source: ConfiguredSource, file: PendingFile): Promise<FileLoad> {
  const table = source.contract.tables[file.table_name];
  if (!table) {
    throw new SourceFileError(file.original_name, `was landed as table "${file.table_name}", which ${source.contract.name} no longer has`, {
      action: 'check sources.<source>.files in the config',
    });
  }
  const startedAt = new Date();
  const read = readerFor(table, extname(file.landed_path));
  const result = await read(ctx.db, file.landed_path, file.original_name, table, source.headerAliases);
  const unknown = result.mapping.unknown;
  if (unknown.length > 0) {
    ctx.log.debug({ stage: 'load', file: file.original_name, columns: unknown }, 'columns the contract does not know were left out');
  }

  const badValues = await ctx.db.all<{ column_name: string; value: string }>(badValuesQuery(table, result.mapping));
  // Only the rows with a problem are kept aside: copying every row once more would cost as much as reading them.
  await ctx.db.run(
    `CREATE OR REPLACE TEMP TABLE reasons AS
     SELECT _row, _reason FROM (SELECT _row, ${reasonExpression(table, result.mapping, badValues)} AS _reason FROM ${INCOMING}) WHERE _reason IS NOT NULL`,
  );
  const present = table.columns.map((c) => ident(c.name)).join(', ');
  const raw = `raw.${ident(rawTableName(source.contract.name, table))}`;
  const names = { source: source.contract.name, table: table.name, file: file.original_name };

  return ctx.db.transaction(async () => {
    const { id } = (await ctx.db.one<{ id: number }>(`SELECT nextval('ops.load_ids') AS id`))!;
    await ctx.db.run(
      `INSERT INTO ${raw} (_load_id, _file, _row, ${present}) SELECT $id, $file, _row, ${present} FROM ${INCOMING} ANTI JOIN reasons USING (_row)`,
      { id, file: file.original_name },
    );
    await ctx.db.run(
      `INSERT INTO ops.quarantine SELECT $id, $source, $table, $file, _row, _reason, ${recordJson(table, result.mapping)}
       FROM ${INCOMING} JOIN reasons USING (_row)`,
      { id, ...names },
    );
    for (const reject of result.rejects) {
      await ctx.db.run('INSERT INTO ops.quarantine VALUES ($id, $source, $table, $file, $row, $reason, $text)', {
        id, ...names, row: reject.row, reason: reject.reason, text: reject.text,
      });
    }
    const { quarantined } = (await ctx.db.one<{ quarantined: number }>('SELECT count(*) AS quarantined FROM reasons'))!;
    const counts = { loaded: result.rowsRead - quarantined, quarantined };
    const loaded: FileLoad = {
      file: file.original_name,
      loadId: id,
      rowsRead: result.rowsRead + result.rejects.length,
      rowsLoaded: counts.loaded,
      rowsQuarantined: counts.quarantined + result.rejects.length,
    };
    await ctx.db.run(
      `INSERT INTO ops.loads VALUES ($id, $run, $source, $table, $sha, $file, $read, $loaded, $quarantined, $started, current_timestamp)`,
      {
        id, run: ctx.runId, ...names, sha: file.sha256,
        read: loaded.rowsRead, loaded: loaded.rowsLoaded, quarantined: loaded.rowsQuarantined, started: startedAt.toISOString(),
      },
    );
    return loaded;
  }).finally(() => dropTemporaryTables(ctx));
}

function readerFor(table: TableContract, extension: string): FileReader {
  if (table.layout === 'budget_workbook') return readBudgetWorkbook;
  if (extension === '.json') return readJsonPage;
  return extension === '.xlsx' ? readXlsx : readCsv;
}

async function dropTemporaryTables(ctx: RunContext): Promise<void> {
  await ctx.db.run(`DROP TABLE IF EXISTS ${INCOMING}`);
  await ctx.db.run('DROP TABLE IF EXISTS reasons');
}

/**
 * The checks that depend on the value alone, for columns of few distinct values (codes, yes/no):
 * normalizing a label is costly, so each distinct value is judged once, not each row.
 */
function valueCheck(column: ColumnContract, v: string): string | undefined {
  if (column.type === 'boolean') return `vn_boolean(${v}) IS NULL`;
  if (typeof column.type === 'object') return `NOT norm_key(${v}) IN (SELECT alias_key FROM seeds.code_aliases WHERE list = ${literal(column.type.lookup)})`;
  return undefined;
}

/** SQL: the present values that fail their column's valueCheck, by column. */
function badValuesQuery(table: TableContract, mapping: HeaderMapping): string {
  const selects = table.columns
    .filter((c) => mapping.original.has(c.name) && valueCheck(c, 'v'))
    .map((c) => `SELECT ${literal(c.name)} AS column_name, v AS value FROM (SELECT DISTINCT ${ident(c.name)} AS v FROM ${INCOMING}) WHERE blank_to_null(v) IS NOT NULL AND ${valueCheck(c, 'v')}`);
  const empty = 'SELECT NULL::VARCHAR AS column_name, NULL::VARCHAR AS value WHERE false';
  return [...selects, empty].join(' UNION ALL ');
}

/** SQL: every problem of a row, joined by "; ", or NULL when the row is good. */
function reasonExpression(table: TableContract, mapping: HeaderMapping, badValues: { column_name: string; value: string }[]): string {
  const checks = table.columns
    .filter((c) => mapping.original.has(c.name))
    .flatMap((c) => columnChecks(c, mapping.original.get(c.name)!, badValues.filter((b) => b.column_name === c.name).map((b) => b.value)));
  return checks.length === 0 ? 'NULL::VARCHAR' : `nullif(concat_ws('; ', ${checks.join(', ')}), '')`;
}

function columnChecks(column: ColumnContract, header: string, badValues: string[]): string[] {
  const value = ident(column.name);
  const label = literal(`${header} (${column.name})`);
  const problem = (condition: string, what: string) =>
    `CASE WHEN ${condition} THEN ${label} || ${literal(`: ${what} `)} || coalesce('"' || ${value} || '"', '') END`;
  const present = `blank_to_null(${value}) IS NOT NULL`;
  const checks: string[] = [];
  if (column.notNull) checks.push(`CASE WHEN blank_to_null(${value}) IS NULL THEN ${label} || ': empty, a value is required' END`);
  const type = column.type;
  // The values judged bad beforehand, as literals: usually none, and then no check at all.
  const bad = `${value} IN (${badValues.map(literal).join(', ')})`;
  if (type === 'timestamp') checks.push(problem(`${present} AND vn_timestamp(${value}) IS NULL`, 'unreadable date'));
  else if (type === 'amount') checks.push(problem(`${present} AND vn_amount(${value}) IS NULL`, 'not an amount'));
  else if (type === 'integer') checks.push(problem(`${present} AND vn_integer(${value}) IS NULL`, 'not a whole number'));
  else if (badValues.length === 0) return checks;
  else if (type === 'boolean') checks.push(problem(bad, 'not a yes/no value'));
  else if (typeof type === 'object') checks.push(problem(bad, `unknown ${type.lookup}`));
  return checks;
}

/** SQL: the row as the file had it, a JSON object keyed by the file's own headers. */
function recordJson(table: TableContract, mapping: HeaderMapping): string {
  const pairs = table.columns
    .filter((c) => mapping.original.has(c.name))
    .map((c) => `${literal(mapping.original.get(c.name)!)}, ${ident(c.name)}`);
  return `json_object(${pairs.join(', ')})::VARCHAR`;
}

