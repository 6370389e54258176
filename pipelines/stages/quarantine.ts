// The quarantine: rows whose values break their table's contract. ops.quarantine holds each
// one's reasons and its text (without the personal columns); quarantine.<source>__<table> holds
// the row itself as read, beside raw. When what the checks know changes (the config's vocabulary
// grows, a seed or a contract is corrected), the waiting rows are checked again and those that
// now pass move to raw: nothing needs exporting again. And a source whose quarantine grows past
// limits.max_quarantine_rate fails its run, saying why and what to set, rather than letting the
// marts publish an undercount.
import { rawTableName, type ColumnContract, type TableContract } from '../../connectors/contract.js';
import { headerResolver } from '../../connectors/headers.js';
import type { ConfiguredSource } from '../../connectors/registry.js';
import type { RunContext } from '../context.js';
import { ident, literal } from '../../core/warehouse.js';

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
function heldOf(source: string, table: TableContract): string {
  return `quarantine.${ident(rawTableName(source, table))}`;
}

function rawOf(source: string, table: TableContract): string {
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

/** The quarantine of a source since it last passed, by table and by reason, against the limits. */
export type QuarantineReport = {
  /** Loads after this one count (0: all): the loads since the source last passed. */
  since_load_id: number;
  max_rate: number;
  tolerated_rows: number;
  /** A table over both limits: the source fails the run. */
  over_limit: boolean;
  /** Each table that read rows since: how many, and how many of them the quarantine still holds. */
  tables: QuarantineOfTable[];
  reasons: QuarantineReason[];
};

export type QuarantineOfTable = { table: string; rows_read: number; rows_quarantined: number; rate: number; over_limit: boolean };

export type QuarantineReason = {
  table: string;
  /** "Đơn vị tiếp nhận (receiving_unit): unknown unit", or a reader's reason for a record it could not split. */
  reason: string;
  rows: number;
  /** The commonest values, with their rows. */
  examples: { value: string; rows: number }[];
  /** The config key that places these rows (`vocabulary.unit`), when one can. */
  config_key: string | null;
};

/**
 * The quarantine of the source's loads since it last passed the limits, table by table: a
 * catalogue re-exported whole must not dilute a week of dossiers. A held row that a later load
 * brought again under the same key, and loaded (a corrected export), no longer counts. Passing
 * moves the mark past these loads; failing leaves it, so that the next runs count the same rows
 * until the vocabulary places them (and they load), a corrected export replaces them, or the
 * limit is raised.
 */
export async function judgeQuarantine(ctx: RunContext, source: ConfiguredSource): Promise<QuarantineReport> {
  const name = source.contract.name;
  const { limits } = ctx.config;
  const since = Number((await ctx.db.one<{ id: number | null }>('SELECT any_value(through_load_id) AS id FROM ops.quarantine_accepted WHERE source = $1', [name]))!.id ?? 0);
  const loads = await ctx.db.all<{ table_name: string; read: number; quarantined: number; last: number }>(
    `SELECT table_name, sum(rows_read)::BIGINT AS read, sum(rows_quarantined)::BIGINT AS quarantined, max(load_id) AS last
     FROM ops.loads WHERE source = $1 AND load_id > $2 GROUP BY table_name ORDER BY table_name`,
    [name, since],
  );
  const live = loads.some((l) => Number(l.quarantined) > 0) ? await stillQuarantined(ctx, source, since) : [];
  const tables = loads.map((l): QuarantineOfTable => {
    const read = Number(l.read);
    const quarantined = live.filter((q) => q.table === l.table_name).reduce((n, q) => n + q.rows, 0);
    const rate = read === 0 ? 0 : quarantined / read;
    return { table: l.table_name, rows_read: read, rows_quarantined: quarantined, rate, over_limit: rate > limits.max_quarantine_rate && quarantined > limits.quarantine_rows_tolerated };
  });
  const overLimit = tables.some((t) => t.over_limit);
  if (!overLimit && loads.length > 0) {
    await ctx.db.run('INSERT OR REPLACE INTO ops.quarantine_accepted VALUES ($1, $2, $3, current_timestamp)', [name, Math.max(...loads.map((l) => Number(l.last))), ctx.runId]);
  }
  return { since_load_id: since, max_rate: limits.max_quarantine_rate, tolerated_rows: limits.quarantine_rows_tolerated, over_limit: overLimit, tables, reasons: live.flatMap((q) => q.reasons) };
}

/** The rows of the loads since `since` that the quarantine still holds, and not superseded, by table and reason. */
async function stillQuarantined(ctx: RunContext, source: ConfiguredSource, since: number): Promise<{ table: string; rows: number; reasons: QuarantineReason[] }[]> {
  const name = source.contract.name;
  const found = [];
  for (const table of Object.values(source.contract.tables)) {
    const key = table.primaryKey.map((k) => `r.${ident(k)} = h.${ident(k)}`).join(' AND ');
    await ctx.db.run(
      `CREATE OR REPLACE TEMP TABLE live_quarantine AS
       SELECT q.* FROM ops.quarantine AS q
       WHERE q.source = $1 AND q.table_name = $2 AND q.load_id > $3
         AND NOT EXISTS (SELECT 1 FROM ${heldOf(name, table)} AS h
                         WHERE h._load_id = q.load_id AND h._row = q.row_number
                           AND EXISTS (SELECT 1 FROM ${rawOf(name, table)} AS r WHERE ${key} AND r._load_id > h._load_id))`,
      [name, table.name, since],
    );
    const rows = Number((await ctx.db.one<{ n: number }>('SELECT count(*) AS n FROM live_quarantine'))!.n);
    if (rows > 0) found.push({ table: table.name, rows, reasons: await reasonsOf(ctx, table.name) });
    await ctx.db.run('DROP TABLE live_quarantine');
  }
  return found;
}

/** The reasons of the rows of `live_quarantine`, grouped by column and problem, with their commonest values. */
async function reasonsOf(ctx: RunContext, table: string): Promise<QuarantineReason[]> {
  const groups = await ctx.db.all<{ reason: string; list: string | null; kind: string; rows: number; examples: { value: string; rows: number }[] | null }>(
    `WITH problems AS (
       SELECT unnest(coalesce(from_json(problems, '${PROBLEMS_TYPE}'), [{'column': NULL, 'header': NULL, 'problem': reason, 'list': NULL, 'value': NULL, 'reason': reason}])) AS p
       FROM live_quarantine),
     by_value AS (
       SELECT p.column, p.problem, any_value(p.header) AS header, any_value(p.list) AS list, p.value, count(*) AS n
       FROM problems GROUP BY p.column, p.problem, p.value)
     SELECT CASE WHEN "column" IS NULL THEN problem ELSE any_value(header) || ' (' || "column" || '): ' || problem END AS reason,
            any_value(list) AS list, problem AS kind, sum(n)::BIGINT AS rows,
            list({'value': value, 'rows': n} ORDER BY n DESC, value) FILTER (WHERE value IS NOT NULL)[1:3] AS examples
     FROM by_value GROUP BY "column", problem ORDER BY rows DESC, reason`,
  );
  return groups.map((g) => ({
    table,
    reason: g.reason,
    rows: Number(g.rows),
    examples: (g.examples ?? []).map((e) => ({ value: e.value, rows: Number(e.rows) })),
    config_key: g.list && g.kind === `unknown ${g.list}` ? `vocabulary.${g.list}` : null,
  }));
}

/**
 * What a run says of a source's quarantine: over the limits, why the source failed and what
 * fixes it (the config keys first); within them, the counts and the reasons, as a warning.
 */
export function describeQuarantine(source: string, q: QuarantineReport): { message: string; action: string } {
  const since = q.since_load_id > 0 ? ' since the source last passed' : '';
  const limit = `limits.max_quarantine_rate (${percent(q.max_rate)})`;
  const lines = q.tables
    .filter((t) => t.rows_quarantined > 0)
    .sort((a, b) => Number(b.over_limit) - Number(a.over_limit))
    .flatMap((t) => {
      // Within the limits: under the rate, or above it by no more than the rows tolerated.
      const within = t.rate > q.max_rate ? `limits.quarantine_rows_tolerated (${count(q.tolerated_rows)} rows)` : limit;
      const verdict = t.over_limit ? `more than ${limit}: the marts that read ${source} keep their last good data` : `within ${within}; they are left out of the marts`;
      const reasons = q.reasons.filter((r) => r.table === t.table);
      const examples = (r: QuarantineReason) => (r.examples.length > 0 ? ` (${r.examples.map((e) => `"${e.value}" ${count(e.rows)}`).join('; ')})` : '');
      return [
        `${source}.${t.table}: ${count(t.rows_quarantined)} of ${count(t.rows_read)} rows read${since} are quarantined (${percent(t.rate)}), ${verdict}`,
        ...reasons.slice(0, 5).map((r) => `  ${r.reason}: ${count(r.rows)} rows${examples(r)}`),
        ...(reasons.length > 5 ? [`  and ${reasons.length - 5} more reasons (ops.quarantine)`] : []),
      ];
    });
  const keys = [...new Set(q.reasons.flatMap((r) => (r.config_key ? [r.config_key] : [])))];
  const steps = [
    ...(keys.length > 0 ? [`add the spellings under ${keys.join(', ')} in the config (\`cchc codes\` prints them as YAML to paste): the held rows then load at the next run, with no new export`] : []),
    ...(q.reasons.some((r) => !r.config_key)
      ? [`correct ${keys.length > 0 ? 'the other' : 'these'} rows in the source system and export them again (ops.quarantine has each row and its reason): a row loaded again under its key no longer counts`]
      : []),
  ];
  const action = q.over_limit ? `${steps.join('; ')}; or, to publish without these rows, raise limits.max_quarantine_rate for a run` : steps.join('; ');
  return { message: lines.join('\n'), action };
}

/** Rows the quarantine still holds, of the loads since the source last passed. */
export function rowsQuarantined(q: QuarantineReport): number {
  return q.tables.reduce((n, t) => n + t.rows_quarantined, 0);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;
}

/** A quarantined value of a list that the list did not know, for `cchc codes`. */
export type UnknownValue = {
  list: string;
  value: string;
  rows: number;
  first_file: string;
  /** The code the lists as they are now (with the config's vocabulary) give it: its rows load at the next run. */
  placed_as: string | null;
  closest: { code: string; label: string; spelling: string; similarity: number }[];
};

/**
 * Every value of `quarantine` (an ops.quarantine table) that its code list did not know, with its
 * rows, the first file it came in, the code seeds.code_aliases gives it now if any, and the
 * closest spellings of its list, one per code: DuckDB's Jaro-Winkler similarity on the normalised
 * spellings, or, when one holds the other's words whole, 0.8 and up with the share of the words.
 */
export async function unknownValues(db: RunContext['db'], quarantine = 'ops.quarantine'): Promise<UnknownValue[]> {
  const found = await db.all<Omit<UnknownValue, 'closest'> & { closest: UnknownValue['closest'] | null }>(
    `WITH problems AS (
       SELECT load_id, file_name, unnest(from_json(problems, '${PROBLEMS_TYPE}')) AS p FROM ${quarantine} WHERE problems IS NOT NULL),
     unknown AS (
       SELECT p.list, p.value, norm_key(p.value) AS value_key, count(*) AS rows, arg_min(file_name, load_id) AS first_file
       FROM problems WHERE p.problem = 'unknown ' || p.list AND p.value IS NOT NULL GROUP BY ALL),
     scored AS (
       SELECT u.list, u.value, a.code, a.label, a.alias_key,
              greatest(jaro_winkler_similarity(u.value_key, a.alias_key),
                       CASE WHEN contains(' ' || u.value_key || ' ', ' ' || a.alias_key || ' ') OR contains(' ' || a.alias_key || ' ', ' ' || u.value_key || ' ')
                            THEN 0.8 + 0.2 * least(length(a.alias_key), length(u.value_key)) / greatest(length(a.alias_key), length(u.value_key)) ELSE 0 END) AS similarity
       FROM unknown AS u JOIN seeds.code_aliases AS a USING (list)),
     best_per_code AS (
       SELECT list, value, code, any_value(label) AS label, arg_max(alias_key, similarity) AS spelling, max(similarity) AS similarity
       FROM scored GROUP BY ALL)
     SELECT u.list, u.value, u.rows::BIGINT AS rows, u.first_file,
            (SELECT any_value(a.code) FROM seeds.code_aliases AS a WHERE a.list = u.list AND a.alias_key = u.value_key) AS placed_as,
            (SELECT list({'code': b.code, 'label': b.label, 'spelling': b.spelling, 'similarity': round(b.similarity, 2)} ORDER BY b.similarity DESC, b.code)[1:3]
             FROM best_per_code AS b WHERE b.list = u.list AND b.value = u.value) AS closest
     FROM unknown AS u ORDER BY u.list, u.rows DESC, u.value`,
  );
  return found.map((f) => ({ ...f, rows: Number(f.rows), closest: (f.closest ?? []).map((c) => ({ ...c, similarity: Number(c.similarity) })) }));
}

/**
 * Fills `bad_values` with the present values that fail their column's valueCheck. Exports repeat
 * their dates, codes and amounts over and over: each distinct value is judged once, not each row.
 * The distinct values are a table of their own: in one query, DuckDB would push the check down
 * below the DISTINCT, onto every row.
 */
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
