// The layout of the DuckDB warehouse: its schemas, the ops ledger, the raw tables declared by
// the connectors, and the reference data (seeds) with the parsing macros. Idempotent; every run
// starts here, so a new contract column or a corrected seed takes effect on the next run.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawTableName, type SourceContract } from '../connectors/contract.js';
import { ident, literal, type Warehouse } from './db.js';
import { ModelError } from './errors.js';
import { defineKeyedHash } from './privacy.js';

export const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));
export const LAYERS = ['staging', 'intermediate', 'marts'] as const;

const OPS_DDL = `
CREATE SEQUENCE IF NOT EXISTS ops.load_ids START 1;
CREATE TABLE IF NOT EXISTS ops.runs (
  run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP, outcome VARCHAR,
  release_dir VARCHAR, summary JSON, trigger VARCHAR);
ALTER TABLE ops.runs ADD COLUMN IF NOT EXISTS trigger VARCHAR;
CREATE TABLE IF NOT EXISTS ops.landed_files (
  source VARCHAR, sha256 VARCHAR, table_name VARCHAR, original_name VARCHAR,
  landed_path VARCHAR, bytes BIGINT, landed_at TIMESTAMP, run_id VARCHAR, source_mtime_ms BIGINT,
  PRIMARY KEY (source, sha256));
CREATE TABLE IF NOT EXISTS ops.loads (
  load_id BIGINT PRIMARY KEY, run_id VARCHAR, source VARCHAR, table_name VARCHAR, sha256 VARCHAR,
  file_name VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT,
  started_at TIMESTAMP, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.cursors (
  source VARCHAR, resource VARCHAR, cursor_value VARCHAR, advanced_at TIMESTAMP, run_id VARCHAR,
  PRIMARY KEY (source, resource));
CREATE TABLE IF NOT EXISTS ops.load_failures (
  source VARCHAR, sha256 VARCHAR, file_name VARCHAR, error VARCHAR, action VARCHAR, run_id VARCHAR,
  failed_at TIMESTAMP, PRIMARY KEY (source, sha256));
CREATE TABLE IF NOT EXISTS ops.test_results (
  run_id VARCHAR, test_name VARCHAR, model VARCHAR, severity VARCHAR, status VARCHAR,
  failing_rows BIGINT, sample JSON, description VARCHAR, tested_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.model_state (
  model VARCHAR, fingerprint VARCHAR, max_load_id BIGINT, built_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.build_journal (
  position BIGINT, schema_name VARCHAR, object_name VARCHAR, kind VARCHAR, previous_kind VARCHAR,
  model VARCHAR, previous_fingerprint VARCHAR, previous_max_load_id BIGINT, previous_built_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.personal_data_erased (load_id BIGINT PRIMARY KEY, erased_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.landed_files_erased (source VARCHAR, sha256 VARCHAR, erased_at TIMESTAMP, PRIMARY KEY (source, sha256));
CREATE SEQUENCE IF NOT EXISTS ops.change_ids START 1;
CREATE TABLE IF NOT EXISTS ops.model_changes (model VARCHAR, change_id BIGINT, key VARCHAR);
CREATE TABLE IF NOT EXISTS ops.snapshot_state (
  release VARCHAR, model VARCHAR, fingerprint VARCHAR, change_id BIGINT, rows BIGINT);
CREATE TABLE IF NOT EXISTS ops.quarantine (
  load_id BIGINT, source VARCHAR, table_name VARCHAR, file_name VARCHAR, row_number BIGINT,
  reason VARCHAR, record VARCHAR);
`;

/** `hashKey`: the key of keyed_hash() for this session (privacy.ts); without one, staging keeps no hash. */
export async function prepareWarehouse(db: Warehouse, sources: readonly SourceContract[], sqlDir = SQL_DIR, hashKey?: string): Promise<void> {
  for (const schema of ['raw', ...LAYERS, 'ops', 'seeds', 'settings']) await db.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await db.run('CREATE TABLE IF NOT EXISTS settings.reporting (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
  await db.runScript(OPS_DDL);
  for (const source of sources) {
    for (const table of Object.values(source.tables)) {
      const name = `raw.${ident(rawTableName(source.name, table))}`;
      await db.run(`CREATE TABLE IF NOT EXISTS ${name} (_load_id BIGINT, _file VARCHAR, _row BIGINT)`);
      for (const column of table.columns) {
        await db.run(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${ident(column.name)} VARCHAR`);
      }
    }
  }
  await defineKeyedHash(db, hashKey);
  await loadSeeds(db, sqlDir);
}

/** Reloads every sql/seeds/*.csv into seeds.<name>, as text, then the macros that read them. */
async function loadSeeds(db: Warehouse, sqlDir: string): Promise<void> {
  const dir = join(sqlDir, 'seeds');
  await db.transaction(async () => {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort()) {
      await db.run(
        `CREATE OR REPLACE TABLE seeds.${ident(basename(file, '.csv'))} AS
         SELECT * FROM read_csv(${literal(join(dir, file))}, header = true, delim = ',', quote = '"', all_varchar = true)`,
      );
    }
    await db.runScript(readFileSync(join(sqlDir, 'setup.sql'), 'utf8'));
  });
  const clashes = await db.all<{ list: string; alias_key: string; codes: string }>(
    `SELECT list, alias_key, string_agg(DISTINCT code, ', ') AS codes FROM seeds.code_aliases
     GROUP BY list, alias_key HAVING count(DISTINCT code) > 1`,
  );
  if (clashes.length > 0) {
    const list = clashes.map((c) => `"${c.alias_key}" in ${c.list} names ${c.codes}`).join('; ');
    throw new ModelError(`sql/seeds: one spelling names two codes: ${list}`, {
      action: 'remove the ambiguous alias from sql/seeds/code_lists.csv or units.csv',
    });
  }
}
