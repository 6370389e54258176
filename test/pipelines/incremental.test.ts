// Incremental models: a night's exports are typed and merged into the dossiers of staging, the
// classified dossiers are rebuilt for the dossiers the merge changed, and both are the tables a
// rebuild from all of raw gives. Real runs of `cchc run`.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { literal, Warehouse } from '../../core/warehouse.js';
import { discoverModels, type Model } from '../../pipelines/models/graph.js';
import { queryFile } from '../helpers.js';
import { correctedToAugust, runCchc, sampleDeployment, UNTIL_W06, writeConfig, type Exit } from '../processes.js';

const sampleDir = inject('sampleDir');

const DOSSIERS = 'staging.stg_motcua__dossiers';
const CLASSIFIED = 'intermediate.int_dossiers_classified';
const COUNTS = 'intermediate.int_dossier_counts';

/** The rows of the incremental models, and the counts rolled up from them, in the warehouse or in a snapshot. */
async function tables(data: string, file = 'warehouse.duckdb') {
  const rows = (table: string, order = 'dossier_id') => queryFile(join(data, file), `SELECT * FROM ${table} ORDER BY ${order}`);
  return {
    dossiers: await rows(DOSSIERS),
    classified: await rows(CLASSIFIED),
    counts: await rows(COUNTS, 'period_key, unit_code'),
    rolledUp: await rows('intermediate.int_unit_period_counts', 'period_key, unit_code'),
  };
}

const snapshot = (data: string) => tables(data, join('publish', 'current', 'cchc.duckdb'));

/** How the run built its incremental models, and wrote them into the snapshot, from its log lines. */
function builds(exit: Exit): { models: Record<string, string>; snapshot: Record<string, string> } {
  expect(exit.code, exit.stderr).toBe(0);
  return {
    models: exit.lines.find((l) => l.msg === 'transform done')!.incremental as Record<string, string>,
    snapshot: exit.lines.find((l) => l.msg === 'publish done')!.snapshot as Record<string, string>,
  };
}

/** The models built whole that the run left as they were, and how the snapshot's other tables were written. */
function leftAsTheyWere(exit: Exit): { models: string[]; snapshot: Record<string, number> } {
  expect(exit.code, exit.stderr).toBe(0);
  return {
    models: [...(exit.lines.find((l) => l.msg === 'transform done')!.unchanged as string[])].sort(),
    snapshot: exit.lines.find((l) => l.msg === 'publish done')!.snapshot_tables as Record<string, number>,
  };
}

const MODELS = discoverModels();
const WHOLE = MODELS.filter((m) => m.materialized !== 'incremental').map((m) => m.id).sort();

/** The models built whole that read none of `tables`, directly or through the models they read. */
function wholeNotReading(...tables: string[]): string[] {
  const byId = new Map(MODELS.map((m) => [m.id, m]));
  const reads = (m: Model): string[] => m.references.flatMap((r) => [r.table, ...(byId.has(r.table) && r.table !== m.id ? reads(byId.get(r.table)!) : [])]);
  return WHOLE.filter((id) => !reads(byId.get(id)!).some((t) => tables.includes(t)));
}

/**
 * Every table of the current release's snapshot holds the rows and comments of the warehouse's,
 * whether the publish kept it, refilled it or wrote it again; and it has every table and view.
 */
async function snapshotIsTheWarehouse(data: string): Promise<void> {
  const db = await Warehouse.open(':memory:');
  try {
    await db.run(`ATTACH ${literal(join(data, 'warehouse.duckdb'))} AS w (READ_ONLY)`);
    await db.run(`ATTACH ${literal(join(data, 'publish', 'current', 'cchc.duckdb'))} AS s (READ_ONLY)`);
    const objects = (database: string) =>
      db.all<{ id: string; comment: string | null }>(
        `SELECT schema_name || '.' || table_name AS id, comment FROM duckdb_tables() WHERE database_name = '${database}'
         UNION ALL SELECT schema_name || '.' || view_name, comment FROM duckdb_views() WHERE database_name = '${database}' AND NOT internal
         ORDER BY id`,
      );
    const inSnapshot = await objects('s');
    expect(inSnapshot.map((o) => o.id)).toEqual((await objects('w')).map((o) => o.id).filter((id) => /^(seeds|settings|staging|intermediate|marts)\./.test(id)));
    const comments = (database: string) =>
      db.all(`SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() WHERE database_name = '${database}' AND schema_name IN ('staging', 'intermediate', 'marts') ORDER BY ALL`);
    expect(await comments('s')).toEqual(await comments('w'));
    const tables = await db.all<{ id: string }>(`SELECT schema_name || '.' || table_name AS id FROM duckdb_tables() WHERE database_name = 's'`);
    for (const { id } of tables) {
      const differ = await db.one<{ n: number }>(`SELECT count(*) AS n FROM ((FROM s.${id} EXCEPT ALL FROM w.${id}) UNION ALL (FROM w.${id} EXCEPT ALL FROM s.${id}))`);
      expect(differ!.n, `${id} in the snapshot`).toBe(0);
    }
  } finally {
    db.close();
  }
}

/** A warehouse built from the exports up to week 6 of 2024. */
async function builtUntilW06() {
  const deployment = sampleDeployment(sampleDir, UNTIL_W06);
  expect(builds(await runCchc(['run', '--config', deployment.config])).models).toEqual({});
  return deployment;
}

const both = (how: string) => ({ [DOSSIERS]: how, [CLASSIFIED]: how });
// The counts parted by period are copied whole into the snapshot, as the small tables are.
const all = (how: string) => ({ ...both(how), [COUNTS]: how });

describe('incremental models', () => {
  it('merges the new weeks into the dossiers of staging, the classified dossiers and the counts of their periods as a rebuild from all of raw would, and skips the work when nothing came', async () => {
    const { dir, inboxes, config, data } = sampleDeployment(sampleDir, UNTIL_W06);
    const run = (...args: string[]) => runCchc(['run', '--config', config, ...args]);
    let exit = await run();
    expect(builds(exit)).toEqual({ models: {}, snapshot: both('whole') });
    expect(leftAsTheyWere(exit)).toEqual({ models: [], snapshot: { kept: 0, refilled: 0, written: expect.any(Number) } });
    const before = await tables(data);

    // Weeks 7 to 14 of 2024 hold new versions of dossiers received weeks before.
    const from = join(sampleDir, 'motcua', 'inbox');
    for (const name of readdirSync(from).filter((n) => /^ho-so-2024-W(0[7-9]|1\d)/.test(n))) cpSync(join(from, name), join(inboxes.motcua!, name));
    // The snapshot starts from the last release's and takes the merged dossiers by key.
    exit = await run();
    expect(builds(exit)).toEqual({ models: all('increment'), snapshot: both('by key') });
    // The portal's and the budget's models are left as they were, and the snapshot keeps them.
    const unread = wholeNotReading('raw.motcua__dossiers');
    expect(unread.length).toBeGreaterThan(5);
    // Kept too: the views of the snapshot, which read its tables.
    const views = MODELS.filter((m) => m.header.snapshot === 'view' && !unread.includes(m.id));
    expect(leftAsTheyWere(exit)).toEqual({ models: unread, snapshot: { kept: unread.length + views.length, refilled: expect.any(Number), written: 0 } });
    const merged = await tables(data);
    expect(merged.dossiers.some((row) => Number(row.versions) > 1 && String(row._file) >= 'ho-so-2024-W07')).toBe(true);
    // Dossiers closed by the new weeks, and dossiers they brought, in the classified ones too.
    const closedBefore = new Set(before.classified.filter((r) => r.closed_date !== null).map((r) => r.dossier_id));
    expect(merged.classified.some((r) => r.closed_date !== null && !closedBefore.has(r.dossier_id) && before.classified.some((b) => b.dossier_id === r.dossier_id))).toBe(true);
    expect(merged.classified.length).toBeGreaterThan(before.classified.length);
    expect(await snapshot(data)).toEqual(merged);
    await snapshotIsTheWarehouse(data);

    exit = await run();
    expect(builds(exit)).toEqual({ models: all('unchanged'), snapshot: both('by key') });
    expect(leftAsTheyWere(exit).models).toEqual(WHOLE);
    expect(await snapshot(data)).toEqual(merged);
    await snapshotIsTheWarehouse(data);
    // A setting the classified dossiers read changes every dossier's row: rebuilt whole, then back.
    // Every model may read a setting (a macro does): none is left as it was.
    writeConfig(dir, inboxes, { reporting: { finished_date: 'result_returned' } });
    exit = await run();
    expect(builds(exit).models).toEqual({ [DOSSIERS]: 'unchanged' });
    expect(leftAsTheyWere(exit).models).toEqual([]);
    expect((await tables(data)).classified).not.toEqual(merged.classified);
    writeConfig(dir, inboxes);
    expect(builds(await run()).models).toEqual({ [DOSSIERS]: 'unchanged' });
    expect(await tables(data)).toEqual(merged);
    await snapshotIsTheWarehouse(data);
    // A snapshot changed by hand is not trusted: its changed tables are written again.
    const changed = await Warehouse.open(join(data, 'publish', 'current', 'cchc.duckdb'));
    await changed.run(`DELETE FROM ${DOSSIERS} WHERE dossier_id = (SELECT min(dossier_id) FROM ${DOSSIERS})`);
    await changed.run(`DELETE FROM marts.dim_unit WHERE unit_code = (SELECT min(unit_code) FROM marts.dim_unit)`);
    changed.close();
    exit = await run();
    expect(builds(exit).snapshot).toEqual({ [DOSSIERS]: 'whole', [CLASSIFIED]: 'by key' });
    expect(leftAsTheyWere(exit).models).toEqual(WHOLE);
    expect(await snapshot(data)).toEqual(merged);
    await snapshotIsTheWarehouse(data);
    // A rebuild from all of raw gives the same tables, and is copied whole.
    exit = await run('--full-refresh');
    expect(builds(exit)).toEqual({ models: {}, snapshot: both('whole') });
    expect(leftAsTheyWere(exit).models).toEqual([]);
    expect(await tables(data)).toEqual(merged);
    expect(await snapshot(data)).toEqual(merged);

    // A rating form comes alone from the portal, in a file the sample does not write (the
    // contract's column names, ';' between them): the models that read ratings are built again,
    // the others left as they were.
    const db = await Warehouse.open(':memory:');
    await db.run(`ATTACH ${literal(join(data, 'warehouse.duckdb'))} AS w (READ_ONLY)`);
    await db.run(
      `COPY (SELECT * EXCLUDE (_load_id, _file, _row) REPLACE (rating_id || '-late' AS rating_id) FROM w.raw.dvc__ratings ORDER BY rating_id LIMIT 1)
       TO ${literal(join(inboxes.dvc!, 'danh-gia-bo-sung.csv'))} (HEADER, DELIMITER ';')`,
    );
    db.close();
    exit = await run();
    expect(builds(exit).models).toEqual(all('unchanged'));
    const notRatings = wholeNotReading('raw.dvc__ratings');
    expect(notRatings.length).toBeLessThan(WHOLE.length);
    expect(leftAsTheyWere(exit).models).toEqual(notRatings);
    await snapshotIsTheWarehouse(data);
  }, 400_000);

  it('counts a dossier moved to another period out of the periods it left, as a rebuild would, though no period changed', async () => {
    const { inboxes, config, data } = await builtUntilW06();
    // A dossier received and resolved in February 2023, last updated long before the data ends.
    const [moved] = await queryFile(
      join(data, 'warehouse.duckdb'),
      `SELECT d.dossier_id, d.unit_code, s._file FROM ${CLASSIFIED} AS d JOIN ${DOSSIERS} AS s USING (dossier_id)
       WHERE d.received_date BETWEEN DATE '2023-02-06' AND DATE '2023-02-10' AND d.resolved_date < DATE '2023-02-25' AND s.updated_at < TIMESTAMP '2023-03-31'
         AND s._file LIKE '%.csv'
       ORDER BY dossier_id LIMIT 1`,
    );
    const february = async () =>
      (await queryFile(join(data, 'warehouse.duckdb'), `SELECT received_online + received_direct AS n FROM ${COUNTS} WHERE period_key = '2023-02' AND unit_code = '${String(moved!.unit_code)}'`))[0]!.n;
    const before = Number(await february());
    // Its source corrects its reception to August, in an update that moves no period's bounds:
    // its last exported row again, under the contract's column names, with the dates changed.
    await correctedToAugust(data, inboxes.motcua!, String(moved!.dossier_id));
    expect(builds(await runCchc(['run', '--config', config])).models).toEqual(all('increment'));
    expect(Number(await february())).toBe(before - 1);
    const merged = await tables(data);
    expect(builds(await runCchc(['run', '--config', config, '--full-refresh'])).models).toEqual({});
    expect(await tables(data)).toEqual(merged);
  }, 300_000);

  it('counts again the periods whose window moved when the classified dossiers did not change, as after a build of staging alone', async () => {
    const { inboxes, config, data } = await builtUntilW06();
    const from = join(sampleDir, 'motcua', 'inbox');
    for (const name of readdirSync(from).filter((n) => /^ho-so-2024-W0[7-9]/.test(n))) cpSync(join(from, name), join(inboxes.motcua!, name));
    // Staging takes the weeks and moves the periods' bounds; the classified dossiers wait.
    const built = async (...args: string[]) => {
      const exit = await runCchc(['run', '--config', config, ...args]);
      expect(exit.code, exit.stderr).toBe(0);
      return exit.lines.find((l) => l.msg === 'transform done')!.incremental;
    };
    expect(await built('--select', 'staging.motcua')).toEqual({ [DOSSIERS]: 'increment' });
    expect(await built('--select', COUNTS)).toEqual({ [COUNTS]: 'increment' });
    const counts = (await tables(data)).counts;
    expect(await built('--select', COUNTS, '--full-refresh')).toEqual({});
    expect((await tables(data)).counts).toEqual(counts);
  }, 300_000);
});
