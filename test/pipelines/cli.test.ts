// The `cchc` command as an operator runs it: real processes, exit codes, what they print.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inboxWith, sqlCopy, tempDir, writeText } from '../helpers.js';
import { runCchc } from '../processes.js';

const cchc = runCchc;

function configFor(files: string[], sqlDir?: string): string {
  const dir = tempDir();
  inboxWith(dir, files);
  const sql = sqlDir ? `  sql_dir: ${sqlDir}\n` : '';
  return writeText(join(dir, 'config.yaml'), `warehouse:\n  data_dir: ./data\n${sql}sources:\n  motcua:\n    inbox: ./inbox\n`);
}

describe('the cchc command', () => {
  it('runs the job, prints the headline indicators and where the outputs are, and exits 0', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv', 'motcua/ho-so-2024-W13.csv', 'motcua/ho-so-2024-W14.csv']);
    const { code, stdout, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Thành phố Đồng Hới\s+2024-Q1/);
    expect(stdout).toMatch(/to process\s+8/);
    expect(stdout).toContain(join('data', 'publish', 'current'));
    // Logs are JSON lines on stderr, with the run id on each.
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.every((l) => typeof l.run_id === 'string')).toBe(true);
    expect(lines.map((l) => l.msg)).toContain('publish done');
  });

  it('exits 1 and says what to do when an export cannot be loaded', async () => {
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-missing-column.csv']);
    const { code, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toContain('ho-so-missing-column.csv: missing required column received_at');
    expect(stderr).toContain('→ re-export the file with this column');
  });

  it('exits 1 naming the data test that failed and blocked publication', async () => {
    const sqlDir = sqlCopy({ 'tests/no_dossier_ever.sql': "/*\ndescription: Fails on any dossier.\n*/\nselect dossier_id from staging.stg_motcua__dossiers\n" });
    const config = configFor(['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv'], sqlDir);
    const { code, stdout, stderr } = await cchc(['run', '--config', config]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/\[transform\] 1 data test failed: no_dossier_ever \(5 rows\)/);
    expect(stdout).not.toContain('Published');
  });

  it('checks a config, its sources, seeds and models', async () => {
    const { code, stdout } = await cchc(['check', '--config', configFor([])]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/seeds, \d+ SQL models and \d+ data tests: valid/);
  });

  it('exits 2 naming the wrong key of a config', async () => {
    const config = writeText(join(tempDir(), 'config.yaml'), 'sources:\n  motcua:\n    inbox: ./inbox\nreporting:\n  period_window: weekly\n');
    const { code, stderr } = await cchc(['check', '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('reporting.period_window: Invalid option: expected one of "calendar"|"cutoff"');
  });
});
