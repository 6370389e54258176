// Data tests in a run: a failing test of severity error rolls the models back and keeps the
// published release; one of severity warn is reported and publication goes on.
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { Warehouse } from '../../core/warehouse.js';
import { changedRows, recordTestResults, runDataTests, testsOf } from '../../pipelines/models/data-tests.js';
import { discoverModels } from '../../pipelines/models/graph.js';
import { selectModels } from '../../pipelines/models/selection.js';
import { runJob } from '../../pipelines/run.js';
import { deploymentReference, prepareWarehouse } from '../../pipelines/setup/layout.js';
import { capturedLog, inboxWith, queryFile, sampleConfig, sqlCopy, tempDir } from '../helpers.js';

const EXPORTS = ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv', 'motcua/ho-so-2024-W13.csv', 'motcua/ho-so-2024-W14.csv'];

/** A copy of sql/ with one more model and one more SQL test. */
function sqlWith(test: { severity: 'error' | 'warn'; sql: string }): string {
  return sqlCopy({
    'marts/fct_probe.sql': '/*\ndescription: A model only this test adds.\ngrain: one row\ncolumns:\n  one: The number one\n*/\nselect 1 as one\n',
    'tests/every_total_is_wrong.sql': `/*\ndescription: A rule no data can keep.\nseverity: ${test.severity}\n*/\n${test.sql}\n`,
  });
}

describe('data tests in a run', () => {
  const breakEveryTotal = "select period_key, received_total from marts.fct_tthc_resolution where scope = 'total'";

  it('keeps the previous release and the previous models when a test of severity error fails, naming it', async () => {
    const dir = tempDir();
    const inboxes = { motcua: inboxWith(dir, EXPORTS) };
    const good = await runJob(sampleConfig(join(dir, 'data'), inboxes), capturedLog().log);
    expect(good.outcome).toBe('success');

    // The failing run also changes a setting: it must roll back with the models.
    const config = sampleConfig(join(dir, 'data'), inboxes, {
      CCHC__WAREHOUSE__SQL_DIR: sqlWith({ severity: 'error', sql: breakEveryTotal }),
      CCHC__REPORTING__PERIOD_WINDOW: 'cutoff',
    });
    const blocked = await runJob(config, capturedLog().log);
    expect(blocked.outcome).toBe('failed');
    expect(blocked.stages.publish).toBeUndefined();
    expect(blocked.errors[0]!.message).toMatch(/^1 data test failed: every_total_is_wrong \(\d+ rows\)$/);
    expect(readlinkSync(join(config.paths.publishDir, 'current'))).toBe(join('releases', good.runId));

    // The build was rolled back: the model the failing run added is not in the warehouse, and the
    // settings and the periods are those of the good run, in any session.
    const probe = await queryFile(config.paths.warehouse, "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'fct_probe'");
    expect(probe).toEqual([{ n: 0 }]);
    const leftovers = "SELECT count(*) AS n FROM information_schema.tables WHERE table_name LIKE '%\\_\\_previous' ESCAPE '\\' OR table_name LIKE '%\\_\\_next' ESCAPE '\\'";
    expect(await queryFile(config.paths.warehouse, leftovers)).toEqual([{ n: 0 }]);
    expect(await queryFile(config.paths.warehouse, "SELECT value FROM settings.reporting WHERE name = 'period_window'")).toEqual([{ value: 'calendar' }]);
    const q1 = "SELECT strftime(period_start, '%Y-%m-%d') AS s FROM %s WHERE period_key = '2024-Q1'";
    expect(await queryFile(config.paths.warehouse, q1.replace('%s', 'marts.dim_period'))).toEqual([{ s: '2024-01-01' }]);
    expect(await queryFile(config.paths.warehouse, q1.replace('%s', 'intermediate.int_periods'))).toEqual([{ s: '2024-01-01' }]);
    const [recorded] = await queryFile<{ status: string; failing_rows: number; sample: string }>(
      config.paths.warehouse,
      `SELECT status, failing_rows, sample FROM ops.test_results WHERE run_id = '${blocked.runId}' AND test_name = 'every_total_is_wrong'`,
    );
    expect(recorded).toMatchObject({ status: 'fail' });
    // The undone build's results vouch for no change: the next run tests the merged models whole.
    expect(await queryFile(config.paths.warehouse, `SELECT DISTINCT change_id FROM ops.test_results WHERE run_id = '${blocked.runId}'`)).toEqual([{ change_id: null }]);
    expect(recorded!.failing_rows).toBeGreaterThan(0);
    expect(JSON.parse(recorded!.sample)[0]).toHaveProperty('period_key');
  });

  it('builds and tests only the selected models, and does not publish a partial build', async () => {
    const dir = tempDir();
    const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, EXPORTS) });
    const full = await runJob(config, capturedLog().log);
    const { log, lines } = capturedLog();
    const summary = await runJob(config, log, { select: ['+fct_online_service'] });
    expect(readlinkSync(join(config.paths.publishDir, 'current'))).toBe(join('releases', full.runId));
    expect(summary.outcome).toBe('success');
    expect(summary.stages.transform!.models).toBe(selectModels(discoverModels(), ['+fct_online_service']).length);
    expect(summary.stages.transform!.models).toBeLessThan(discoverModels().length);
    expect(summary.stages.transform!.tests.every((t) => !t.name.startsWith('fct_budget'))).toBe(true);
    expect(summary.stages.publish).toBeUndefined();
    expect(lines().some((l) => String(l.msg).startsWith('a partial build (--select) is not published'))).toBe(true);
  });

  it('reports a failing test of severity warn and publishes all the same', async () => {
    const dir = tempDir();
    const config = sampleConfig(join(dir, 'data'), { motcua: inboxWith(dir, EXPORTS) }, {
      CCHC__WAREHOUSE__SQL_DIR: sqlWith({ severity: 'warn', sql: breakEveryTotal }),
    });
    const { log, lines } = capturedLog();
    const summary = await runJob(config, log);
    expect(summary.outcome).toBe('success');
    expect(summary.stages.publish).toBeDefined();
    const warned = summary.stages.transform!.tests.find((t) => t.name === 'every_total_is_wrong')!;
    expect(warned).toMatchObject({ status: 'fail', severity: 'warn' });
    expect(lines().some((l) => l.level === 40 && l.test === 'every_total_is_wrong')).toBe(true);
  });
});

describe('data tests after a merge', () => {
  it('run over the rows changed since they last passed, find a broken changed row, and run whole after a rebuild or a failure', async () => {
    const models = discoverModels();
    const dossiers = models.filter((m) => m.id === 'staging.stg_motcua__dossiers');
    const tests = testsOf(dossiers, undefined, models).filter((t) => t.model === 'staging.stg_motcua__dossiers' && t.reads.length === 1);
    const db = await Warehouse.open(':memory:');
    await prepareWarehouse(db, CONNECTORS, { reference: deploymentReference(loadConfig({ env: {} })) });
    try {
      // Dossier A is in the table twice since before the last tests; C was merged after them (change 5).
      await db.run(
        `CREATE TABLE staging.stg_motcua__dossiers AS
         SELECT * FROM (VALUES ('A', 'U', 'online', 2, TIMESTAMP '2024-01-01', 'received'), ('A', 'U', 'online', 2, TIMESTAMP '2024-01-02', 'received'),
                               ('B', 'U', 'direct', 9, TIMESTAMP '2024-01-03', 'resolved'), ('C', 'U', 'direct', 9, TIMESTAMP '2024-01-04', 'resolved'))
           AS t (dossier_id, unit_code, channel, status_code, updated_at, status_group)`,
      );
      await db.run(`INSERT INTO ops.model_changes VALUES ('staging.stg_motcua__dossiers', 3, 'A'), ('staging.stg_motcua__dossiers', 5, 'C')`);
      const changed = await changedRows(db, dossiers, { 'staging.stg_motcua__dossiers': 'increment' });
      const record = (status: 'pass' | 'fail', changeId: number) =>
        recordTestResults(db, `run-${changeId}`, tests.map((t) => ({ name: t.name, model: t.model, severity: t.severity, status, failingRows: 0, sample: [], description: t.description })), changeId);
      const unique = async () => (await runDataTests(db, tests, changed)).find((r) => r.name === 'stg_motcua__dossiers: unique(dossier_id)')!;
      // No result yet: the whole table is tested.
      expect(await unique()).toMatchObject({ status: 'fail', failingRows: 1, sample: [{ dossier_id: 'A' }] });
      // Passed when the last change was 4: only C is tested again.
      await record('pass', 4);
      expect(await unique()).toMatchObject({ status: 'pass', failingRows: 0 });
      await db.run(`INSERT INTO staging.stg_motcua__dossiers VALUES ('C', 'U', 'direct', 9, TIMESTAMP '2024-01-05', 'resolved')`);
      expect(await unique()).toMatchObject({ status: 'fail', failingRows: 1, sample: [{ dossier_id: 'C' }] });
      await db.run(`DELETE FROM staging.stg_motcua__dossiers WHERE dossier_id = 'C' AND updated_at = TIMESTAMP '2024-01-05'`);
      // A rebuild since the last tests, or a failure when they last ran: the whole table again.
      await db.run(`INSERT INTO ops.model_changes VALUES ('staging.stg_motcua__dossiers', 6, NULL)`);
      expect(await unique()).toMatchObject({ status: 'fail', sample: [{ dossier_id: 'A' }] });
      await record('fail', 6);
      await db.run(`INSERT INTO ops.model_changes VALUES ('staging.stg_motcua__dossiers', 7, 'B')`);
      expect(await unique()).toMatchObject({ status: 'fail', sample: [{ dossier_id: 'A' }] });
      await record('pass', 7);
      expect(await unique()).toMatchObject({ status: 'pass' });
      // A test changed under the same name (another column, other values) vouches for nothing yet.
      const edited = tests.map((t) => (t.name === 'stg_motcua__dossiers: unique(dossier_id)' ? { ...t, description: `${t.description}, edited` } : t));
      expect((await runDataTests(db, edited, changed)).find((r) => r.name === 'stg_motcua__dossiers: unique(dossier_id)')).toMatchObject({ status: 'fail', sample: [{ dossier_id: 'A' }] });
    } finally {
      db.close();
    }
  });
});

describe('data tests counted together', () => {
  const test = (name: string, sql: string, large = false) => ({ name, model: undefined, severity: 'warn' as const, description: name, sql, reads: [], large });

  it('give each test its own failing rows and sample, and name a test whose SQL does not run', async () => {
    const db = await Warehouse.open(':memory:');
    await prepareWarehouse(db, CONNECTORS, { reference: deploymentReference(loadConfig({ env: {} })) });
    try {
      await db.run('CREATE TABLE t AS SELECT range AS n FROM range(10)');
      const tests = [test('odd', 'SELECT n FROM t WHERE n % 2 = 1'), test('none', 'SELECT n FROM t WHERE n > 100'), test('alone', 'SELECT n FROM t WHERE n < 3', true)];
      const results = await runDataTests(db, tests);
      expect(results.map((r) => [r.name, r.status, r.failingRows, r.sample.length])).toEqual([['odd', 'fail', 5, 5], ['none', 'pass', 0, 0], ['alone', 'fail', 3, 3]]);
      const broken = [...tests, test('broken', 'SELECT n FROM t WHERE no_such_column > 1')];
      await expect(runDataTests(db, broken)).rejects.toThrow(/data test broken: its SQL does not run/);
    } finally {
      db.close();
    }
  });
});
