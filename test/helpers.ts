// What the suites share: throwaway folders, configs that point the job at them, a logger whose
// lines the test can read back, and a way to query Parquet or a DuckDB file.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig, SQL_DIR } from '../config/load.js';
import { CONNECTORS } from '../connectors/registry.js';
import { createLogger, type Logger } from '../core/log.js';
import { Warehouse, type Row } from '../core/warehouse.js';
import { buildModels } from '../pipelines/models/build.js';
import { discoverModels } from '../pipelines/models/graph.js';
import { selectModels } from '../pipelines/models/selection.js';
import { writeSettings } from '../pipelines/models/settings.js';
import { keepBuild } from '../pipelines/models/swap.js';
import { deploymentReference, prepareWarehouse } from '../pipelines/setup/layout.js';

export { DONG_HOI, DONG_HOI_YAML, sampleConfig, type Inboxes } from './sample-config.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');


// One hook for the whole file: `afterAll` called inside a test body is never run, so folders
// made there were left behind (hundreds of MB per test run).
const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed when the test file ends. */
export function tempDir(prefix = 'cchc-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** A copy of sql/ to change, with these files added or replaced (paths relative to sql/). */
export function sqlCopy(files: Record<string, string> = {}): string {
  const dir = join(tempDir(), 'sql');
  cpSync(SQL_DIR, dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  return dir;
}

/** An inbox holding copies of the given fixture files (paths relative to test/fixtures). */
export function inboxWith(dir: string, files: string[]): string {
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox, { recursive: true });
  for (const file of files) cpSync(join(FIXTURES, file), join(inbox, file.split('/').pop()!));
  return inbox;
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}

export type CapturedLog = { log: Logger; lines: () => Record<string, unknown>[] };

/** A JSON logger whose lines the test reads back. */
export function capturedLog(level = 'info'): CapturedLog {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level, pretty: false, destination });
  return { log, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** An in-memory DuckDB for the suite: call the returned function inside tests. */
export function memoryWarehouse(): () => Warehouse {
  let db: Warehouse | undefined;
  beforeAll(async () => {
    db = await Warehouse.open(':memory:');
  });
  afterAll(() => db?.close());
  return () => db!;
}

type RawRow = Record<string, string | number | null>;

/**
 * The models of `select` built on an in-memory warehouse whose raw tables hold just the given
 * rows (columns by their canonical names, as text; _load_id and _row default to 1 and the
 * row's position). For unit tests of the models: given rows in, rows out.
 */
export async function modelsOn(raw: Record<string, RawRow[]>, select: string[], env: Record<string, string> = {}): Promise<Warehouse> {
  const db = await Warehouse.open(':memory:');
  const config = loadConfig({ env });
  await prepareWarehouse(db, CONNECTORS, { reference: deploymentReference(config) });
  for (const [table, rows] of Object.entries(raw)) {
    for (const [index, row] of rows.entries()) {
      const values = { _load_id: 1, _file: 'given.csv', _row: index + 2, ...row };
      const names = Object.keys(values);
      await db.run(`INSERT INTO ${table} (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(values));
    }
  }
  await writeSettings(db, config);
  await buildModels(db, selectModels(discoverModels(), select));
  await keepBuild(db);
  return db;
}

/** Runs a query against a throwaway in-memory DuckDB (read_parquet(...) and the like). */
export async function query<T = Row>(sql: string): Promise<T[]> {
  const db = await Warehouse.open(':memory:');
  try {
    return await db.all<T>(sql);
  } finally {
    db.close();
  }
}

/** Runs a query against a DuckDB file the job has closed. */
export async function queryFile<T = Row>(path: string, sql: string): Promise<T[]> {
  const db = await Warehouse.open(path);
  try {
    return await db.all<T>(sql);
  } finally {
    db.close();
  }
}

/** A webhook that records what it receives, failing the first `failFirst` requests. */
export function webhook(failFirst = 0) {
  const received: { body: Record<string, unknown>; status: number }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const status = received.length < failFirst ? 503 : 200;
    received.push({ body: JSON.parse(text) as Record<string, unknown>, status });
    res.writeHead(status).end();
  });
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { received, url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/cchc` };
}
