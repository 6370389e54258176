// How an export reaches the landing zone: its bytes read once, for the hash, and not copied when
// they need not be. A read-only export (final: its system no longer writes it) is landed as a hard
// link to the same file; a writable one is copied, since it could still change under its hash.
import { chmodSync, cpSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { Warehouse } from '../../core/warehouse.js';
import { runJob } from '../../pipelines/run.js';
import { FIXTURES, sampleConfig, tempDir } from '../helpers.js';

async function landedFiles(warehouse: string): Promise<Map<string, string>> {
  const db = await Warehouse.openReadOnly(warehouse);
  try {
    const rows = await db.all<{ original_name: string; landed_path: string }>('SELECT original_name, landed_path FROM ops.landed_files');
    return new Map(rows.map((r) => [r.original_name, r.landed_path]));
  } finally {
    db.close();
  }
}

describe('landing an export', () => {
  it('links a read-only export, reached through a symbolic link too, copies a writable one, and names both by the hash of their bytes', async () => {
    const dir = tempDir();
    const exports = join(dir, 'exports');
    const inbox = join(dir, 'inbox');
    mkdirSync(exports);
    mkdirSync(inbox);
    for (const name of ['danh-muc-tthc.csv', 'ho-so-2024-W13.csv', 'ho-so-2024-W14.csv']) cpSync(join(FIXTURES, 'motcua', name), join(exports, name));
    chmodSync(join(exports, 'ho-so-2024-W13.csv'), 0o444);
    // The inbox holds links to the exports, as the benchmark's does.
    for (const name of ['danh-muc-tthc.csv', 'ho-so-2024-W13.csv', 'ho-so-2024-W14.csv']) symlinkSync(join(exports, name), join(inbox, name));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    const summary = await runJob(config, createLogger({ level: 'silent' }), { only: 'extract' });
    expect(summary.outcome).toBe('success');

    const landed = await landedFiles(config.paths.warehouse);
    const readOnly = landed.get('ho-so-2024-W13.csv')!;
    const writable = landed.get('ho-so-2024-W14.csv')!;
    expect(statSync(readOnly).ino).toBe(statSync(join(exports, 'ho-so-2024-W13.csv')).ino);
    expect(statSync(readOnly).nlink).toBe(2);
    expect(statSync(writable).ino).not.toBe(statSync(join(exports, 'ho-so-2024-W14.csv')).ino);
    expect(statSync(writable).nlink).toBe(1);
    for (const [name, path] of [['ho-so-2024-W13.csv', readOnly], ['ho-so-2024-W14.csv', writable]] as const) {
      const bytes = readFileSync(join(exports, name));
      expect(readFileSync(path).equals(bytes)).toBe(true);
      expect(path).toContain(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('keeps the lines of each export, counted in the same read as its hash, and the load reads the rows of that count', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    for (const name of ['danh-muc-tthc.csv', 'ho-so-2024-W13.csv']) cpSync(join(FIXTURES, 'motcua', name), join(inbox, name));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    for (const only of ['extract', 'load'] as const) expect((await runJob(config, createLogger({ level: 'silent' }), { only })).outcome).toBe('success');
    const db = await Warehouse.openReadOnly(config.paths.warehouse);
    try {
      const files = await db.all<{ original_name: string; lines: number; decomposed: boolean; rows_read: number }>(
        `SELECT f.original_name, f.lines, f.decomposed, l.rows_read FROM ops.landed_files AS f JOIN ops.loads AS l USING (source, sha256) ORDER BY 1`,
      );
      const lines = (name: string) => readFileSync(join(inbox, name), 'utf8').split('\n').filter((l) => l !== '').length;
      expect(files).toEqual([
        { original_name: 'danh-muc-tthc.csv', lines: lines('danh-muc-tthc.csv'), decomposed: false, rows_read: lines('danh-muc-tthc.csv') - 1 },
        { original_name: 'ho-so-2024-W13.csv', lines: lines('ho-so-2024-W13.csv'), decomposed: false, rows_read: lines('ho-so-2024-W13.csv') - 1 },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses an export with too many lines by the count made at landing, before DuckDB reads it', async () => {
    const dir = tempDir();
    const inbox = join(dir, 'inbox');
    mkdirSync(inbox);
    cpSync(join(FIXTURES, 'motcua', 'ho-so-2024-W13.csv'), join(inbox, 'ho-so-2024-W13.csv'));
    const config = sampleConfig(join(dir, 'data'), { motcua: inbox });
    const log = createLogger({ level: 'silent' });
    expect((await runJob(config, log, { only: 'extract' })).outcome).toBe('success');
    // The count the load finds in ops.landed_files, not one it makes again from the file.
    const db = await Warehouse.open(config.paths.warehouse);
    await db.run('UPDATE ops.landed_files SET lines = $1', [config.limits.max_rows_per_file + 2]);
    db.close();
    await runJob(config, log, { only: 'load' });
    const read = await Warehouse.openReadOnly(config.paths.warehouse);
    try {
      expect(await read.all('SELECT file_name, error FROM ops.load_failures')).toEqual([
        { file_name: 'ho-so-2024-W13.csv', error: `ho-so-2024-W13.csv: holds ${(config.limits.max_rows_per_file + 1).toLocaleString('en-US')} lines of records, more than limits.max_rows_per_file (${config.limits.max_rows_per_file.toLocaleString('en-US')})` },
      ]);
    } finally {
      read.close();
    }
  });
});
