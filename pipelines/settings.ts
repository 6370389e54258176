// Settings of the config that the SQL models read, written as small tables of the `settings`
// schema before each build, so that models join them like any reference data.
import type { Config } from '../config/load.js';
import type { Warehouse } from './db.js';

/** The reporting settings the models read: reporting_setting('period_window') (sql/setup.sql). */
export function reportingVariables(config: Config): Record<string, string> {
  return { period_window: config.reporting.period_window, finished_date: config.reporting.finished_date };
}

export async function writeSettings(db: Warehouse, config: Config): Promise<void> {
  await db.run('CREATE OR REPLACE TABLE settings.reporting (name VARCHAR NOT NULL, value VARCHAR NOT NULL)');
  for (const [name, value] of Object.entries(reportingVariables(config))) {
    await db.run('INSERT INTO settings.reporting VALUES ($1, $2)', [name, value]);
  }
  await db.run('CREATE OR REPLACE TABLE settings.par_criteria (criterion_code VARCHAR NOT NULL, measure VARCHAR NOT NULL)');
  await db.run('CREATE OR REPLACE TABLE settings.par_thresholds (criterion_code VARCHAR, at_least DOUBLE, points DOUBLE)');
  for (const [code, criterion] of Object.entries(config.par_criteria)) {
    await db.run('INSERT INTO settings.par_criteria VALUES ($1, $2)', [code, criterion.measure]);
    for (const t of criterion.thresholds) await db.run('INSERT INTO settings.par_thresholds VALUES ($1, $2, $3)', [code, t.at_least, t.points]);
  }
  await db.run('CREATE OR REPLACE TABLE settings.budget_items (item_key VARCHAR NOT NULL, item_path VARCHAR NOT NULL)');
  for (const [key, path] of Object.entries(config.sources.ngansach?.items ?? {})) {
    await db.run('INSERT INTO settings.budget_items VALUES ($1, $2)', [key, path]);
  }
}
