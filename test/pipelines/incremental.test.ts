// Incremental staging: a night's exports are typed and merged into the dossiers of staging,
// and the result is the table a rebuild from all of raw gives. Real runs of `cchc run`.
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { queryFile, tempDir } from '../helpers.js';
import { runCchc, sampleInboxes, writeConfig, type Exit } from '../processes.js';

const sampleDir = inject('sampleDir');
const UNTIL_W06 = { motcua: /^(danh-muc-tthc\.csv|ho-so-202[23]-.*|ho-so-2024-W0[1-6]\..*)$/, dvc: /\.csv$/, ngansach: /./ };

function staging(data: string) {
  return queryFile(join(data, 'warehouse.duckdb'), 'SELECT * FROM staging.stg_motcua__dossiers ORDER BY dossier_id');
}

/** How the run built its incremental models, from its 'transform done' log line. */
function builds(exit: Exit): Record<string, string> {
  expect(exit.code, exit.stderr).toBe(0);
  return exit.lines.find((l) => l.msg === 'transform done')!.incremental as Record<string, string>;
}

describe('incremental staging', () => {
  it('merges the new weeks into the dossiers of staging as a rebuild from all of raw would, and skips the work when nothing came', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(sampleDir, dir, UNTIL_W06);
    const config = writeConfig(dir, inboxes);
    const data = join(dir, 'data');
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({});

    // Weeks 7 to 14 of 2024 hold new versions of dossiers received weeks before.
    const from = join(sampleDir, 'motcua', 'inbox');
    for (const name of readdirSync(from).filter((n) => /^ho-so-2024-W(0[7-9]|1\d)/.test(n))) cpSync(join(from, name), join(inboxes.motcua!, name));
    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ 'staging.stg_motcua__dossiers': 'increment' });
    const merged = await staging(data);
    expect(merged.some((row) => Number(row.versions) > 1 && String(row._file) >= 'ho-so-2024-W07')).toBe(true);

    expect(builds(await runCchc(['run', '--config', config]))).toEqual({ 'staging.stg_motcua__dossiers': 'unchanged' });
    expect(builds(await runCchc(['run', '--config', config, '--full-refresh']))).toEqual({});
    expect(await staging(data)).toEqual(merged);
  });
});
