// What the release page shows, read from the warehouse while the release is published: the
// marts it publishes (the same rows as its Parquet files), the targets of the deployment, and
// the run's own account of the sources (freshness, quarantine, data tests, reconciliation).
import type { Config } from '../../../config/load.js';
import { ident, type Row, type Warehouse } from '../../../core/warehouse.js';
import { freshnessOf, type Freshness } from '../../ops/ledger.js';
import type { QuarantineReport } from '../../stages/quarantine-report.js';
import { HEADLINE_MARTS, totalsOf, type Totals } from '../headline.js';

export type Measure = keyof Omit<Totals, 'period_key'>;
/** A headline indicator of the page; `lower` when fewer is better (overdue dossiers). */
export type Indicator = { measure: Measure; label: string; kind: 'count' | 'rate'; lower?: boolean };

export const INDICATORS: Indicator[] = [
  { measure: 'received_total', label: 'Hồ sơ phải giải quyết', kind: 'count' },
  { measure: 'on_time_rate', label: 'Giải quyết trước và đúng hạn', kind: 'rate' },
  { measure: 'in_progress_overdue', label: 'Hồ sơ đang giải quyết quá hạn', kind: 'count', lower: true },
  { measure: 'dossier_digitization_rate', label: 'Số hóa hồ sơ', kind: 'rate' },
  { measure: 'result_digitization_rate', label: 'Số hóa kết quả giải quyết', kind: 'rate' },
  { measure: 'online_rate', label: 'Hồ sơ trực tuyến (TTHC có DVC trực tuyến)', kind: 'rate' },
  { measure: 'online_payment_rate', label: 'Thanh toán trực tuyến (hồ sơ có phí)', kind: 'rate' },
  { measure: 'satisfaction_rate', label: 'Hài lòng, rất hài lòng', kind: 'rate' },
  { measure: 'revenue_execution_rate', label: 'Thu ngân sách lũy kế so với dự toán', kind: 'rate' },
];

export type Period = { period_key: string; period_type: string; period_label: string; year: number; period_start: Date; period_end: Date; is_complete: boolean };
export type Target = { year: number; measure: string; comparison: string; value: number; description: string | null };
export type Warning = { test_name: string; model: string | null; failing_rows: number; description: string | null };
export type Reconciliation = { counts: { status: string; figures: number }[]; differing: Row[] };
export type Workbook = { period_key: string; label: string; file: string };
export type Link = { label: string; file: string; detail: string };

export type PageData = {
  deployment: string;
  runId: string;
  publishedAt: Date;
  /** The latest change of a dossier the warehouse holds. */
  dataAsOf: Date | null;
  /** The latest complete quarter, and the year it belongs to (so far, if it has not ended). */
  quarter: Period | null;
  year: Period | null;
  /** The complete quarters, oldest first: the trend of each indicator. */
  quarters: Period[];
  totals: Map<string, Totals>;
  targets: Target[];
  /** Biểu 06 of the latest complete quarter: the total, the levels, the units (with `level_label`), in the register's order. */
  bieu06: Row[];
  freshness: Freshness[];
  quarantine: (QuarantineReport & { source: string })[];
  warnings: Warning[];
  reconciliation: Reconciliation | null;
  links: Link[];
  workbooks: Workbook[];
};

export type PageSources = {
  db: Warehouse;
  config: Config;
  runId: string;
  /** What this run's load said of each source's quarantine; a source it did not load is absent. */
  quarantine: Record<string, QuarantineReport>;
  links: Link[];
  workbooks: Workbook[];
};

export async function readPage(sources: PageSources): Promise<PageData> {
  const { db } = sources;
  const marts = new Set((await db.all<{ name: string }>(`SELECT table_name AS name FROM duckdb_tables() WHERE schema_name = 'marts'`)).map((t) => t.name));
  const published = HEADLINE_MARTS.every((m) => marts.has(m));
  const quarters = published ? await completeQuarters(db) : [];
  const quarter = quarters.at(-1) ?? null;
  const year = quarter
    ? ((await db.all<Period>(`SELECT * FROM marts.dim_period WHERE period_type = 'year' AND year = $1`, [quarter.year]))[0] ?? null)
    : null;
  const keys = [...quarters, ...(year ? [year] : [])].map((p) => p.period_key);
  const totals = published ? await totalsOf(db, (name) => `marts.${ident(name)}`, keys) : [];
  return {
    deployment: (await db.one<{ name: string }>('SELECT name FROM seeds.deployment'))?.name ?? '',
    runId: sources.runId,
    publishedAt: new Date(),
    dataAsOf: await dataAsOf(db),
    quarter,
    year,
    quarters,
    totals: new Map(totals.map((t) => [t.period_key, t])),
    targets: await db.all<Target>(
      `SELECT year::INTEGER AS year, measure, comparison, target_value::DOUBLE AS value, description FROM seeds.targets ORDER BY year, measure`,
    ),
    bieu06: quarter ? await bieu06Of(db, quarter.period_key) : [],
    freshness: await freshnessOf(db, sources.config),
    quarantine: Object.entries(sources.quarantine).map(([source, report]) => ({ source, ...report })),
    warnings: await warningsOf(db),
    reconciliation: marts.has('rpt_reconciliation') ? await reconciliationOf(db) : null,
    links: sources.links,
    workbooks: sources.workbooks,
  };
}

function completeQuarters(db: Warehouse): Promise<Period[]> {
  return db.all<Period>(`SELECT * FROM marts.dim_period WHERE period_type = 'quarter' AND is_complete ORDER BY period_start`);
}

async function dataAsOf(db: Warehouse): Promise<Date | null> {
  const staged = await db.one<{ n: number }>(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'staging' AND table_name = 'stg_motcua__dossiers'`);
  if (!staged?.n) return null;
  return (await db.one<{ as_of: Date | null }>('SELECT max(updated_at) AS as_of FROM staging.stg_motcua__dossiers'))?.as_of ?? null;
}

/** The rows of Biểu 06 as the workbook lays them out: the total, each level, its units in the register's order. */
function bieu06Of(db: Warehouse, periodKey: string): Promise<Row[]> {
  return db.all(
    `WITH units AS (SELECT unit_code, rowid AS position FROM marts.dim_unit),
          levels AS (SELECT level, unit_name AS level_label, level_position FROM marts.dim_unit WHERE is_rollup AND level IS NOT NULL)
     SELECT f.*, l.level_label, coalesce(l.level_position, 1e9) AS level_position
     FROM marts.fct_tthc_resolution f LEFT JOIN units u USING (unit_code) LEFT JOIN levels l USING (level)
     WHERE f.period_key = $1
     ORDER BY f.scope <> 'total', level_position, f.scope <> 'level', u.position NULLS LAST, f.unit_name`,
    [periodKey],
  );
}

/** The warn-level data tests that found rows in the latest run that tested. */
function warningsOf(db: Warehouse): Promise<Warning[]> {
  return db.all<Warning>(
    `SELECT test_name, model, failing_rows, description FROM ops.test_results
     WHERE run_id = (SELECT max(run_id) FROM ops.test_results) AND status = 'fail' AND severity = 'warn'
     ORDER BY failing_rows DESC, test_name`,
  );
}

async function reconciliationOf(db: Warehouse): Promise<Reconciliation> {
  return {
    counts: await db.all(`SELECT status, count(*)::INTEGER AS figures FROM marts.rpt_reconciliation GROUP BY status ORDER BY status`),
    differing: await db.all(
      `SELECT figure_id, measure, description, period_key, unit_code, published_value, derived_value, status, reason
       FROM marts.rpt_reconciliation WHERE status <> 'match' ORDER BY status, figure_id, measure`,
    ),
  };
}
