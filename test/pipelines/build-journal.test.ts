// A build commits its models one by one and swaps each in; what it replaced is kept until the
// build is kept or undone, including after the process died half-way.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { Warehouse } from '../../core/warehouse.js';
import { writeSettings } from '../../pipelines/models/settings.js';
import { keepBuild, swapIn, undoBuild } from '../../pipelines/models/swap.js';
import { deploymentReference, prepareWarehouse } from '../../pipelines/setup/layout.js';
import { tempDir } from '../helpers.js';

async function warehouse(path: string): Promise<Warehouse> {
  const db = await Warehouse.open(path);
  await prepareWarehouse(db, CONNECTORS, { reference: deploymentReference(loadConfig({ env: {} })) });
  return db;
}

const table = (name: string, value: number) => async (db: Warehouse) =>
  swapIn(db, { schema: 'marts', name, kind: 'TABLE' }, (target) => db.run(`CREATE TABLE ${target} AS SELECT ${value} AS v`));

async function objects(db: Warehouse): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1",
  );
  return rows.map((r) => r.name);
}

describe('the build journal', () => {
  it('keeps the replaced versions beside the new ones until the build is kept, then drops them', async () => {
    const db = await warehouse(':memory:');
    await table('a', 1)(db);
    await keepBuild(db);
    await table('a', 2)(db);
    expect(await objects(db)).toEqual(['marts.a', 'marts.a__previous']);
    await keepBuild(db);
    expect(await objects(db)).toEqual(['marts.a']);
    expect(await db.all('SELECT v FROM marts.a')).toEqual([{ v: 2 }]);
    expect(await db.all('SELECT count(*) AS n FROM ops.build_journal')).toEqual([{ n: 0 }]);
    db.close();
  });

  it('swaps in only the settings tables whose rows the config changed, and an undo puts those back', async () => {
    const db = await warehouse(':memory:');
    const config = loadConfig({ env: {} });
    const journal = () => db.all<{ object_name: string }>('SELECT object_name FROM ops.build_journal ORDER BY position');
    await writeSettings(db, config);
    await keepBuild(db);
    await writeSettings(db, config);
    expect(await journal()).toEqual([]);
    await writeSettings(db, { ...config, reporting: { ...config.reporting, period_window: config.reporting.period_window === 'cutoff' ? 'calendar' : 'cutoff' } });
    expect(await journal()).toEqual([{ object_name: 'reporting' }]);
    await undoBuild(db);
    expect(await db.all("SELECT value FROM settings.reporting WHERE name = 'period_window'")).toEqual([{ value: config.reporting.period_window }]);
    db.close();
  });

  it('puts back, after the process died mid-build, every model and incremental state the build replaced', async () => {
    const path = join(tempDir(), 'warehouse.duckdb');
    const before = await warehouse(path);
    await before.run("INSERT INTO ops.model_state VALUES ('marts.a', 'old', 7, TIMESTAMP '2026-01-01 00:00:00')");
    await table('a', 1)(before);
    await before.run("CREATE VIEW marts.b AS SELECT 'view' AS kind");
    await keepBuild(before);
    // The next build replaces a (and its state), turns b from a view into a table, adds c, and
    // dies while writing d.
    await swapIn(before, {
      schema: 'marts',
      name: 'a',
      kind: 'TABLE',
      afterSwap: () => before.run("UPDATE ops.model_state SET fingerprint = 'new', max_load_id = 9 WHERE model = 'marts.a'"),
    }, (target) => before.run(`CREATE TABLE ${target} AS SELECT 2 AS v`));
    await swapIn(before, { schema: 'marts', name: 'b', kind: 'TABLE' }, (target) => before.run(`CREATE TABLE ${target} AS SELECT 'table' AS kind`));
    await table('c', 3)(before);
    await before.run('CREATE TABLE marts.d__next AS SELECT 4 AS v');
    before.close();

    const after = await warehouse(path);
    expect((await undoBuild(after)).sort()).toEqual(['marts.a', 'marts.b', 'marts.c', 'marts.d__next']);
    expect(await objects(after)).toEqual(['marts.a', 'marts.b']);
    expect(await after.all('SELECT v FROM marts.a')).toEqual([{ v: 1 }]);
    expect(await after.all('SELECT kind FROM marts.b')).toEqual([{ kind: 'view' }]);
    expect(await after.all("SELECT fingerprint, max_load_id, strftime(built_at, '%Y-%m-%d') AS built FROM ops.model_state")).toEqual([
      { fingerprint: 'old', max_load_id: 7, built: '2026-01-01' },
    ]);
    // Nothing left to undo.
    expect(await undoBuild(after)).toEqual([]);
    after.close();
  });
});
