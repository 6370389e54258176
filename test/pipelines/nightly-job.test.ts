// The whole job over the sample exports, as `npm start` runs it, judged by what it publishes.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { SQL_DIR, type Config } from '../../config/load.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { literal } from '../../core/warehouse.js';
import { headlineTable } from '../../pipelines/outputs/headline.js';
import { runJob, type RunSummary } from '../../pipelines/run.js';
import { sampleLayout } from '../../sample/index.js';
import { capturedLog, query, queryFile, sampleConfig, tempDir } from '../helpers.js';

type Figure = {
  figure_id: string; measure: string; period_key: string; unit_code: string; item_key: string; mart: string;
  published_value: string; precision: string; rounding: string; status: string;
};

const FIGURES = (parse(readFileSync(join(SQL_DIR, 'seeds', 'published_figures.csv')), { columns: true }) as Figure[]).filter(
  (f) => f.status === 'reproduce',
);
const DIMENSION_TYPES: Record<string, string> = {
  period_type: 'VARCHAR', period_key: 'VARCHAR', period_start: 'DATE', period_end: 'DATE',
  scope: 'VARCHAR', level: 'VARCHAR', unit_code: 'VARCHAR', unit_name: 'VARCHAR',
};
const MARTS = [
  'dim_period', 'dim_procedure', 'dim_unit', 'dim_unit_crosswalk', 'fct_budget_execution', 'fct_digitization', 'fct_feedback_satisfaction',
  'fct_online_payment', 'fct_online_service', 'fct_par_criteria', 'fct_par_index', 'fct_tthc_resolution', 'fct_tthc_resolution_restated',
  'rpt_quarterly_indicators', 'rpt_reconciliation',
];
const DOSSIER_MARTS = ['fct_digitization', 'fct_feedback_satisfaction', 'fct_online_payment', 'fct_online_service', 'fct_tthc_resolution'];

describe('the nightly job over the sample exports', () => {
  let config: Config;
  let first: RunSummary;
  let second: RunSummary;
  let firstFigures: unknown[];
  const mart = (name: string, release = first.stages.publish!.releaseDir) =>
    `read_parquet(${literal(join(release, 'marts', `${name}.parquet`))})`;

  beforeAll(async () => {
    const dir = tempDir();
    const layout = sampleLayout(inject('sampleDir'));
    config = sampleConfig(join(dir, 'data'), { motcua: layout.motcuaInbox, dvc: layout.dvcInbox, ngansach: layout.ngansachInbox });
    first = await runJob(config, capturedLog().log);
    firstFigures = await query(`SELECT * FROM ${mart('fct_tthc_resolution')} ORDER BY period_key, unit_code`);
    second = await runJob(config, capturedLog().log);
  });

  it('succeeds and publishes one Parquet file per mart, the snapshot and the manifest', () => {
    expect(first.outcome).toBe('success');
    const release = first.stages.publish!.releaseDir;
    for (const name of MARTS) expect(existsSync(join(release, 'marts', `${name}.parquet`))).toBe(true);
    expect(existsSync(join(release, 'cchc.duckdb'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8'));
    expect(manifest.run_id).toBe(first.runId);
    expect(manifest.marts.map((m: { name: string }) => m.name)).toEqual(MARTS);
  });

  it('prints the headline table that the README shows', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const shown = /```\n(Đồng Hới {10}[\s\S]*?)\n```/.exec(readme)![1];
    expect(await headlineTable(first.stages.publish!.releaseDir)).toBe(shown);
  });

  it('points current at the newest release', () => {
    const current = join(config.paths.publishDir, 'current');
    expect(readlinkSync(current)).toBe(join('releases', second.runId));
  });

  /** The figure read straight from the mart's Parquet file, apart from rpt_reconciliation. */
  async function derived(figure: Figure): Promise<number> {
    if (figure.mart === 'dim_procedure') {
      const level = { DH: null, 'DH/city': 'city', 'DH/commune': 'commune' }[figure.unit_code];
      const [row] = await query<{ n: number }>(
        `SELECT count(*) AS n FROM ${mart('dim_procedure')} WHERE is_in_force ${level ? `AND level = ${literal(level)}` : ''}`,
      );
      return row!.n;
    }
    const conditions = [
      `period_key = ${literal(figure.period_key)}`,
      `unit_code = ${literal(figure.unit_code)}`,
      figure.item_key && `item_key = ${literal(figure.item_key)}`,
    ].filter(Boolean);
    const rows = await query<{ value: number }>(`SELECT ${figure.measure} AS value FROM ${mart(figure.mart)} WHERE ${conditions.join(' AND ')}`);
    expect(rows).toHaveLength(1);
    return rows[0]!.value;
  }

  it.each(FIGURES.map((f) => [f.figure_id, f.item_key || f.measure, f]))(
    'reproduces %s (%s) of the reference report, to the precision it is printed with',
    async (_id, _what, figure) => {
      const value = await derived(figure);
      const [published, precision] = [Number(figure.published_value), Number(figure.precision)];
      if (precision === 1) expect(value).toBe(published);
      // Printed figures are rounded, and one is cut (S1: 11,341 / 14,446 = 78.506 %, printed 78.50 %).
      else if (figure.rounding === 'down') expect(value >= published && value < published + precision).toBe(true);
      else expect(Math.abs(value - published)).toBeLessThanOrEqual(precision / 2);
    },
  );

  const RATES_OF_PUBLISHED_COUNTS = FIGURES.filter(
    (f) => f.measure.endsWith('_rate') && FIGURES.filter((g) => g.figure_id === f.figure_id && g !== f).length === 2,
  );
  it.each(RATES_OF_PUBLISHED_COUNTS.map((f) => [f.figure_id, f.measure, f]))(
    'gives %s (%s) to four decimals of the ratio of its published counts',
    async (_id, _measure, figure) => {
      const [a, b] = FIGURES.filter((f) => f.figure_id === figure.figure_id && f !== figure).map((f) => Number(f.published_value));
      expect((await derived(figure)).toFixed(4)).toBe((Math.min(a!, b!) / Math.max(a!, b!)).toFixed(4));
    },
  );

  it('reconciles every figure of the report: those that can hold match, S4 and S5 contradict the report itself', async () => {
    const rows = await query<{ figure_id: string; status: string; reason: string | null }>(
      `SELECT figure_id, status, reason FROM ${mart('rpt_reconciliation')} ORDER BY figure_id`,
    );
    expect(rows.filter((r) => r.status !== 'inconsistent_in_source').every((r) => r.status === 'match')).toBe(true);
    expect(rows.filter((r) => r.status === 'match')).toHaveLength(FIGURES.length);
    const inconsistent = rows.filter((r) => r.status === 'inconsistent_in_source');
    expect([...new Set(inconsistent.map((r) => r.figure_id))]).toEqual(['S4', 'S5']);
    expect(inconsistent.every((r) => (r.reason ?? '').length > 20)).toBe(true);
    expect(first.stages.transform!.reconciliation).toEqual({ match: FIGURES.length, mismatch: 0, inconsistent_in_source: 6 });
  });

  it('publishes dossier counts as BIGINT and rates as DOUBLE fractions', async () => {
    const release = first.stages.publish!.releaseDir;
    for (const name of DOSSIER_MARTS) {
      // The types as a reader of the Parquet file gets them.
      const columns = await query<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet('${join(release, 'marts', `${name}.parquet`)}')`);
      expect(columns.length).toBeGreaterThan(3);
      for (const column of columns) {
        const expected = DIMENSION_TYPES[column.column_name] ?? (column.column_name.endsWith('_rate') ? 'DOUBLE' : 'BIGINT');
        expect(`${name}.${column.column_name} ${column.column_type}`).toBe(`${name}.${column.column_name} ${expected}`);
      }
    }
  });

  it('keeps the Biểu 06 identities on every row', async () => {
    const rows = await query<Record<string, number>>(`SELECT * FROM ${mart('fct_tthc_resolution')}`);
    expect(rows.length).toBeGreaterThan(800);
    for (const r of rows) {
      expect(r.received_total).toBe(r.received_online! + r.received_direct! + r.carried_over!);
      expect(r.resolved_total).toBe(r.resolved_early! + r.resolved_on_time! + r.resolved_late!);
      expect(r.in_progress_total).toBe(r.in_progress_within! + r.in_progress_overdue!);
      expect(r.received_total).toBe(r.resolved_total! + r.in_progress_total! + r.stopped_total!);
    }
  });

  it('carries over into each period what was in progress at the end of the one before', async () => {
    const pairs = await query<{ carried_over: number; in_progress_before: number }>(
      `SELECT f.carried_over, prev.in_progress_total AS in_progress_before
       FROM ${mart('fct_tthc_resolution')} f
       JOIN ${mart('dim_period')} p USING (period_key)
       JOIN ${mart('fct_tthc_resolution')} prev ON prev.period_key = p.previous_period_key AND prev.unit_code = f.unit_code`,
    );
    expect(pairs.length).toBeGreaterThan(700);
    for (const pair of pairs) expect(pair.carried_over).toBe(pair.in_progress_before);
  });

  it('scores criterion 7.2.4 of the PAR index for 2023 at 0 of 1 point, as published', async () => {
    const [criterion] = await query(
      `SELECT max_points, published_points, round(measured_value, 4) AS measured, computed_points, matches_published
       FROM ${mart('fct_par_criteria')} WHERE period_key = '2023' AND criterion_code = '7.2.4'`,
    );
    expect(criterion).toEqual({ max_points: 1, published_points: 0, measured: 0.4399, computed_points: 0, matches_published: true });
    // 2026 is not over in the data: it is not scored yet.
    expect(await query(`SELECT * FROM ${mart('fct_par_criteria')} WHERE period_key = '2026'`)).toEqual([]);
  });

  it('derives the budget of each quarter from the cumulative figures, and leaves "-" empty', async () => {
    const rows = await query<{ period_key: string; item_path: string; cumulative: number | null; flow: number | null }>(
      `SELECT period_key, item_path, actual_cumulative_mvnd AS cumulative, actual_period_mvnd AS flow
       FROM ${mart('fct_budget_execution')} WHERE item_path IN ('A', 'B.III') AND period_key LIKE '2023%' ORDER BY item_path, period_key`,
    );
    const revenue = rows.filter((r) => r.item_path === 'A');
    const byKey = new Map(revenue.map((r) => [r.period_key, r]));
    expect(byKey.get('2023-Q1')!.flow).toBe(byKey.get('2023-Q1')!.cumulative);
    for (const q of [2, 3, 4]) {
      expect(byKey.get(`2023-Q${q}`)!.flow).toBeCloseTo(byKey.get(`2023-Q${q}`)!.cumulative! - byKey.get(`2023-Q${q - 1}`)!.cumulative!, 6);
    }
    expect(byKey.get('2023')!.cumulative).toBe(byKey.get('2023-Q4')!.cumulative);
    // The report of the second quarter was printed in đồng: converted, it falls between the others.
    expect(byKey.get('2023-Q2')!.cumulative).toBeGreaterThan(byKey.get('2023-Q1')!.cumulative!);
    expect(byKey.get('2023-Q2')!.cumulative).toBeLessThan(byKey.get('2023-Q3')!.cumulative!);
    // The reserve was not drawn in the first two quarters: printed "-", which is no figure. Its
    // third quarter is then the figure printed for the quarter, not a difference with nothing.
    const reserve = new Map(rows.filter((r) => r.item_path === 'B.III').map((r) => [r.period_key, r]));
    expect([...reserve.keys()]).toEqual(['2023', '2023-Q1', '2023-Q2', '2023-Q3', '2023-Q4']);
    expect(reserve.get('2023-Q1')).toMatchObject({ cumulative: null, flow: null });
    expect(reserve.get('2023-Q2')).toMatchObject({ cumulative: null, flow: null });
    expect(reserve.get('2023-Q3')!.flow).toBe(reserve.get('2023-Q3')!.cumulative);
    expect(reserve.get('2023-Q4')!.flow).toBe(3050 - reserve.get('2023-Q3')!.cumulative!);
  });

  it('rolls units up to their level and levels up to the whole city', async () => {
    const sums = await query<{ period_key: string; scope: string; n: number }>(
      `SELECT period_key, scope, sum(received_total) AS n FROM ${mart('fct_tthc_resolution')} GROUP BY ALL`,
    );
    for (const period of new Set(sums.map((s) => s.period_key))) {
      const rows = sums.filter((s) => s.period_key === period);
      const n = (scope: string) => rows.find((r) => r.scope === scope)!.n;
      expect(n('unit')).toBe(n('total'));
      expect(n('level')).toBe(n('total'));
    }
  });

  it('has the procedure catalogue of the report: 515 in force, 87 city-level and 31 commune-level online', async () => {
    const [counts] = await query<Record<string, number>>(
      `SELECT count(*) FILTER (WHERE is_in_force) AS in_force,
              count(*) FILTER (WHERE is_in_force AND level = 'city') AS city,
              count(*) FILTER (WHERE is_in_force AND level = 'commune') AS commune,
              count(*) FILTER (WHERE is_in_force AND is_online_service AND level = 'city') AS city_online,
              count(*) FILTER (WHERE is_in_force AND is_online_service AND level = 'commune') AS commune_online,
              count(DISTINCT field_code) FILTER (WHERE is_in_force AND is_online_service AND level = 'city') AS city_online_fields
       FROM ${mart('dim_procedure')}`,
    );
    expect(counts).toEqual({ in_force: 515, city: 335, commune: 180, city_online: 87, commune_online: 31, city_online_fields: 14 });
  });

  it('reads every row the sample wrote, and loads each into raw or quarantines it', async () => {
    const sample = inject('sample');
    const dossierLoads = first.stages.load!.loads.filter((l) => l.file.startsWith('ho-so-'));
    expect(dossierLoads).toHaveLength(sample.exportFiles - 1);
    expect(dossierLoads.reduce((sum, l) => sum + l.rowsRead, 0)).toBe(sample.exportRows);
    const [counts] = await queryFile<{ raw: number; quarantined: number }>(
      config.paths.warehouse,
      `SELECT (SELECT count(*) FROM raw.motcua__dossiers) AS raw,
              (SELECT count(*) FROM ops.quarantine WHERE table_name = 'dossiers') AS quarantined`,
    );
    expect(counts!.raw + counts!.quarantined).toBe(sample.exportRows);
  });

  it('loads nothing twice and leaves the same figures when it runs again', async () => {
    expect(second.outcome).toBe('success');
    expect(second.stages.extract).toMatchObject({ landed: 0, skipped: first.stages.extract!.landed });
    expect(second.stages.load!.loads).toEqual([]);
    const again = await query(`SELECT * FROM ${mart('fct_tthc_resolution', second.stages.publish!.releaseDir)} ORDER BY period_key, unit_code`);
    expect(again).toEqual(firstFigures);
  });

  it('describes every table and column of staging, intermediate and marts in the snapshot, for Metabase', async () => {
    const snapshot = join(second.stages.publish!.releaseDir, 'cchc.duckdb');
    const undescribed = await queryFile(
      snapshot,
      `SELECT schema_name || '.' || table_name || coalesce('.' || column_name, '') AS name FROM (
         SELECT schema_name, table_name, NULL AS column_name, comment FROM duckdb_tables()
         UNION ALL SELECT schema_name, table_name, column_name, comment FROM duckdb_columns())
       WHERE schema_name IN ('staging', 'intermediate', 'marts') AND comment IS NULL`,
    );
    expect(undescribed).toEqual([]);
  });

  it('publishes no column of personal data, in the Parquet files or the snapshot', async () => {
    const personal = CONNECTORS.flatMap((c) => Object.values(c.tables).flatMap((t) => t.columns.filter((col) => col.personal).map((col) => col.name)));
    expect(personal.length).toBeGreaterThan(0);
    const release = second.stages.publish!.releaseDir;
    const snapshotColumns = await queryFile<{ column_name: string }>(
      join(release, 'cchc.duckdb'),
      'SELECT DISTINCT column_name FROM information_schema.columns WHERE table_catalog = current_database()',
    );
    const parquetColumns = await query<{ name: string }>(
      `SELECT DISTINCT name FROM parquet_schema(${literal(join(release, 'marts', '*.parquet'))})`,
    );
    const published = [...snapshotColumns.map((c) => c.column_name), ...parquetColumns.map((c) => c.name)];
    expect(published).toContain('dossier_id');
    expect(published.filter((name) => personal.includes(name))).toEqual([]);
  });
});
