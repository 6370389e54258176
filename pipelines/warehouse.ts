// The layout of the DuckDB warehouse: its schemas, the ops ledger, the raw tables declared by
// the connectors, and the reference data (seeds) with the parsing macros. Idempotent; every run
// starts here, so a new contract column or a corrected seed takes effect on the next run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load.js';
import { rawTableName, type SourceContract } from '../connectors/contract.js';
import { ident, literal, type Warehouse } from './db.js';
import { ConfigError, ModelError } from './errors.js';
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
ALTER TABLE ops.quarantine ADD COLUMN IF NOT EXISTS problems JSON;
ALTER TABLE ops.loads ADD COLUMN IF NOT EXISTS headers JSON;
CREATE TABLE IF NOT EXISTS ops.quarantine_releases (
  run_id VARCHAR, load_id BIGINT, source VARCHAR, table_name VARCHAR, file_name VARCHAR, rows BIGINT, released_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.quarantine_checks (source VARCHAR PRIMARY KEY, fingerprint VARCHAR, run_id VARCHAR, checked_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.quarantine_accepted (source VARCHAR PRIMARY KEY, through_load_id BIGINT, run_id VARCHAR, accepted_at TIMESTAMP);
`;

/** What the deployment adds to the reference data of sql/seeds (config: vocabulary, reporting.entity_desk_level). */
export type DeploymentReference = {
  /** Spellings by code-list name, then by code (or a spelling the list knows). */
  vocabulary: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** The level at which the reporting entity's own desk counts its dossiers. */
  entityDeskLevel: string;
};

export type PrepareOptions = {
  sqlDir?: string;
  /** The key of keyed_hash() for this session (privacy.ts); without one, staging keeps no hash. */
  hashKey?: string | undefined;
  reference?: DeploymentReference;
};

const NO_ADDITIONS: DeploymentReference = { vocabulary: {}, entityDeskLevel: 'city' };

export function deploymentReference(config: Config): DeploymentReference {
  return { vocabulary: config.vocabulary, entityDeskLevel: config.reporting.entity_desk_level };
}

export async function prepareWarehouse(db: Warehouse, sources: readonly SourceContract[], options: PrepareOptions = {}): Promise<void> {
  for (const schema of ['raw', 'quarantine', ...LAYERS, 'ops', 'seeds', 'settings']) await db.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await db.run('CREATE TABLE IF NOT EXISTS settings.reporting (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
  await db.transaction(async () => {
    const acceptedIsNew = !(await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'ops' AND table_name = 'quarantine_accepted'`,
    ))!.n;
    await db.runScript(OPS_DDL);
    // A warehouse older than the quarantine's limit published its loads under the rules of then:
    // they count as passed, or the first run after an upgrade would judge years of history at once.
    if (acceptedIsNew) await db.run(`INSERT INTO ops.quarantine_accepted SELECT source, max(load_id), NULL, current_timestamp FROM ops.loads GROUP BY source`);
  });
  for (const source of sources) {
    for (const table of Object.values(source.tables)) {
      // The rows a check quarantined are kept whole beside raw, to load once the check passes.
      for (const schema of ['raw', 'quarantine']) {
        const name = `${schema}.${ident(rawTableName(source.name, table))}`;
        await db.run(`CREATE TABLE IF NOT EXISTS ${name} (_load_id BIGINT, _file VARCHAR, _row BIGINT)`);
        for (const column of table.columns) {
          await db.run(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${ident(column.name)} VARCHAR`);
        }
      }
    }
  }
  await defineKeyedHash(db, options.hashKey);
  await loadSeeds(db, options.sqlDir ?? SQL_DIR, options.reference ?? NO_ADDITIONS, sources);
}

/**
 * Reloads every sql/seeds/*.csv into seeds.<name>, as text, adds the deployment's desk and
 * vocabulary, then the macros that read them; and fingerprints the result, which the
 * incremental models and the quarantine's second look compare with the last.
 */
async function loadSeeds(db: Warehouse, sqlDir: string, reference: DeploymentReference, sources: readonly SourceContract[]): Promise<void> {
  const dir = join(sqlDir, 'seeds');
  const seeds = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  const setup = readFileSync(join(sqlDir, 'setup.sql'), 'utf8');
  await db.transaction(async () => {
    for (const file of seeds) {
      await db.run(
        `CREATE OR REPLACE TABLE seeds.${ident(basename(file, '.csv'))} AS
         SELECT * FROM read_csv(${literal(join(dir, file))}, header = true, delim = ',', quote = '"', all_varchar = true)`,
      );
    }
    await addEntityDesk(db, reference.entityDeskLevel);
    await db.run('CREATE OR REPLACE TABLE seeds.vocabulary (list VARCHAR, code VARCHAR, spelling VARCHAR)');
    for (const [list, codes] of Object.entries(reference.vocabulary)) {
      for (const [code, spellings] of Object.entries(codes)) {
        for (const spelling of spellings) await db.run('INSERT INTO seeds.vocabulary VALUES ($1, $2, $3)', [list, code, spelling]);
      }
    }
    await db.runScript(setup);
    // Refused before the commit: the seeds of the last run stay.
    await refuseUnplacedVocabulary(db);
    const clashes = await db.all<{ list: string; alias_key: string; codes: string }>(
      `SELECT list, alias_key, string_agg(DISTINCT code, ', ' ORDER BY code) AS codes FROM seeds.code_aliases
       GROUP BY list, alias_key HAVING count(DISTINCT code) > 1`,
    );
    if (clashes.length > 0) {
      const list = clashes.map((c) => `"${c.alias_key}" in ${c.list} names ${c.codes}`).join('; ');
      throw new ModelError(`sql/seeds: one spelling names two codes: ${list}`, {
        action: 'remove the ambiguous alias from sql/seeds/code_lists.csv or units.csv',
      });
    }
  });
  // What the checks of the load read of the contracts: a new description or header spelling changes no row.
  const checked = sources.map((s) => Object.values(s.tables).map((t) => t.columns.map((c) => [c.name, c.type, c.notNull, c.nonNegative])));
  const fingerprint = createHash('sha256').update(setup).update(JSON.stringify(checked));
  for (const file of seeds) fingerprint.update(file).update(readFileSync(join(dir, file)));
  fingerprint.update(JSON.stringify(reference));
  await db.run('CREATE OR REPLACE TEMP TABLE reference_fingerprint AS SELECT $1 AS fingerprint', [fingerprint.digest('hex')]);
}

/**
 * The reporting entity receives dossiers at its own desk (its People's Committee, one-stop-shop
 * department or public-administration centre), and exports name that desk by the entity's own
 * name. The desk is a unit of its own, `<entity>.MC`, at the level the config names, so that its
 * dossiers count in a level and in the total like any unit's.
 */
async function addEntityDesk(db: Warehouse, level: string): Promise<void> {
  const known = await db.one<{ n: number }>(`SELECT count(*) AS n FROM seeds.code_lists WHERE list = 'level' AND code = $1`, [level]);
  if (!known!.n) {
    const levels = await db.all<{ code: string }>(`SELECT code FROM seeds.code_lists WHERE list = 'level' ORDER BY code`);
    throw new ConfigError(`reporting.entity_desk_level: "${level}" is not a level of the unit register (${levels.map((l) => l.code).join(', ')})`, {
      action: 'name one of these levels in the config',
    });
  }
  await db.run(
    `INSERT INTO seeds.units BY NAME
     SELECT unit_code || '.MC' AS unit_code, 'Bộ phận Một cửa – ' || unit_name AS unit_name, $1 AS level, 'desk' AS unit_type,
            unit_code AS parent_code, valid_from, valid_to, concat_ws('|', unit_code, unit_name, aliases) AS aliases
     FROM seeds.units WHERE level = 'entity'`,
    [level],
  );
}

/** A spelling of the config's vocabulary that names no list, no code, or two codes, is refused before anything is read with it. */
async function refuseUnplacedVocabulary(db: Warehouse): Promise<void> {
  const problems = await db.all<{ key: string; problem: string }>(
    `WITH lists AS (SELECT DISTINCT list FROM seeds.code_aliases),
     named AS (
       SELECT v.list, min(v.spelling) AS spelling,
              (SELECT string_agg(DISTINCT a.code, ', ' ORDER BY a.code) FROM seeds.code_aliases a
               WHERE a.list = v.list AND a.alias_key = norm_key(min(v.spelling))) AS codes
       FROM seeds.vocabulary v GROUP BY v.list, norm_key(v.spelling))
     SELECT 'vocabulary.' || list AS key, 'no code list is called "' || list || '" (lists: ' || (SELECT string_agg(list, ', ' ORDER BY list) FROM lists) || ')' AS problem
     FROM (SELECT DISTINCT list FROM seeds.vocabulary) WHERE list NOT IN (SELECT list FROM lists)
     UNION ALL
     SELECT DISTINCT 'vocabulary.' || v.list || '.' || v.code, 'names no code of the list: give its code, or a name the list already knows'
     FROM seeds.vocabulary v WHERE v.list IN (SELECT list FROM lists) AND NOT EXISTS (
       SELECT 1 FROM seeds.code_aliases a WHERE a.list = v.list AND a.alias_key = norm_key(v.code) AND a.from_config = false)
     UNION ALL
     SELECT 'vocabulary.' || list, '"' || spelling || '" is given for more than one code (' || codes || ')'
     FROM named WHERE codes LIKE '%,%'
     ORDER BY 1`,
  );
  if (problems.length > 0) {
    throw new ConfigError(`the config's vocabulary cannot be placed:\n${problems.map((p) => `  ${p.key}: ${p.problem}`).join('\n')}`, {
      action: 'correct these keys: each list names codes of sql/seeds (code_lists.csv, units.csv), each with the spellings the exports use',
    });
  }
}
