// Settings of the config that the SQL models read, written as small tables of the `settings`
// schema before each build, so that models join them like any reference data.
import type { Config } from '../../config/load.js';
import { ident, type Warehouse } from '../../core/warehouse.js';
import { swapIn } from './swap.js';

/** The reporting settings the models read: reporting_setting('period_window') (sql/setup.sql). */
export function reportingVariables(config: Config): Record<string, string> {
  const { period_window, finished_date, reconcile_published_figures } = config.reporting;
  return { period_window, finished_date, reconcile_published_figures: String(reconcile_published_figures) };
}

/**
 * Written like models (swap.ts): a build that is undone takes its settings back too. A table that
 * holds its rows already is left as it is: the config seldom changes, and a swap costs a night
 * two commits.
 */
export async function writeSettings(db: Warehouse, config: Config): Promise<void> {
  const table = async (name: string, columns: string, rows: readonly (string | number)[][]) => {
    if (await holds(db, `settings.${ident(name)}`, columns, rows)) return;
    await swapIn(db, { schema: 'settings', name, kind: 'TABLE' }, async (target) => {
      await db.run(`CREATE TABLE ${target} (${columns})`);
      await db.insertRows(target, rows);
    });
  };
  await table('reporting', 'name VARCHAR NOT NULL, value VARCHAR NOT NULL', Object.entries(reportingVariables(config)));
  const criteria = Object.entries(config.par_criteria);
  await table('par_criteria', 'criterion_code VARCHAR NOT NULL, measure VARCHAR NOT NULL', criteria.map(([code, c]) => [code, c.measure]));
  await table('par_thresholds', 'criterion_code VARCHAR, at_least DOUBLE, points DOUBLE', criteria.flatMap(([code, c]) => c.thresholds.map((t) => [code, t.at_least, t.points])));
  await table('budget_items', 'item_key VARCHAR NOT NULL, item_path VARCHAR NOT NULL', Object.entries(config.sources.ngansach?.items ?? {}));
}

/** Whether `table` exists with these columns (as declared to CREATE TABLE) and these rows, in this order. */
async function holds(db: Warehouse, table: string, columns: string, rows: readonly (string | number)[][]): Promise<boolean> {
  const described = await db.all<{ column_name: string; column_type: string; null: string }>(`DESCRIBE ${table}`).catch(() => undefined);
  const declared = described?.map((c) => `${c.column_name} ${c.column_type}${c.null === 'NO' ? ' NOT NULL' : ''}`).join(', ');
  if (declared !== columns) return false;
  const current = await db.all(`SELECT * FROM ${table}`);
  return JSON.stringify(current.map((row) => Object.values(row))) === JSON.stringify(rows);
}
