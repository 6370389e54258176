// Readers see what is published, and nothing else: `cchc query` and Metabase's init SQL read the
// release and no other file (the landed exports, the warehouse), and a run leaves the data folder
// to its owner and the release readable, not writable, by the publish group.
import { execFile } from 'node:child_process';
import { chmodSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { METABASE_INIT } from '../../pipelines/stages/publish.js';
import { tempDir } from '../helpers.js';
import { runCchc, sampleInboxes, writeConfig } from '../processes.js';

const publishDir = inject('publishDir');
const dataDir = dirname(publishDir);
const landed = readdirSync(join(dataDir, 'landing', 'motcua'), { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.csv'))!;

/** The hostile queries of a reader, each with the file it tries to reach. */
const HOSTILE = [
  `SELECT content FROM read_text('/etc/hostname')`,
  `SELECT * FROM read_csv('${join(dataDir, 'landing', 'motcua', landed)}')`,
  `SELECT * FROM glob('${dataDir}/*')`,
  `SELECT * FROM read_blob('${join(dataDir, 'warehouse.duckdb')}')`,
  `SELECT * FROM read_text('${publishDir}/../warehouse.duckdb')`,
];

/** What Metabase's DuckDB driver takes as "already initialised" (metabase_duckdb_driver, `already-attached-error?`). */
function driverTakesAsInitialised(message: string): boolean {
  const m = message.toLowerCase();
  return m.includes('already attached') || (m.includes('attach') && m.includes('already exists'));
}

describe('cchc query', () => {
  const config = writeConfig(tempDir(), {}, { warehouse: { data_dir: './data', publish_dir: publishDir } });

  it.each(HOSTILE)('refuses %s, saying which files a query may read', async (sql) => {
    const result = await runCchc(['query', sql, '--config', config]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Permission Error: Cannot access file/);
    expect(result.stderr).toContain(`the only files a query may read are those of the release, under ${realpathSync(join(publishDir, 'current'))}/`);
  });

  it('refuses ATTACH, COPY, EXPLAIN ANALYZE of a COPY and a SET, and writes nothing', async () => {
    const release = realpathSync(join(publishDir, 'current'));
    for (const sql of [
      `ATTACH '${join(dataDir, 'warehouse.duckdb')}' AS w`,
      `COPY (SELECT 1) TO '${release}/x.csv'`,
      `/* a comment first */ EXPLAIN ANALYZE COPY (SELECT 1) TO '${release}/x.csv'`,
      `EXPLAIN /**/ ANALYZE COPY (SELECT 1) TO '${release}/x.csv'`,
      `EXPLAIN -- a comment between\nANALYZE COPY (SELECT 1) TO '${release}/x.csv'`,
      `EXPLAIN (ANALYZE) COPY (SELECT 1) TO '${release}/x.csv'`,
      'SET enable_external_access = true',
    ]) {
      const result = await runCchc(['query', sql, '--config', config]);
      expect(result.code, sql).not.toBe(0);
    }
    expect(readdirSync(release)).not.toContain('x.csv');
    const explained = await runCchc(['query', '/* the plan */ EXPLAIN SELECT count(*) FROM marts.dim_unit', '--config', config]);
    expect(explained.code).toBe(0);
  });

  it('runs with the configuration locked, and reads the Parquet of its own release', async () => {
    const locked = await runCchc(['query', `SELECT value FROM duckdb_settings() WHERE name IN ('lock_configuration', 'enable_external_access') ORDER BY name`, '--config', config, '--format', 'csv']);
    expect(locked.stdout).toBe('value\nfalse\ntrue\n');
    const parquet = await runCchc(['query', `SELECT count(*) AS n FROM read_parquet('${publishDir}/current/marts/fct_tthc_resolution.parquet')`, '--config', config, '--format', 'csv']);
    expect(parquet.stdout).toMatch(/^n\n[1-9]\d*\n$/);
  });
});

describe("Metabase's init SQL", () => {
  const init = readFileSync(join(publishDir, METABASE_INIT), 'utf8');

  it('runs as one string on a connection, then again on a clone of it as the driver does, and the report time zone can still be set', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const first = await instance.connect();
    await first.run(init);
    const clone = await instance.connect();
    const second = await clone.run(init).then(() => 'no error', (error: Error) => error.message);
    expect(driverTakesAsInitialised(second), second).toBe(true);
    await clone.run("SET TimeZone='Asia/Ho_Chi_Minh'");
    expect((await clone.runAndReadAll(`SELECT current_setting('TimeZone') AS tz`)).getRowObjectsJS()).toEqual([{ tz: 'Asia/Ho_Chi_Minh' }]);
    const city = await clone.runAndReadAll(`SELECT received_total::INTEGER AS n FROM fct_tthc_resolution WHERE scope = 'total' AND period_key = '2023'`);
    expect(city.getRowObjectsJS()).toEqual([{ n: 15755 }]);
    instance.closeSync();
  });

  it('leaves a Metabase user no file but the published ones, and no way to turn that back', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(init);
    for (const sql of [
      ...HOSTILE,
      `ATTACH '${join(dataDir, 'warehouse.duckdb')}' AS w (READ_ONLY)`,
      `COPY (SELECT 1) TO '${join(dataDir, 'x.csv')}'`,
      'SET enable_external_access = true',
      'RESET enable_external_access',
      `SET allowed_directories = ['/']`,
      `SET allowed_paths = ['${join(dataDir, 'warehouse.duckdb')}']`,
      'LOAD httpfs',
    ]) {
      await expect(connection.run(sql), sql).rejects.toThrow(/Permission Error|Cannot (change|enable)|disabled/);
    }
    const views = await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM fct_tthc_resolution');
    expect(views.getRowObjectsJS()[0]!.n).toBeGreaterThan(0);
    instance.closeSync();
  });
});

describe('the files of a run', () => {
  it('are the owner’s alone, but the release, which the publish group reads and cannot change', async () => {
    const dir = tempDir();
    const inboxes = sampleInboxes(inject('sampleDir'), dir, { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-2]\.csv)$/ });
    // A read-only export is landed by a hard link: the inbox's own file, hidden by landing/.
    const readOnly = join(inboxes.motcua!, 'ho-so-2024-W01.csv');
    chmodSync(readOnly, 0o444);
    const group = process.getgid!();
    const config = writeConfig(dir, inboxes, { warehouse: { data_dir: './data', publish_group: String(group) } });
    expect((await runCchc(['run', '--config', config])).code).toBe(0);

    const data = join(dir, 'data');
    const publish = join(data, 'publish');
    const modes: Record<string, string> = {};
    const walk = (path: string) => {
      const info = lstatSync(path);
      if (info.isSymbolicLink()) return;
      const shared = info.isFile() && info.ino === statSync(readOnly).ino;
      modes[path.slice(dir.length)] = shared ? 'inbox' : (info.mode & 0o777).toString(8) + (path.startsWith(publish) ? ` ${info.gid === group ? 'group' : info.gid}` : '');
      if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
    };
    walk(data);
    const kinds = new Set(Object.entries(modes).map(([path, mode]) => `${path.startsWith('/data/publish') ? 'publish' : path === '/data' ? 'data folder' : 'private'} ${lstatSync(join(dir, path)).isDirectory() ? 'folder' : 'file'} ${mode}`));
    expect([...kinds].sort()).toEqual(['data folder folder 710', 'private file 600', 'private file inbox', 'private folder 700', 'publish file 640 group', 'publish folder 750 group'].sort());
    expect(Object.keys(modes).some((p) => p.includes('warehouse.duckdb'))).toBe(true);
    expect(Object.keys(modes).filter((p) => p.startsWith('/data/landing/')).length).toBeGreaterThan(4);

    // cchc check says the folder is private; left open as a folder from before (umask 022), it
    // names what others can read, and the next run closes it again.
    expect((await runCchc(['check', '--config', config])).stdout).toContain('private to its owner');
    chmodSync(join(data, 'landing'), 0o755);
    chmodSync(join(data, 'warehouse.duckdb'), 0o644);
    const check = await runCchc(['check', '--config', config]);
    expect(check.stdout).toMatch(/warning: other accounts of this machine can read or enter 2 paths of the data folder[^\n]*\n {2}0755 .*\/data\/landing\n {2}0644 .*\/data\/warehouse\.duckdb\n/);
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    expect([statSync(join(data, 'landing')).mode & 0o777, statSync(join(data, 'warehouse.duckdb')).mode & 0o777]).toEqual([0o700, 0o600]);
    expect((await runCchc(['check', '--config', config])).stdout).toContain('private to its owner');
  });

  it.skipIf(process.getuid?.() !== 0)('let Metabase, as another account of the publish group, read the marts and write nothing into the release (needs root to run as another account)', async () => {
    // The reader's files must be readable by the other account: not the owner's alone.
    const umask = process.umask(0o022);
    onTestFinished(() => void process.umask(umask));
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const inboxes = sampleInboxes(inject('sampleDir'), dir, { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-2]\.csv)$/ });
    const nobody = { uid: 65534, gid: 65534 };
    const config = writeConfig(dir, inboxes, { warehouse: { data_dir: './data', publish_group: String(nobody.gid) } });
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    // The reader's own copy of the DuckDB client: the project's may sit in a folder only its owner enters.
    const reader = join(dir, 'reader');
    mkdirSync(join(reader, 'node_modules'), { recursive: true });
    for (const name of ['@duckdb', 'detect-libc']) cpSync(join('node_modules', name), join(reader, 'node_modules', name), { recursive: true });
    const publish = join(dir, 'data', 'publish');
    const release = realpathSync(join(publish, 'current'));
    writeFileSync(
      join(reader, 'read.mjs'),
      `import { readFileSync } from 'node:fs';
       import { DuckDBInstance } from '@duckdb/node-api';
       const c = await (await DuckDBInstance.create(':memory:')).connect();
       await c.run(readFileSync(${JSON.stringify(join(publish, METABASE_INIT))}, 'utf8'));
       const n = (await c.runAndReadAll("SELECT count(*)::INTEGER AS n FROM fct_tthc_resolution")).getRowObjectsJS()[0].n;
       const copy = await c.run("COPY (SELECT 1) TO '${release}/marts/fct_tthc_resolution.parquet'").then(() => 'written', (e) => e.message);
       let warehouse = 'read';
       try { readFileSync(${JSON.stringify(join(dir, 'data', 'warehouse.duckdb'))}); } catch (error) { warehouse = error.code; }
       console.log(JSON.stringify({ n, copy, warehouse }));`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['read.mjs'], { cwd: reader, ...nobody });
    const seen = JSON.parse(stdout) as { n: number; copy: string; warehouse: string };
    expect(seen.n).toBeGreaterThan(0);
    expect(seen.copy).toMatch(/Permission denied|Cannot open file/i);
    expect(seen.warehouse).toBe('EACCES');
    expect(statSync(join(release, 'marts', 'fct_tthc_resolution.parquet')).size).toBeGreaterThan(100);
  });
});
