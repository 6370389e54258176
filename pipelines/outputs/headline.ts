// The short table a person reads after a run: the headline indicators of the latest complete
// year and quarter, and of the periods of the reference report where the deployment reconciles
// with one, read back from the published Parquet files (what dashboards will see).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { literal, Warehouse } from '../../core/warehouse.js';

type Line = { label: string; field: keyof Totals; kind: 'count' | 'rate' };

const LINES: Line[] = [
  { label: 'received online', field: 'received_online', kind: 'count' },
  { label: 'received directly or by post', field: 'received_direct', kind: 'count' },
  { label: 'carried over', field: 'carried_over', kind: 'count' },
  { label: 'to process', field: 'received_total', kind: 'count' },
  { label: 'resolved', field: 'resolved_total', kind: 'count' },
  { label: '  early or on time', field: 'resolved_early_or_on_time', kind: 'count' },
  { label: 'in progress, within deadline', field: 'in_progress_within', kind: 'count' },
  { label: 'in progress, overdue', field: 'in_progress_overdue', kind: 'count' },
  { label: 'stopped (withdrawn, refused)', field: 'stopped_total', kind: 'count' },
  { label: 'on-time rate', field: 'on_time_rate', kind: 'rate' },
  { label: 'dossiers digitized', field: 'dossier_digitization_rate', kind: 'rate' },
  { label: 'results digitized', field: 'result_digitization_rate', kind: 'rate' },
  { label: 'online, of online procedures', field: 'online_rate', kind: 'rate' },
  { label: 'paid online, of those with fees', field: 'online_payment_rate', kind: 'rate' },
  { label: 'satisfied, of survey forms', field: 'satisfaction_rate', kind: 'rate' },
  { label: 'budget revenue, of the estimate', field: 'revenue_execution_rate', kind: 'rate' },
];

export const HEADLINE_MARTS = [
  'dim_period',
  'dim_unit',
  'fct_tthc_resolution',
  'fct_digitization',
  'fct_online_service',
  'fct_online_payment',
  'fct_feedback_satisfaction',
  'fct_budget_execution',
] as const;
export type HeadlineMart = (typeof HEADLINE_MARTS)[number];

/** The deployment's headline figures of one period, as the run's table and the release page show them. */
export type Totals = {
  period_key: string;
  received_online: number; received_direct: number; carried_over: number; received_total: number;
  resolved_total: number; resolved_early_or_on_time: number; in_progress_within: number; in_progress_overdue: number;
  stopped_total: number; on_time_rate: number | null; dossier_digitization_rate: number | null;
  result_digitization_rate: number | null; online_rate: number | null; online_payment_rate: number | null;
  satisfaction_rate: number | null; revenue_execution_rate: number | null;
};

/** The deployment's totals of the periods `periodKeys`, from the marts `mart` names (Parquet files or tables). */
export function totalsOf(db: Warehouse, mart: (name: HeadlineMart) => string, periodKeys: readonly string[]): Promise<Totals[]> {
  if (periodKeys.length === 0) return Promise.resolve([]);
  return db.all<Totals>(
    `SELECT r.period_key, r.received_online, r.received_direct, r.carried_over, r.received_total, r.resolved_total,
       r.resolved_early_or_on_time, r.in_progress_within, r.in_progress_overdue,
       r.stopped_total, r.on_time_rate, d.dossier_digitization_rate, d.result_digitization_rate, o.online_rate,
       p.online_payment_rate, f.satisfaction_rate, b.execution_rate AS revenue_execution_rate
     FROM ${mart('fct_tthc_resolution')} r
     JOIN ${mart('fct_digitization')} d USING (period_key, unit_code)
     JOIN ${mart('fct_online_service')} o USING (period_key, unit_code)
     JOIN ${mart('fct_online_payment')} p USING (period_key, unit_code)
     JOIN ${mart('fct_feedback_satisfaction')} f USING (period_key, unit_code)
     LEFT JOIN (SELECT * FROM ${mart('fct_budget_execution')} WHERE item_key = 'revenue_total') b USING (period_key, unit_code)
     WHERE r.scope = 'total' AND r.period_key IN (${periodKeys.map(literal).join(', ')})`,
  );
}

export async function headlineTable(releaseDir: string): Promise<string> {
  const missing = HEADLINE_MARTS.filter((name) => !existsSync(join(releaseDir, 'marts', `${name}.parquet`)));
  // A source that failed before it ever loaded leaves its marts unbuilt.
  if (missing.length > 0) return `No headline table: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not published yet.`;
  const db = await Warehouse.open(':memory:');
  try {
    const mart = (name: HeadlineMart) => `read_parquet(${literal(join(releaseDir, 'marts', `${name}.parquet`))})`;
    const reconciliation = join(releaseDir, 'marts', 'rpt_reconciliation.parquet');
    const reference = existsSync(reconciliation)
      ? `OR period_key IN (SELECT period_key FROM read_parquet(${literal(reconciliation)}))`
      : '';
    const periods = await db.all<{ period_key: string }>(
      `SELECT period_key FROM (
         SELECT period_key, period_type, period_start, row_number() OVER (PARTITION BY period_type ORDER BY period_start DESC) AS latest
         FROM ${mart('dim_period')} WHERE is_complete AND period_type IN ('year', 'quarter'))
       WHERE latest = 1 ${reference}
       ORDER BY period_start, period_type DESC`,
    );
    if (periods.length === 0) return 'No complete year or quarter in the data yet.';
    const keys = periods.map((p) => p.period_key);
    const rows = await totalsOf(db, mart, keys);
    const byPeriod = new Map(rows.map((r) => [r.period_key as string, r]));
    const width = Math.max(...LINES.map((l) => l.label.length)) + 2;
    const [deployment] = await db.all<{ unit_name: string }>(`SELECT unit_name FROM ${mart('dim_unit')} WHERE unit_type = 'total'`);
    const title = `${deployment?.unit_name ?? 'Total'}`.padEnd(width) + keys.map((k) => k.padStart(10)).join('');
    const body = LINES.map((line) => {
      const cells = keys.map((k) => format(byPeriod.get(k)?.[line.field], line.kind).padStart(10));
      return `  ${line.label.padEnd(width - 2)}${cells.join('')}`;
    });
    return [title, ...body].join('\n');
  } finally {
    db.close();
  }
}

function format(value: unknown, kind: Line['kind']): string {
  if (value === null || value === undefined) return '–';
  const n = Number(value);
  return kind === 'rate' ? `${(n * 100).toFixed(2)} %` : n.toLocaleString('en-US');
}
