// Incremental staging: a night's exports are typed and merged into the dossiers of staging,
// and the result is the table a rebuild from all of raw gives. Real runs of `cchc run`.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Warehouse } from '../../core/warehouse.js';
import { queryFile, tempDir } from '../helpers.js';
import { runCchc, sampleInboxes, writeConfig, type Exit } from '../processes.js';

const sampleDir = inject('sampleDir');
const UNTIL_W06 = { motcua: /^(danh-muc-tthc\.csv|ho-so-202[23]-.*|ho-so-2024-W0[1-6]\..*)$/, dvc: /\.csv$/, ngansach: /./ };

function staging(data: string, file = 'warehouse.duckdb') {
  return queryFile(join(data, file), 'SELECT * FROM staging.stg_motcua__dossiers ORDER BY dossier_id');
}

const snapshot = (data: string) => staging(data, join('publish', 'current', 'cchc.duckdb'));

/** How the run built its incremental models, and wrote them into the snapshot, from its log lines. */
function builds(exit: Exit): { models: Record<string, string>; snapshot: Record<string, string> } {
  expect(exit.code, exit.stderr).toBe(0);
  return {
    models: exit.lines.find((l) => l.msg === 'transform done')!.incremental as Record<string, string>,
    snapshot: exit.lines.find((l) => l.msg === 'publish done')!.snapshot as Record<string, string>,
  };
}

const DOSSIERS = 'staging.stg_motcua__dossiers';

describe('incremental staging', () => {
  it('merges the new weeks into the dossiers of staging as a rebuild from all of raw would, and skips the work when nothing came', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, UNTIL_W06);
    const config = writeConfig(dir, inboxes);
    const data = join(dir, 'data');
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: {}, snapshot: { [DOSSIERS]: 'whole' } });

    // Weeks 7 to 14 of 2024 hold new versions of dossiers received weeks before.
    const from = join(sampleDir, 'motcua', 'inbox');
    for (const name of readdirSync(from).filter((n) => /^ho-so-2024-W(0[7-9]|1\d)/.test(n))) cpSync(join(from, name), join(inboxes.motcua!, name));
    // The snapshot starts from the last release's and takes the merged dossiers by key.
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: { [DOSSIERS]: 'increment' }, snapshot: { [DOSSIERS]: 'by key' } });
    const merged = await staging(data);
    expect(merged.some((row) => Number(row.versions) > 1 && String(row._file) >= 'ho-so-2024-W07')).toBe(true);
    expect(await snapshot(data)).toEqual(merged);

    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ models: { [DOSSIERS]: 'unchanged' }, snapshot: { [DOSSIERS]: 'by key' } });
    expect(await snapshot(data)).toEqual(merged);
    // A snapshot changed by hand is not trusted: copied whole again.
    const changed = await Warehouse.open(join(data, 'publish', 'current', 'cchc.duckdb'));
    await changed.run(`DELETE FROM ${DOSSIERS} WHERE dossier_id = (SELECT min(dossier_id) FROM ${DOSSIERS})`);
    changed.close();
    expect(builds(await runCchc(['run', '--config', config])).snapshot).toEqual({ [DOSSIERS]: 'whole' });
    expect(await snapshot(data)).toEqual(merged);
    // A rebuild is copied whole.
    expect(builds(await runCchc(['run', '--config', config, '--full-refresh']))).toEqual({ models: {}, snapshot: { [DOSSIERS]: 'whole' } });
    expect(await staging(data)).toEqual(merged);
    expect(await snapshot(data)).toEqual(merged);
  });
});
