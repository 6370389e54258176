// The quarantine: rows whose values break their table's contract. ops.quarantine holds each
// one's reasons and its text (without the personal columns); quarantine.<source>__<table> holds
// the row itself as read, beside raw. When what the checks know changes (the config's vocabulary
// grows, a seed or a contract is corrected), the waiting rows are checked again and those that
// now pass move to raw: nothing needs exporting again. How much a source holds, against its
// limits, is judged in quarantine-report.ts.
import { rawTableName, type ColumnContract, type TableContract } from '../../connectors/contract.js';
import { headerResolver } from '../../connectors/headers.js';
import type { ConfiguredSource } from '../../connectors/registry.js';
import { ident, literal } from '../../core/warehouse.js';
import type { RunContext } from '../context.js';

/** One thing wrong with a row, as ops.quarantine.problems lists them. */
export type Problem = {
  /** The contract's column, and the file's header for it; null for a record the reader could not split. */
  column: string | null;
  header: string | null;
  /** What is wrong, without the value: "unknown unit", "unreadable date", "empty", "missing columns"… */
  problem: string;
  /** The code list of an unknown value. */
  list: string | null;
  value: string | null;
  reason: string;
};

export const PROBLEMS_TYPE = `[{"column":"VARCHAR","header":"VARCHAR","problem":"VARCHAR","list":"VARCHAR","value":"VARCHAR","reason":"VARCHAR"}]`;

/** The held rows of a raw table: the same layout, in the quarantine schema. */
export function heldOf(source: string, table: TableContract): string {
  return `quarantine.${ident(rawTableName(source, table))}`;
}

export function rawOf(source: string, table: TableContract): string {
  return `raw.${ident(rawTableName(source, table))}`;
}

/**
 * Checks the rows of `rows` (a relation with _load_id, _row and the contract's columns, as read
 * from files whose headers are `headers`, canonical name → header as written) and fills the
 * temporary table `reasons` with those that have a problem: _load_id, _row, _reason (text), and
 * _problems (JSON, see Problem).
 */
async function checkRows(ctx: RunContext, table: TableContract, headers: ReadonlyMap<string, string>, rows: string): Promise<void> {
  const present = table.columns.filter((c) => headers.has(c.name));
  await findBadValues(ctx, present, rows);
  const badColumns = new Set((await ctx.db.all<{ column_name: string }>('SELECT DISTINCT column_name FROM bad_values')).map((b) => b.column_name));
  const checks = present.flatMap((c) => columnChecks(c, headers.get(c.name)!, badColumns.has(c.name)));
  // Only the rows with a problem build the list of what is wrong with them: most rows have none.
  await ctx.db.run(
    checks.length === 0
      ? 'CREATE OR REPLACE TEMP TABLE reasons (_load_id BIGINT, _row BIGINT, _reason VARCHAR, _problems JSON)'
      : `CREATE OR REPLACE TEMP TABLE reasons AS
         SELECT _load_id, _row, array_to_string(list_transform(p, x -> x.reason), '; ') AS _reason, to_json(p) AS _problems
         FROM (SELECT _load_id, _row, list_filter([${checks.map((c) => c.problem).join(', ')}], x -> x IS NOT NULL) AS p
               FROM ${rows} WHERE ${checks.map((c) => `(${c.fails})`).join(' OR ')})`,
  );
  await ctx.db.run('DROP TABLE bad_values');
}

/**
 * Moves the rows of these loads that fail their checks from raw to the quarantine, with their
 * reasons in ops.quarantine. Returns the rows quarantined by load id.
 */
export async function quarantineBadRows(
  ctx: RunContext,
  source: ConfiguredSource,
  table: TableContract,
  headers: ReadonlyMap<string, string>,
  loadIds: readonly number[],
): Promise<Map<number, number>> {
  const raw = rawOf(source.contract.name, table);
  const rows = `(SELECT * FROM ${raw} WHERE _load_id IN (${loadIds.join(', ')}))`;
  await checkRows(ctx, table, headers, rows);
  const counts = await ctx.db.all<{ load_id: number; n: number }>('SELECT _load_id AS load_id, count(*) AS n FROM reasons GROUP BY _load_id');
  if (counts.length > 0) {
    await ctx.db.run(
      `INSERT INTO ops.quarantine (load_id, source, table_name, file_name, row_number, reason, record, problems)
       SELECT _load_id, $source, $table, _file, _row, _reason, ${recordJson(table, headers)}, _problems
       FROM ${rows} JOIN reasons USING (_load_id, _row)`,
      { source: source.contract.name, table: table.name },
    );
    await ctx.db.run(`INSERT INTO ${heldOf(source.contract.name, table)} BY NAME SELECT r.* FROM ${rows} AS r JOIN reasons USING (_load_id, _row)`);
    await ctx.db.run(`DELETE FROM ${raw} USING reasons r WHERE ${raw}._load_id = r._load_id AND ${raw}._row = r._row`);
  }
  await ctx.db.run('DROP TABLE reasons');
  return new Map(counts.map((c) => [Number(c.load_id), Number(c.n)]));
}

export type Release = { source: string; table: string; file: string; loadId: number; rows: number };

/**
 * Checks the held rows of a source again when what the checks know has changed since it last
 * did (the reference fingerprint of prepareWarehouse: seeds, the config's vocabulary, macros,
 * contracts), and moves those that pass to raw under their own load, in one transaction. Their
 * loads' counts move with them (rows read = loaded + quarantined still holds per file), and
 * ops.quarantine_releases records each move.
 */
export async function releaseHeldRows(ctx: RunContext, source: ConfiguredSource): Promise<Release[]> {
  const name = source.contract.name;
  const { fingerprint } = (await ctx.db.one<{ fingerprint: string }>('SELECT fingerprint FROM reference_fingerprint'))!;
  const last = await ctx.db.one<{ fingerprint: string }>('SELECT fingerprint FROM ops.quarantine_checks WHERE source = $1', [name]);
  if (last?.fingerprint === fingerprint) return [];
  return ctx.db.transaction(async () => {
    const released: Release[] = [];
    for (const table of Object.values(source.contract.tables)) {
      await holdOldQuarantine(ctx, source, table);
      const held = heldOf(name, table);
      const loads = await ctx.db.all<{ load_id: number; headers: string | null }>(
        `SELECT DISTINCT h._load_id AS load_id, l.headers::VARCHAR AS headers FROM ${held} AS h JOIN ops.loads AS l ON l.load_id = h._load_id ORDER BY 1`,
      );
      // A load whose headers were not recorded cannot be checked again: its rows stay held.
      const byHeaders = new Map<string, number[]>();
      for (const l of loads.filter((x) => x.headers !== null)) {
        if (!byHeaders.has(l.headers!)) byHeaders.set(l.headers!, []);
        byHeaders.get(l.headers!)!.push(Number(l.load_id));
      }
      for (const [headers, loadIds] of byHeaders) {
        const rows = `(SELECT * FROM ${held} WHERE _load_id IN (${loadIds.join(', ')}))`;
        await checkRows(ctx, table, new Map(Object.entries(JSON.parse(headers) as Record<string, string>)), rows);
        await ctx.db.run(`CREATE OR REPLACE TEMP TABLE passed AS SELECT _load_id, _row, _file FROM ${rows} ANTI JOIN reasons USING (_load_id, _row)`);
        await ctx.db.run(`INSERT INTO ${rawOf(name, table)} BY NAME SELECT h.* FROM ${rows} AS h SEMI JOIN passed USING (_load_id, _row)`);
        await ctx.db.run(`DELETE FROM ${held} USING passed p WHERE ${held}._load_id = p._load_id AND ${held}._row = p._row`);
        await ctx.db.run('DELETE FROM ops.quarantine q USING passed p WHERE q.load_id = p._load_id AND q.row_number = p._row');
        // Rows still held may be held for other reasons than before.
        await ctx.db.run(
          `UPDATE ops.quarantine q SET reason = r._reason, problems = r._problems FROM reasons r
           WHERE q.load_id = r._load_id AND q.row_number = r._row
             AND (q.reason IS DISTINCT FROM r._reason OR q.problems::VARCHAR IS DISTINCT FROM r._problems::VARCHAR)`,
        );
        const moved = await ctx.db.all<{ load_id: number; file: string; n: number }>('SELECT _load_id AS load_id, any_value(_file) AS file, count(*) AS n FROM passed GROUP BY 1 ORDER BY 1');
        for (const m of moved) {
          await ctx.db.run('UPDATE ops.loads SET rows_loaded = rows_loaded + $n, rows_quarantined = rows_quarantined - $n WHERE load_id = $id', { n: m.n, id: m.load_id });
          await ctx.db.run('INSERT INTO ops.quarantine_releases VALUES ($run, $id, $source, $table, $file, $n, current_timestamp)', {
            run: ctx.runId, id: m.load_id, source: name, table: table.name, file: m.file, n: m.n,
          });
          released.push({ source: name, table: table.name, file: m.file, loadId: Number(m.load_id), rows: Number(m.n) });
        }
        await ctx.db.run('DROP TABLE passed');
        await ctx.db.run('DROP TABLE reasons');
      }
    }
    await ctx.db.run('INSERT OR REPLACE INTO ops.quarantine_checks VALUES ($source, $fingerprint, $run, current_timestamp)', { source: name, fingerprint, run: ctx.runId });
    return released;
  });
}

/**
 * A quarantine written before rows were kept whole holds each row only as JSON under its file's
 * headers, without the personal columns. Those rows are held again from it, to be checked like
 * the others (their personal data was never kept), and their loads get the headers they were
 * read with. The records the reader could not split get their problem from their reason.
 */
async function holdOldQuarantine(ctx: RunContext, source: ConfiguredSource, table: TableContract): Promise<void> {
  const name = source.contract.name;
  const old = `source = ${literal(name)} AND table_name = ${literal(table.name)} AND problems IS NULL`;
  const isRow = `json_valid(record) AND starts_with(record, '{')`;
  const shapes = await ctx.db.all<{ keys: string[]; loads: number[] }>(
    `SELECT json_keys(record::JSON) AS keys, list(DISTINCT load_id) AS loads FROM ops.quarantine WHERE ${old} AND ${isRow} GROUP BY 1`,
  );
  const resolve = headerResolver(table, source.headerAliases);
  for (const { keys, loads } of shapes) {
    const columns = keys.flatMap((header) => (resolve(header) ? [[resolve(header)!, header] as const] : []));
    const values = columns.map(([, header]) => `record::JSON ->> ${literal(header)}`);
    await ctx.db.run(
      `INSERT INTO ${heldOf(name, table)} (_load_id, _file, _row${columns.map(([c]) => `, ${ident(c)}`).join('')})
       SELECT load_id, file_name, row_number${values.map((v) => `, ${v}`).join('')}
       FROM ops.quarantine WHERE ${old} AND ${isRow} AND json_keys(record::JSON) = ${sqlList(keys)}`,
    );
    await ctx.db.run(`UPDATE ops.loads SET headers = $1 WHERE load_id IN (${loads.map(Number).join(', ')}) AND headers IS NULL`, [JSON.stringify(Object.fromEntries(columns))]);
  }
  // Checked again at once (releaseHeldRows), which gives the held rows their problems.
  await ctx.db.run(`UPDATE ops.quarantine SET problems = '[]' WHERE ${old} AND ${isRow}`);
  await ctx.db.run(
    `UPDATE ops.quarantine SET problems = to_json([{'column': NULL::VARCHAR, 'header': NULL::VARCHAR, 'problem': split_part(reason, ':', 1), 'list': NULL::VARCHAR, 'value': NULL::VARCHAR, 'reason': reason}])
     WHERE ${old}`,
  );
}

function sqlList(values: readonly string[]): string {
  return `[${values.map(literal).join(', ')}]`;
}

async function findBadValues(ctx: RunContext, columns: readonly ColumnContract[], rows: string): Promise<void> {
  const checked = columns.filter((c) => valueCheck(c, 'v'));
  const none = 'SELECT NULL::VARCHAR AS column_name, NULL::VARCHAR AS value WHERE false';
  const distinct = checked.map((c) => `SELECT ${literal(c.name)} AS column_name, v AS value FROM (SELECT DISTINCT ${ident(c.name)} AS v FROM ${rows})`);
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE distinct_values AS ${[...distinct, none].join(' UNION ALL ')}`);
  const bad = checked.map((c) => `SELECT column_name, value FROM distinct_values WHERE column_name = ${literal(c.name)} AND blank_to_null(value) IS NOT NULL AND ${valueCheck(c, 'value')}`);
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE bad_values AS ${[...bad, none].join(' UNION ALL ')}`);
  await ctx.db.run('DROP TABLE distinct_values');
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

const WHAT_IS_WRONG = { timestamp: 'unreadable date', amount: 'not an amount', integer: 'not a whole number', boolean: 'not a yes/no value' } as const;

/** A check of a column as SQL: when it fails (`fails`), and the Problem it then makes (`problem`, NULL when it passes). */
type Check = { fails: string; problem: string };

function columnChecks(column: ColumnContract, header: string, hasBadValues: boolean): Check[] {
  const value = ident(column.name);
  const label = literal(`${header} (${column.name})`);
  const list = typeof column.type === 'object' ? literal(column.type.lookup) : 'NULL::VARCHAR';
  const problem = (kind: string, saying: string, withValue: boolean) =>
    `{'column': ${literal(column.name)}, 'header': ${literal(header)}, 'problem': ${kind}, 'list': ${list}, 'value': ${withValue ? value : 'NULL::VARCHAR'}, 'reason': ${label} || ${saying}${withValue ? ` || '"' || ${value} || '"'` : ''}}`;
  const checks: Check[] = [];
  if (column.notNull) {
    const fails = `blank_to_null(${value}) IS NULL`;
    checks.push({ fails, problem: `CASE WHEN ${fails} THEN ${problem(`'empty'`, `': empty, a value is required'`, false)} END` });
  }
  // Usually no value is bad, and then there is nothing to check row by row.
  if (hasBadValues) {
    const what = typeof column.type === 'object' ? `unknown ${column.type.lookup}` : WHAT_IS_WRONG[column.type as keyof typeof WHAT_IS_WRONG];
    const negative = `vn_amount(${value}) < 0`;
    const kind = column.nonNegative ? `CASE WHEN ${negative} THEN 'negative' ELSE ${literal(what)} END` : literal(what);
    const saying = column.nonNegative ? `CASE WHEN ${negative} THEN ': negative, an amount of 0 or more is expected ' ELSE ${literal(`: ${what} `)} END` : literal(`: ${what} `);
    const fails = `${value} IN (SELECT value FROM bad_values WHERE column_name = ${literal(column.name)})`;
    checks.push({ fails, problem: `CASE WHEN ${fails} THEN ${problem(kind, saying, true)} END` });
  }
  return checks;
}

/** The row as JSON under its original headers, but for its personal columns: they stay in raw alone. */
function recordJson(table: TableContract, headers: ReadonlyMap<string, string>): string {
  const pairs = table.columns
    .filter((c) => headers.has(c.name) && !c.personal)
    .map((c) => `${literal(headers.get(c.name)!)}, ${ident(c.name)}`);
  return `json_object(${pairs.join(', ')})::VARCHAR`;
}
