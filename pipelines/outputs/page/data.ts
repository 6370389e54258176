// What the release page shows, read from the warehouse while the release is published: the
// marts it publishes (the same rows as its Parquet files), the targets of the deployment, and
// the run's own account of the sources (freshness, quarantine, data tests, reconciliation).
import type { Config } from '../../../config/load.js';
import type { Row, Warehouse } from '../../../core/warehouse.js';
import { freshnessOf, type Freshness } from '../../ops/ledger.js';
import type { QuarantineReport } from '../../stages/quarantine-report.js';
import { totalsOf, type Totals } from '../headline.js';
import { unitRows, type OpenRelease, type Period } from '../report/release.js';

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

export type Target = { year: number; measure: string; comparison: string; value: number; description: string | null };
export type Warning = { test_name: string; model: string | null; failing_rows: number; description: string | null };
export type Reconciliation = { counts: { status: string; figures: number }[]; differing: Row[] };
/** A workbook of the release; carried over from the last release when its fingerprint is that one's (report/workbook.ts). */
export type Workbook = { period_key: string; label: string; file: string; fingerprint: string; sha256: string; carried: boolean };
export type Link = { label: string; file: string; detail: string };

export type PageData = {
  deployment: string;
  runId: string;
  publishedAt: Date;
  /** Marts the report needs that are not built yet (a source never loaded): no figures then. */
  missing: string[];
  /** The latest change of a dossier the warehouse holds. */
  dataAsOf: Date | null;
  /** The latest complete quarter, and the year it belongs to (so far, if it has not ended). */
  quarter: Period | null;
  year: Period | null;
  /** The complete quarters, oldest first: the trend of each indicator. */
  quarters: Period[];
  totals: Map<string, Totals>;
  targets: Target[];
  /** Biểu 06 of the latest complete quarter as the workbook lists it, with each row's `level_label` and `level_position`. */
  bieu06: Row[];
  freshness: Freshness[];
  quarantine: (QuarantineReport & { source: string })[];
  warnings: Warning[];
  reconciliation: Reconciliation | null;
  links: Link[];
  workbooks: Workbook[];
};

export type PageSources = {
  /** The warehouse being published: the targets, the data tests, the reconciliation, the freshness. */
  db: Warehouse;
  config: Config;
  runId: string;
  manifest: { published_at: string; data_as_of: string | null };
  /** The release's marts, opened once; absent when some are missing. */
  release: OpenRelease | undefined;
  missing: string[];
  quarantine: Record<string, QuarantineReport>;
  links: Link[];
  workbooks: Workbook[];
};

export async function readPage(sources: PageSources): Promise<PageData> {
  const { db, release } = sources;
  const quarters = release ? await completeQuarters(release) : [];
  const quarter = quarters.at(-1) ?? null;
  const year = release && quarter
    ? ((await release.db.all<Period>(`SELECT * FROM ${release.mart('dim_period')} WHERE period_type = 'year' AND year = $1`, [quarter.year]))[0] ?? null)
    : null;
  const keys = [...quarters, ...(year ? [year] : [])].map((p) => p.period_key);
  const totals = release ? await totalsOf(release.db, release.mart, keys) : [];
  const reconciliation = await reconciliationOf(db);
  return {
    deployment: (await db.one<{ name: string }>('SELECT name FROM seeds.deployment'))?.name ?? '',
    runId: sources.runId,
    publishedAt: new Date(sources.manifest.published_at),
    missing: sources.missing,
    dataAsOf: sources.manifest.data_as_of ? new Date(sources.manifest.data_as_of) : null,
    quarter,
    year,
    quarters,
    totals: new Map(totals.map((t) => [t.period_key, t])),
    targets: await db.all<Target>(
      `SELECT year::INTEGER AS year, measure, comparison, target_value::DOUBLE AS value, description FROM seeds.targets ORDER BY year, measure`,
    ),
    bieu06: release && quarter ? await bieu06Of(release, quarter) : [],
    freshness: await freshnessOf(db, sources.config),
    quarantine: Object.entries(sources.quarantine).map(([source, report]) => ({ source, ...report })),
    warnings: await warningsOf(db),
    reconciliation: reconciliation.counts.length > 0 ? reconciliation : null,
    links: sources.links,
    workbooks: sources.workbooks,
  };
}

function completeQuarters(release: OpenRelease): Promise<Period[]> {
  return release.db.all<Period>(`SELECT * FROM ${release.mart('dim_period')} WHERE period_type = 'quarter' AND is_complete ORDER BY period_start`);
}

/** The rows of Biểu 06 as the workbook reads them (a unit of part of the quarter named with its dates), with the label of each level. */
async function bieu06Of(release: OpenRelease, quarter: Period): Promise<Row[]> {
  const levels = await release.db.all<{ level: string; label: string }>(
    `SELECT level, unit_name AS label FROM ${release.mart('dim_unit')} WHERE is_rollup AND level IS NOT NULL ORDER BY level_position`,
  );
  const rows = await unitRows(release, 'fct_tthc_resolution', quarter);
  const position = (row: Row) => {
    const at = levels.findIndex((l) => l.level === row.level);
    return at === -1 ? levels.length : at;
  };
  const order = (row: Row) => (row.scope === 'total' ? 0 : row.scope === 'level' ? 1 : 2);
  // As the form: the total, each level's sum, then the units, by level in the register's order (a stable sort keeps theirs).
  return rows
    .map((row) => ({ ...row, level_label: levels[position(row)]?.label ?? null, level_position: position(row) }))
    .sort((a, b) => order(a) - order(b) || a.level_position - b.level_position);
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
  const built = await db.one<{ n: number }>(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'marts' AND table_name = 'rpt_reconciliation'`);
  if (!built?.n) return { counts: [], differing: [] };
  return {
    counts: await db.all(`SELECT status, count(*)::INTEGER AS figures FROM marts.rpt_reconciliation GROUP BY status ORDER BY status`),
    differing: await db.all(
      `SELECT figure_id, measure, description, period_key, unit_code, published_value, derived_value, status, reason
       FROM marts.rpt_reconciliation WHERE status <> 'match' ORDER BY status, figure_id, measure`,
    ),
  };
}
