// What the readers of the warehouse get: Parquet files that another Parquet implementation reads
// as DuckDB does, column types Metabase knows, empty marts that keep their schema, a snapshot
// that analysts read while the job publishes, `cchc query`, and the Metabase init SQL.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { describe, expect, inject, it } from 'vitest';
import { Warehouse } from '../../core/warehouse.js';
import { runJob } from '../../pipelines/run.js';
import { capturedLog, inboxWith, query, sampleConfig, sqlCopy, tempDir } from '../helpers.js';
import { runCchc, sampleInboxes, startCchc, writeConfig } from '../processes.js';

const publishDir = inject('publishDir');
const release = realpathSync(join(publishDir, 'current'));
type Manifest = { marts: { name: string; file: string; rows: number; columns: { name: string; type: string }[]; partitioned?: string }[] };
const manifest = JSON.parse(readFileSync(join(release, 'manifest.json'), 'utf8')) as Manifest;

// The types Metabase's DuckDB driver maps to its own; anything else (HUGEINT, UUID, LIST, STRUCT…) shows as unknown.
const METABASE_TYPES = /^(VARCHAR|BOOLEAN|INTEGER|BIGINT|DOUBLE|DECIMAL\(\d+,\d+\)|DATE|TIMESTAMP)$/;

/** A value as both readers should agree on it: integers as numbers, dates as days or instants. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.toISOString();
  return value;
}

describe('the published Parquet files', () => {
  it('hold only column types that Metabase reads', () => {
    const columns = manifest.marts.flatMap((m) => m.columns.map((c) => `${m.name}.${c.name} ${c.type}`));
    expect(columns.length).toBeGreaterThan(100);
    expect(columns.filter((c) => !METABASE_TYPES.test(c.split(' ')[1]!))).toEqual([]);
  });

  it('are read by a second Parquet implementation (hyparquet) with the rows and values DuckDB reads', async () => {
    for (const mart of manifest.marts) {
      const path = join(release, mart.file);
      const file = await asyncBufferFromFile(path);
      expect(Number((await parquetMetadataAsync(file)).num_rows), mart.name).toBe(mart.rows);
      const theirs = (await parquetReadObjects({ file, compressors, rowEnd: 25 })).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      const ours = (await query(`SELECT * FROM read_parquet('${path}') LIMIT 25`)).map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
      expect(theirs, mart.name).toEqual(ours);
    }
  });

  it('lay the marts that grow with time out by year, hive-style, with every row once', async () => {
    const partitioned = manifest.marts.filter((m) => m.partitioned);
    expect(partitioned.map((m) => m.name)).toContain('fct_tthc_resolution');
    for (const mart of partitioned) {
      const years = readdirSync(join(release, 'marts', mart.name)).sort();
      expect(years.every((y) => /^year=\d{4}$/.test(y)), mart.name).toBe(true);
      let rows = 0;
      for (const year of years) {
        for (const name of readdirSync(join(release, 'marts', mart.name, year))) {
          rows += Number((await parquetMetadataAsync(await asyncBufferFromFile(join(release, 'marts', mart.name, year, name)))).num_rows);
        }
      }
      expect(rows, mart.name).toBe(mart.rows);
      const [byYear] = await query<{ n: number; wrong: number }>(
        `SELECT count(*) AS n, count(*) FILTER (WHERE year <> year(period_end) OR year <> CAST(left(period_key, 4) AS INTEGER)) AS wrong
         FROM read_parquet('${join(release, 'marts', mart.name)}/*/*.parquet', hive_partitioning = true)`,
      );
      expect(byYear, mart.name).toEqual({ n: mart.rows, wrong: 0 });
    }
  });

  it('publish an empty mart as a file with its columns and no rows', async () => {
    const dir = tempDir();
    const sqlDir = sqlCopy({
      'marts/fct_nothing_yet.sql': `/*\ndescription: A mart with no rows yet.\ngrain: none\npublished_by_year: period_end\n*/\nselect period_key, period_end, received_total from marts.fct_tthc_resolution where false\n`,
    });
    const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']) }, { CCHC__WAREHOUSE__SQL_DIR: sqlDir });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('success');
    const path = join(summary.stages.publish!.releaseDir, 'marts', 'fct_nothing_yet.parquet');
    expect(await query(`SELECT name, type FROM parquet_schema('${path}') WHERE name <> 'duckdb_schema'`)).toEqual([
      { name: 'period_key', type: 'BYTE_ARRAY' },
      { name: 'period_end', type: 'INT32' },
      { name: 'received_total', type: 'INT64' },
    ]);
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${path}')`)).toEqual([{ n: 0 }]);
    // No year to lay out, so no folder that a reader's glob would find empty.
    expect(existsSync(join(summary.stages.publish!.releaseDir, 'marts', 'fct_nothing_yet'))).toBe(false);
    expect(summary.stages.publish!.marts.find((m) => m.name === 'fct_nothing_yet')!.partitioned).toBeUndefined();
  });

  it('starts the snapshot from the last one even when a model that was a table there is now a view', async () => {
    const dir = tempDir();
    const probe = (header: string) => `/*\ndescription: Periods again.\ngrain: one row per period\n${header}*/\nselect period_key from marts.dim_period\n`;
    const inboxes = { motcua: inboxWith(dir, ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']) };
    const run = async (header: string) => {
      const config = sampleConfig(join(dir, 'data'), inboxes, { CCHC__WAREHOUSE__SQL_DIR: sqlCopy({ 'marts/fct_probe.sql': probe(header) }) });
      const summary = await runJob(config, capturedLog().log);
      expect(summary.outcome, JSON.stringify(summary.errors)).toBe('success');
      return join(summary.stages.publish!.releaseDir, 'cchc.duckdb');
    };
    await run('');
    const snapshot = await run('snapshot: view\n');
    const reader = await Warehouse.openReadOnly(snapshot);
    try {
      expect(await reader.all("SELECT table_type FROM information_schema.tables WHERE table_name = 'fct_probe'")).toEqual([{ table_type: 'VIEW' }]);
      expect((await reader.one<{ n: number }>('SELECT count(*) AS n FROM marts.fct_probe'))!.n).toBeGreaterThan(0);
    } finally {
      reader.close();
    }
  });

  it('refuses to lay a mart out by the year of a column that is not a date, naming the model file', async () => {
    const dir = tempDir();
    const sqlDir = sqlCopy({ 'marts/fct_by_name.sql': `/*\ndescription: Partitioned by a text column.\ngrain: none\npublished_by_year: period_key\n*/\nselect period_key from marts.dim_period\n` });
    const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']) }, { CCHC__WAREHOUSE__SQL_DIR: sqlDir });
    const summary = await runJob(config, capturedLog().log);
    expect(summary.outcome).toBe('failed');
    expect(summary.errors[0]).toMatchObject({ stage: 'publish', message: expect.stringMatching(/fct_by_name\.sql: published_by_year names period_key, which is not a date column of the mart$/) });
  });

  it('come with a Metabase init SQL of one view per mart over the current release', async () => {
    const init = readFileSync(join(publishDir, 'metabase-init.sql'), 'utf8');
    const db = await Warehouse.open(':memory:');
    try {
      await db.runScript(init);
      const views = await db.all<{ name: string }>(`SELECT view_name AS name FROM duckdb_views() WHERE NOT internal ORDER BY 1`);
      expect(views.map((v) => v.name)).toEqual(manifest.marts.map((m) => m.name).sort());
      expect(init).toContain(`read_parquet('${join(publishDir, 'current', 'marts', 'fct_tthc_resolution.parquet')}')`);
      const [city] = await db.all(`SELECT received_total FROM fct_tthc_resolution WHERE scope = 'total' AND period_key = '2023'`);
      expect(city).toEqual({ received_total: 15755 });
    } finally {
      db.close();
    }
  });
});

describe('the snapshot for analysts', () => {
  it('is read through a read-only connection while a run publishes a new release, and both succeed', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(inject('sampleDir'), dir, { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-4]\.csv)$/ });
    const config = writeConfig(dir, inboxes);
    expect((await runCchc(['run', '--config', config])).code).toBe(0);

    const reader = await Warehouse.openReadOnly(realpathSync(join(dir, 'data', 'publish', 'current', 'cchc.duckdb')));
    try {
      const count = async () => (await reader.one<{ n: number }>(`SELECT sum(received_in_period) AS n FROM marts.fct_tthc_resolution WHERE scope = 'total' AND period_type = 'month'`))!.n;
      const before = await count();
      sampleInboxes(inject('sampleDir'), dir, { motcua: /^ho-so-2024-W0[5-9]\.csv$/ });
      const run = startCchc(['run', '--config', config], { CCHC__LOG__LEVEL: 'debug' });
      await run.waitFor((l) => l.msg === 'parquet written');
      // Mid-publish: the analyst's query runs on the release it opened.
      expect(await count()).toBe(before);
      expect((await run.exited).code).toBe(0);
      expect(await count()).toBe(before);
    } finally {
      reader.close();
    }
    const [after] = await query<{ n: number }>(
      `SELECT sum(received_in_period) AS n FROM read_parquet('${join(dir, 'data', 'publish', 'current', 'marts', 'fct_tthc_resolution.parquet')}') WHERE scope = 'total' AND period_type = 'month'`,
    );
    expect(after!.n).toBeGreaterThan(0);
  });

  it('is read by the oldest DuckDB 1.x on npm (1.1.2), with its tables and comments', async () => {
    // In a process of its own: two DuckDB libraries should not share one.
    const script = `
      import { DuckDBInstance } from 'duckdb-1.1';
      const db = await DuckDBInstance.create(process.argv[1], { access_mode: 'READ_ONLY' });
      const c = await db.connect();
      const one = async (sql) => (await c.runAndReadAll(sql)).getRows()[0].map(String);
      console.log(JSON.stringify([
        ...(await one('SELECT version()')),
        ...(await one("SELECT received_total FROM marts.fct_tthc_resolution WHERE scope = 'total' AND period_key = '2023'")),
        ...(await one("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts' AND comment IS NOT NULL")),
        // A view of the snapshot, over its own tables.
        ...(await one("SELECT count(*) FILTER (is_received) FROM intermediate.int_dossier_periods WHERE period_key = '2023'")),
      ]));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, join(release, 'cchc.duckdb')]);
    expect(JSON.parse(stdout)).toEqual(['v1.1.2', '15755', String(manifest.marts.length), '14859']);
  });

  it('answers cchc query as a table, CSV or JSON, and refuses to change it', async () => {
    const dir = tempDir();
    const config = writeConfig(dir, {}, { warehouse: { data_dir: './data', publish_dir: publishDir } });
    const sql = `SELECT period_key, received_total, round(on_time_rate, 4) AS on_time_rate FROM marts.fct_tthc_resolution WHERE scope = 'total' AND period_key IN ('2023', '2024-Q1') ORDER BY 1`;
    const table = await runCchc(['query', sql, '--config', config]);
    expect(table.code).toBe(0);
    expect(table.stdout).toBe(
      ['period_key  received_total  on_time_rate', '----------  --------------  ------------', '2023                 15755        0.8477', '2024-Q1               2409        0.9502', '(2 rows)', ''].join('\n'),
    );
    const csv = await runCchc(['query', sql, '--config', config, '--format', 'csv']);
    expect(csv.stdout).toBe('period_key,received_total,on_time_rate\n2023,15755,0.8477\n2024-Q1,2409,0.9502\n');
    const json = await runCchc(['query', sql, '--config', config, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual([
      { period_key: '2023', received_total: 15755, on_time_rate: 0.8477 },
      { period_key: '2024-Q1', received_total: 2409, on_time_rate: 0.9502 },
    ]);
    const drop = await runCchc(['query', 'DROP TABLE marts.fct_tthc_resolution', '--config', config]);
    expect(drop.code).toBe(1);
    expect(drop.stderr).toMatch(/^the query failed: DROP is not a query/);
    // A read-only database still lets COPY write files: it is not a query either, even into the
    // release, the one folder the sandbox lets it reach (elsewhere, the sandbox refuses it first).
    const target = join(realpathSync(join(publishDir, 'current')), 'copied.csv');
    const copy = await runCchc(['query', `COPY (SELECT 1) TO '${target}'`, '--config', config]);
    expect(copy.stderr).toMatch(/^the query failed: COPY is not a query/);
    expect(existsSync(target)).toBe(false);
    const two = await runCchc(['query', 'SELECT 1; SELECT 2', '--config', config]);
    expect(two.stderr).toMatch(/^the query failed: 2 statements; give one/);
  });
});
