// The job as the operator's machine runs it: `cchc` in a child process, with its JSON log lines
// read as they come, so that a test can act at a given point (kill it, start another run).
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { literal, Warehouse } from '../core/warehouse.js';
import { tempDir } from './helpers.js';
import { DONG_HOI } from './sample-config.js';

export const CCHC = join(import.meta.dirname, '..', 'bin', 'cchc.js');

export type LogLine = Record<string, unknown> & { msg: string };
export type Exit = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; lines: LogLine[] };

export type Running = {
  child: ChildProcess;
  /** Resolves with the first log line that matches (or rejects if the process ends first). */
  waitFor: (match: (line: LogLine) => boolean) => Promise<LogLine>;
  exited: Promise<Exit>;
};

export function startCchc(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [CCHC, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void; reject: (error: Error) => void }[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  createInterface({ input: child.stderr! }).on('line', (text) => {
    stderr += `${text}\n`;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    for (const waiter of waiters.filter((w) => w.match(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`cchc ${args.join(' ')} ended (${code ?? signal}) before the awaited log line; its log:\n${lines.map((l) => l.msg).join('\n')}`));
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
  const waitFor = (match: (line: LogLine) => boolean) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = lines.find(match);
      if (seen) resolve(seen);
      else if (child.exitCode !== null || child.signalCode !== null) reject(new Error('cchc has already ended'));
      else waiters.push({ match, resolve, reject });
    });
  return { child, waitFor, exited };
}

export function runCchc(args: string[], env: Record<string, string> = {}): Promise<Exit> {
  return startCchc(args, env).exited;
}

/** The first night of a small warehouse: the catalogue, six weeks of dossiers, a month of the portal, a quarter of budget. */
export const FIRST_NIGHT = { motcua: /^(danh-muc-tthc\.csv|ho-so-2024-W0[1-6]\..*)$/, dvc: /-2024-01\.csv$/, ngansach: /2024-Q1/ };

/** The sample's exports of 2022 and 2023 and up to week 6 of 2024, of every source. */
export const UNTIL_W06 = { motcua: /^(danh-muc-tthc\.csv|ho-so-202[23]-.*|ho-so-2024-W0[1-6]\..*)$/, dvc: /\.csv$/, ngansach: /./ };

/** A new deployment in a temporary folder whose inboxes hold the sample files `pick` matches: its folder, inboxes, config and data folder. */
export function sampleDeployment(sampleDir: string, pick: Record<string, RegExp>) {
  const dir = tempDir();
  const inboxes = sampleInboxes(sampleDir, dir, pick);
  return { dir, inboxes, config: writeConfig(dir, inboxes), data: join(dir, 'data') };
}

/**
 * A correction from the source, in a file the sample does not write: the last exported row of
 * `dossierId` again, under the contract's column names with ';' between them, its reception moved
 * to August 2023 and its other dates with it. Written to `<inbox>/ho-so-2024-W06-correction.csv`.
 */
export async function correctedToAugust(data: string, inbox: string, dossierId: string): Promise<void> {
  const db = await Warehouse.open(':memory:');
  try {
    await db.run(`ATTACH ${literal(join(data, 'warehouse.duckdb'))} AS w (READ_ONLY)`);
    await db.run(
      `COPY (SELECT * EXCLUDE (_load_id, _file, _row) REPLACE (
               NULL AS submitted_at, '14/08/2023 09:00' AS received_at, '25/08/2023' AS due_at,
               '21/08/2023 10:00' AS processing_finished_at, '22/08/2023 10:00' AS result_returned_at, '22/08/2023 10:05' AS updated_at)
             FROM w.raw.motcua__dossiers WHERE dossier_id = ${literal(dossierId)} ORDER BY _load_id DESC, _row DESC LIMIT 1)
       TO ${literal(join(inbox, 'ho-so-2024-W06-correction.csv'))} (HEADER, DELIMITER ';')`,
    );
  } finally {
    db.close();
  }
}

/** The inboxes `sampleInboxes` fills under `dir`. */
export function inboxesOf(dir: string): Record<string, string> {
  return { motcua: join(dir, 'motcua', 'inbox'), dvc: join(dir, 'dvc', 'inbox'), ngansach: join(dir, 'ngansach', 'inbox') };
}

/** Sample files whose names match, copied to `<dir>/<source>/inbox`. */
export function sampleInboxes(sampleDir: string, dir: string, pick: Record<string, RegExp>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(pick).map(([source, pattern]) => {
      const inbox = join(dir, source, 'inbox');
      mkdirSync(inbox, { recursive: true });
      const from = join(sampleDir, source, 'inbox');
      for (const name of readdirSync(from).filter((n) => pattern.test(n))) cpSync(join(from, name), join(inbox, name));
      return [source, inbox];
    }),
  );
}

/** A config file in `dir` for these inboxes, with the data folder at `<dir>/data`, plus any other settings. */
export function writeConfig(dir: string, inboxes: Record<string, string>, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config.yaml');
  const config = {
    warehouse: { data_dir: './data', ...(extra.warehouse as object) },
    deployment: DONG_HOI,
    ...extra,
    sources: Object.fromEntries(Object.entries(inboxes).map(([source, inbox]) => [source, { inbox }])),
  };
  writeFileSync(path, stringify(config));
  return path;
}

/**
 * Every mart of the current release, every raw table and the quarantine as sorted rows (without
 * their load ids, which a killed run may have used up), and the load ledger: equal when the data are.
 */
export async function warehouseContents(dataDir: string): Promise<Record<string, unknown>> {
  const db = await Warehouse.open(':memory:');
  try {
    const contents: Record<string, unknown> = {};
    const marts = join(dataDir, 'publish', 'current', 'marts');
    for (const file of readdirSync(marts).sort()) {
      contents[`mart ${file}`] = await db.all(`SELECT * FROM read_parquet('${join(marts, file)}') ORDER BY ALL`);
    }
    await db.run(`ATTACH '${join(dataDir, 'warehouse.duckdb')}' AS w (READ_ONLY)`);
    const tables = await db.all<{ name: string }>(
      `SELECT schema_name || '.' || table_name AS name FROM duckdb_tables() WHERE database_name = 'w' AND schema_name = 'raw' ORDER BY 1`,
    );
    for (const { name } of tables) contents[`rows of ${name}`] = await db.all(`SELECT * EXCLUDE (_load_id) FROM w.${name} ORDER BY ALL`);
    contents['quarantined rows'] = await db.all('SELECT * EXCLUDE (load_id) FROM w.ops.quarantine ORDER BY ALL');
    contents['loads by file'] = await db.all('SELECT source, sha256, rows_read, rows_loaded, rows_quarantined FROM w.ops.loads ORDER BY ALL');
    await db.run('DETACH w');
    return contents;
  } finally {
    db.close();
  }
}
