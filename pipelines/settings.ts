// Settings of the config that the SQL models read, written as small tables of the `settings`
// schema before each build, so that models join them like any reference data.
import type { Config } from '../config/load.js';
import type { Warehouse } from './db.js';

/** The reporting settings, as DuckDB variables for the models: getvariable('period_window'). */
export function reportingVariables(config: Config): Record<string, string> {
  return { period_window: config.reporting.period_window, finished_date: config.reporting.finished_date };
}

export async function writeSettings(db: Warehouse, config: Config): Promise<void> {
  await db.run('CREATE SCHEMA IF NOT EXISTS settings');
  await db.run('CREATE OR REPLACE TABLE settings.reporting (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
  for (const [name, value] of Object.entries(reportingVariables(config))) {
    await db.run('INSERT INTO settings.reporting VALUES ($1, $2)', [name, value]);
  }
  await db.run('CREATE OR REPLACE TABLE settings.budget_items (item_key VARCHAR PRIMARY KEY, item_path VARCHAR NOT NULL)');
  for (const [key, path] of Object.entries(config.sources.ngansach?.items ?? {})) {
    await db.run('INSERT INTO settings.budget_items VALUES ($1, $2)', [key, path]);
  }
}
