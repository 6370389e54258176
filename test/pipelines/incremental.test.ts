// Incremental models: a night's exports are typed and merged into the dossiers of staging, the
// classified dossiers are rebuilt for the dossiers the merge changed, and both are the tables a
// rebuild from all of raw gives. Real runs of `cchc run`.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Warehouse } from '../../core/warehouse.js';
import { queryFile, tempDir } from '../helpers.js';
import { runCchc, sampleInboxes, writeConfig, type Exit } from '../processes.js';

const sampleDir = inject('sampleDir');
const UNTIL_W06 = { motcua: /^(danh-muc-tthc\.csv|ho-so-202[23]-.*|ho-so-2024-W0[1-6]\..*)$/, dvc: /\.csv$/, ngansach: /./ };

const DOSSIERS = 'staging.stg_motcua__dossiers';
const CLASSIFIED = 'intermediate.int_dossiers_classified';

/** The rows of both incremental models, in the warehouse or in a snapshot. */
async function tables(data: string, file = 'warehouse.duckdb') {
  const rows = (table: string) => queryFile(join(data, file), `SELECT * FROM ${table} ORDER BY dossier_id`);
  return { dossiers: await rows(DOSSIERS), classified: await rows(CLASSIFIED) };
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

const both = (how: string) => ({ [DOSSIERS]: how, [CLASSIFIED]: how });

describe('incremental models', () => {
  it('merges the new weeks into the dossiers of staging and the classified dossiers as a rebuild from all of raw would, and skips the work when nothing came', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, UNTIL_W06);
    const config = writeConfig(dir, inboxes);
    const data = join(dir, 'data');
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: {}, snapshot: both('whole') });
    const before = await tables(data);

    // Weeks 7 to 14 of 2024 hold new versions of dossiers received weeks before.
    const from = join(sampleDir, 'motcua', 'inbox');
    for (const name of readdirSync(from).filter((n) => /^ho-so-2024-W(0[7-9]|1\d)/.test(n))) cpSync(join(from, name), join(inboxes.motcua!, name));
    // The snapshot starts from the last release's and takes the merged dossiers by key.
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: both('increment'), snapshot: both('by key') });
    const merged = await tables(data);
    expect(merged.dossiers.some((row) => Number(row.versions) > 1 && String(row._file) >= 'ho-so-2024-W07')).toBe(true);
    // Dossiers closed by the new weeks, and dossiers they brought, in the classified ones too.
    const closedBefore = new Set(before.classified.filter((r) => r.closed_date !== null).map((r) => r.dossier_id));
    expect(merged.classified.some((r) => r.closed_date !== null && !closedBefore.has(r.dossier_id) && before.classified.some((b) => b.dossier_id === r.dossier_id))).toBe(true);
    expect(merged.classified.length).toBeGreaterThan(before.classified.length);
    expect(await snapshot(data)).toEqual(merged);

    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: both('unchanged'), snapshot: both('by key') });
    expect(await snapshot(data)).toEqual(merged);
    // A setting the classified dossiers read changes every dossier's row: rebuilt whole, then back.
    writeConfig(dir, inboxes, { reporting: { finished_date: 'result_returned' } });
    expect(builds(await runCchc(['run', '--config', config])).models).toEqual({ [DOSSIERS]: 'unchanged' });
    expect((await tables(data)).classified).not.toEqual(merged.classified);
    writeConfig(dir, inboxes);
    expect(builds(await runCchc(['run', '--config', config])).models).toEqual({ [DOSSIERS]: 'unchanged' });
    expect(await tables(data)).toEqual(merged);
    // A snapshot changed by hand is not trusted: copied whole again.
    const changed = await Warehouse.open(join(data, 'publish', 'current', 'cchc.duckdb'));
    await changed.run(`DELETE FROM ${DOSSIERS} WHERE dossier_id = (SELECT min(dossier_id) FROM ${DOSSIERS})`);
    changed.close();
    expect(builds(await runCchc(['run', '--config', config])).snapshot).toEqual({ [DOSSIERS]: 'whole', [CLASSIFIED]: 'by key' });
    expect(await snapshot(data)).toEqual(merged);
    // A rebuild from all of raw gives the same tables, and is copied whole.
    expect(builds(await runCchc(['run', '--config', config, '--full-refresh']))).toEqual({ models: {}, snapshot: both('whole') });
    expect(await tables(data)).toEqual(merged);
    expect(await snapshot(data)).toEqual(merged);
  });
});
