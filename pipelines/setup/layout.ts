// The layout of the DuckDB warehouse: its schemas, the ops ledger, the raw tables declared by
// the connectors, and the reference data (seeds) with the parsing macros. Idempotent; every run
// starts here, so a new contract column or a corrected seed takes effect on the next run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SQL_DIR, type Config } from '../../config/load.js';
import type { Register } from '../../config/register.js';
import { rawTableName, type SourceContract } from '../../connectors/contract.js';
import { ConfigError, ModelError } from '../../core/errors.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import { defineKeyedHash } from './privacy.js';

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
-- Counted by the extract's read of the file, so that the load does not read it again (NULL: count at load).
ALTER TABLE ops.landed_files ADD COLUMN IF NOT EXISTS lines BIGINT;
ALTER TABLE ops.landed_files ADD COLUMN IF NOT EXISTS decomposed BOOLEAN;
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
-- The last change of the merged models (ops.model_changes) when the test ran: the next run tests
-- the rows changed since (data-tests.ts).
ALTER TABLE ops.test_results ADD COLUMN IF NOT EXISTS change_id BIGINT;
CREATE TABLE IF NOT EXISTS ops.model_state (
  model VARCHAR, fingerprint VARCHAR, max_load_id BIGINT, built_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.build_journal (
  position BIGINT, schema_name VARCHAR, object_name VARCHAR, kind VARCHAR, previous_kind VARCHAR,
  model VARCHAR, previous_fingerprint VARCHAR, previous_max_load_id BIGINT, previous_built_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ops.personal_data_erased (load_id BIGINT PRIMARY KEY, erased_at TIMESTAMP);
-- Inbox files whose content was landed before under another name: known by name, size and time, not read again.
CREATE TABLE IF NOT EXISTS ops.inbox_duplicates (
  source VARCHAR, original_name VARCHAR, bytes BIGINT, source_mtime_ms BIGINT, sha256 VARCHAR, seen_at TIMESTAMP, run_id VARCHAR,
  PRIMARY KEY (source, original_name, bytes, source_mtime_ms));
CREATE TABLE IF NOT EXISTS ops.landed_files_erased (source VARCHAR, sha256 VARCHAR, erased_at TIMESTAMP, PRIMARY KEY (source, sha256));
CREATE SEQUENCE IF NOT EXISTS ops.change_ids START 1;
CREATE TABLE IF NOT EXISTS ops.model_changes (model VARCHAR, change_id BIGINT, key VARCHAR);
-- The rows of its partitions a parted model was last built with (partitions.ts).
CREATE TABLE IF NOT EXISTS ops.model_partitions (model VARCHAR, part VARCHAR, signature UBIGINT);
CREATE TABLE IF NOT EXISTS ops.snapshot_state (
  release VARCHAR, model VARCHAR, fingerprint VARCHAR, change_id BIGINT, rows BIGINT);
-- How a table of the snapshot was written: its columns, and for a model its SQL and header (snapshot.ts).
ALTER TABLE ops.snapshot_state ADD COLUMN IF NOT EXISTS shape VARCHAR;
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

/** What the deployment brings to the reference data of sql/seeds: its unit register, its targets, its spellings. */
export type DeploymentReference = {
  register: Register;
  /** The deployment's targets (CSV); none without one. */
  targetsFile: string | undefined;
  /** Spellings by code-list name, then by code (or a spelling the list knows). */
  vocabulary: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
};

export type PrepareOptions = {
  sqlDir?: string;
  /** The key of keyed_hash() for this session (privacy.ts); without one, staging keeps no hash. */
  hashKey?: string | undefined;
  reference: DeploymentReference;
};

export function deploymentReference(config: Config): DeploymentReference {
  return { register: config.register, targetsFile: config.paths.targets, vocabulary: config.vocabulary };
}

export async function prepareWarehouse(db: Warehouse, sources: readonly SourceContract[], options: PrepareOptions): Promise<void> {
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
  // Read once: a column per statement, asked of every table at every run, cost a night a tenth of a second.
  const existing = new Set(
    (await db.all<{ id: string }>(`SELECT schema_name || '.' || table_name || '.' || column_name AS id FROM duckdb_columns() WHERE database_name = current_database() AND schema_name IN ('raw', 'quarantine')`)).map((c) => c.id),
  );
  for (const source of sources) {
    for (const table of Object.values(source.tables)) {
      // The rows a check quarantined are kept whole beside raw, to load once the check passes.
      for (const schema of ['raw', 'quarantine']) {
        const name = `${schema}.${ident(rawTableName(source.name, table))}`;
        await db.run(`CREATE TABLE IF NOT EXISTS ${name} (_load_id BIGINT, _file VARCHAR, _row BIGINT)`);
        for (const column of table.columns.filter((c) => !existing.has(`${schema}.${rawTableName(source.name, table)}.${c.name}`))) {
          await db.run(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${ident(column.name)} VARCHAR`);
        }
      }
    }
  }
  await defineKeyedHash(db, options.hashKey);
  await loadSeeds(db, options.sqlDir ?? SQL_DIR, options.reference, sources);
}

/**
 * Reloads every sql/seeds/*.csv into seeds.<name>, as text, then the deployment's register,
 * targets and vocabulary, then the macros that read them; and fingerprints the result, which
 * the incremental models and the quarantine's second look compare with the last.
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
    await loadRegister(db, reference.register);
    await db.run(
      reference.targetsFile
        ? `CREATE OR REPLACE TABLE seeds.targets AS SELECT * FROM read_csv(${literal(reference.targetsFile)}, header = true, delim = ',', quote = '"', all_varchar = true)`
        : 'CREATE OR REPLACE TABLE seeds.targets (year VARCHAR, measure VARCHAR, comparison VARCHAR, target_value VARCHAR, description VARCHAR)',
    );
    await db.run('CREATE OR REPLACE TABLE seeds.vocabulary (list VARCHAR, code VARCHAR, spelling VARCHAR)');
    const vocabulary = Object.entries(reference.vocabulary).flatMap(([list, codes]) => Object.entries(codes).flatMap(([code, spellings]) => spellings.map((spelling) => [list, code, spelling])));
    await db.insertRows('seeds.vocabulary', vocabulary);
    await db.runScript(setup);
    // Refused before the commit: the seeds of the last run stay.
    await refuseUnplacedVocabulary(db);
    const clashes = await db.all<{ list: string; alias_key: string; codes: string }>(
      // Two units may share a name at different times (phường Đồng Sơn before and after 1 July
      // 2025): a spelling is ambiguous only where their validity overlaps.
      `SELECT a.list, a.alias_key, array_to_string(list_sort(list_distinct(flatten(list([a.code, b.code])))), ', ') AS codes
       FROM seeds.code_aliases AS a JOIN seeds.code_aliases AS b
         ON a.list = b.list AND a.alias_key = b.alias_key AND a.code < b.code AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to
       GROUP BY a.list, a.alias_key ORDER BY 1, 2`,
    );
    if (clashes.length > 0) {
      const list = clashes.map((c) => `"${c.alias_key}" in ${c.list} names ${c.codes}`).join('; ');
      throw new ModelError(`one spelling names two codes at once: ${list}`, {
        action: `remove the ambiguous alias from sql/seeds/code_lists.csv or the unit register (${reference.register.file})`,
      });
    }
  });
  // What the checks of the load read of the contracts: a new description or header spelling changes no row.
  const checked = sources.map((s) => Object.values(s.tables).map((t) => t.columns.map((c) => [c.name, c.type, c.notNull, c.nonNegative])));
  const fingerprint = createHash('sha256').update(setup).update(JSON.stringify(checked));
  for (const file of seeds) fingerprint.update(file).update(readFileSync(join(dir, file)));
  fingerprint.update(JSON.stringify({ ...reference.register, file: undefined })).update(JSON.stringify(reference.vocabulary));
  if (reference.targetsFile) fingerprint.update(readFileSync(reference.targetsFile));
  await db.run('CREATE OR REPLACE TEMP TABLE reference_fingerprint AS SELECT $1 AS fingerprint', [fingerprint.digest('hex')]);
}

/**
 * The register as tables: seeds.deployment (its code and name), seeds.levels (in report order,
 * with the spellings catalogues use), seeds.units and seeds.unit_successors (the crosswalk).
 */
async function loadRegister(db: Warehouse, register: Register): Promise<void> {
  await db.run('CREATE OR REPLACE TABLE seeds.deployment AS SELECT $1 AS code, $2 AS name', [register.code, register.name]);
  await db.run('CREATE OR REPLACE TABLE seeds.levels (level VARCHAR, label VARCHAR, position INTEGER, aliases VARCHAR)');
  await db.insertRows('seeds.levels', register.levels.map((level, i) => [level.code, level.label, i + 1, level.aliases.join('|')]));
  await db.run(
    `CREATE OR REPLACE TABLE seeds.units (unit_code VARCHAR, unit_name VARCHAR, level VARCHAR, unit_type VARCHAR, parent_code VARCHAR,
       valid_from DATE, valid_to DATE, aliases VARCHAR, reports_to VARCHAR)`,
  );
  await db.run('CREATE OR REPLACE TABLE seeds.unit_successors (unit_code VARCHAR, successor_code VARCHAR, share DOUBLE)');
  await db.insertRows('seeds.units', register.units.map((u) => [u.code, u.name, u.level, u.type, u.parent, u.validFrom, u.validTo, u.aliases.join('|'), u.reportsTo]));
  await db.insertRows('seeds.unit_successors', register.units.flatMap((u) => u.successors.map((s) => [u.code, s.unit, s.share])));
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
      action: 'correct these keys: each list names codes of sql/seeds/code_lists.csv (or, for unit and level, of the unit register), each with the spellings the exports use',
    });
  }
}
