// The quarantine of a source judged and told: its rows since it last passed, by table and by
// reason, against limits.max_quarantine_rate (over them, the source fails its run), said with
// the config key that would place them; and the values no code list knows (`cchc codes`).
import type { ConfiguredSource } from '../../connectors/registry.js';
import { ident } from '../../core/warehouse.js';
import type { RunContext } from '../context.js';
import { heldOf, PROBLEMS_TYPE, rawOf } from './quarantine.js';

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
