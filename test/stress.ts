// The stress loop that looks for a crash of the engine (issue: DuckDB 1.5.6 was reported to kill
// a run with SIGSEGV now and then). Real runs of `cchc run` in child processes, on a small
// warehouse that grows by a week of exports a night, with CPU burners beside them: half the nights
// incremental, half `--full-refresh`, every other warehouse under a low `duckdb.memory_limit` so
// that DuckDB spills. Between the runs, the bindings are driven in-process with the project's own
// patterns (scripts of prepared statements destroyed after use, appenders, several connections
// with statements in flight at once, swaps by rename, snapshots written by ATTACH and COPY).
//
// A run that dies of a signal is a failure: its core file (when the kernel writes one into the
// run's folder) is read with gdb where gdb is installed, and the backtrace saved beside the report.
// Exit 0 when every run succeeded, 1 otherwise.
//
//   npm run stress -- [--runs 40] [--burners 2] [--per-warehouse 10] [--memory-limit 96MB]
//                     [--bindings-rounds 20] [--keep] [--out <report.json>]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../config/load.js';
import { Warehouse } from '../core/warehouse.js';
import { generateSample, sampleLayout } from '../sample/index.js';
import { CCHC, FIRST_NIGHT, inboxesOf, sampleInboxes, writeConfig } from './processes.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '40' },
    burners: { type: 'string', default: '2' },
    'per-warehouse': { type: 'string', default: '10' },
    'memory-limit': { type: 'string', default: '96MB' },
    'bindings-rounds': { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const RUNS = Number(args.runs);
const BURNERS = Number(args.burners);
const PER_WAREHOUSE = Number(args['per-warehouse']);
const LOW_MEMORY = args['memory-limit'];
const BINDINGS_ROUNDS = Number(args['bindings-rounds']);
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT', 'SIGILL', 'SIGFPE']);

type Run = { run: number; warehouse: number; mode: 'first' | 'night' | 'full-refresh'; memory_limit: string; code: number | null; signal: string | null; seconds: number; backtrace?: string };

const work = mkdtempSync(join(tmpdir(), 'cchc-stress-'));
const burners: ChildProcess[] = [];
const runs: Run[] = [];
let bindingsRounds = 0;

try {
  const started = Date.now();
  const sampleDir = join(work, 'sample');
  const { register, sample } = loadConfig();
  await generateSample(sampleDir, { seed: sample?.seed, register, plan: sample?.plan });
  const weeks = readdirSync(sampleLayout(sampleDir).motcuaInbox)
    .filter((name) => /^ho-so-2024-W\d\d\./.test(name))
    .sort();
  for (let i = 0; i < BURNERS; i++) burners.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  log(`${RUNS} runs, ${BURNERS} CPU burners, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; work folder ${work}`);
  // The kernel writes a crash's core into the run's folder only when core_pattern is a plain name.
  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
  if (corePattern.startsWith('|') || corePattern.includes('/')) log(`core_pattern is "${corePattern}": a crash's core file goes there, and no backtrace will be read here`);

  let warehouse = -1;
  let dir = '';
  let config = '';
  let week = 0;
  for (let run = 0; run < RUNS; run++) {
    if (run % PER_WAREHOUSE === 0) {
      // A new warehouse: the catalogue, six weeks of dossiers, a month of the portal, a quarter of budget.
      warehouse++;
      dir = join(work, `warehouse-${warehouse}`);
      sampleInboxes(sampleDir, dir, FIRST_NIGHT);
      week = weeks.findIndex((name) => name.startsWith('ho-so-2024-W07'));
    }
    const memoryLimit = warehouse % 2 === 1 ? LOW_MEMORY : '2GB';
    config = writeConfig(dir, inboxesOf(dir), { duckdb: { memory_limit: memoryLimit, threads: 2 } });
    const mode: Run['mode'] = run % PER_WAREHOUSE === 0 ? 'first' : run % 2 === 1 ? 'night' : 'full-refresh';
    if (mode === 'night' && week < weeks.length) cpSync(join(sampleLayout(sampleDir).motcuaInbox, weeks[week]!), join(dir, 'motcua', 'inbox', weeks[week++]!));
    const result = await runOnce(run, config, mode === 'full-refresh' ? ['--full-refresh'] : []);
    runs.push({ run, warehouse, mode, memory_limit: memoryLimit, ...result });
    log(`run ${run + 1}/${RUNS} (warehouse ${warehouse}, ${mode}, memory_limit ${memoryLimit}): ${result.signal ?? `exit ${result.code}`} in ${result.seconds.toFixed(1)} s`);
    if (result.backtrace) log(`backtrace saved: ${result.backtrace}`);

    // Between runs, the bindings in-process, with the burners still going.
    for (let i = 0; i < Math.ceil(BINDINGS_ROUNDS / RUNS) && bindingsRounds < BINDINGS_ROUNDS; i++) await bindingsRound(join(work, 'bindings'), bindingsRounds++);
  }

  const crashed = runs.filter((r) => r.signal !== null);
  const failed = runs.filter((r) => r.signal === null && r.code !== 0);
  const report = {
    date: new Date().toISOString(),
    machine: { cores: availableParallelism(), memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version },
    burners: BURNERS,
    runs: runs.length,
    by_mode: countBy(runs, (r) => `${r.mode}, memory_limit ${r.memory_limit}`),
    died_of_a_signal: crashed.length,
    segfaults: runs.filter((r) => r.signal === 'SIGSEGV').length,
    failed_otherwise: failed.length,
    bindings_rounds: bindingsRounds,
    minutes: Math.round((Date.now() - started) / 600) / 100,
    failures: [...crashed, ...failed],
  };
  if (args.out) writeFileSync(args.out, `${JSON.stringify({ ...report, runs_detail: runs }, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  process.exitCode = crashed.length + failed.length === 0 ? 0 : 1;
} finally {
  for (const burner of burners) burner.kill('SIGKILL');
  if (!args.keep && runs.every((r) => r.signal === null && r.code === 0)) rmSync(work, { recursive: true, force: true });
  else console.error(`kept for inspection: ${work}`);
}

/** One `cchc run` in a folder of its own, with core dumps on: a crash leaves `core` there. */
function runOnce(run: number, config: string, extra: string[]): Promise<Omit<Run, 'run' | 'warehouse' | 'mode' | 'memory_limit'>> {
  const cwd = join(work, 'runs', String(run));
  mkdirSync(cwd, { recursive: true });
  const started = Date.now();
  const child = spawn('sh', ['-c', 'ulimit -c unlimited 2>/dev/null; exec "$@" 2>stderr.log', 'sh', process.execPath, CCHC, 'run', '--config', config, ...extra], {
    cwd,
    stdio: 'ignore',
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      const seconds = (Date.now() - started) / 1000;
      const backtrace = signal && CRASH_SIGNALS.has(signal) ? readCore(cwd) : undefined;
      if (code === 0 && !signal) rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal, seconds, backtrace });
    });
  });
}

/** The native backtrace of every thread, from the core file the kernel left in `cwd`, with gdb. */
function readCore(cwd: string): string | undefined {
  const core = readdirSync(cwd).find((name) => /^core(\.\d+)?$/.test(name));
  if (!core) return undefined;
  const gdb = spawnSync('gdb', ['-batch', '-ex', 'thread apply all bt', process.execPath, join(cwd, core)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (gdb.error) return undefined;
  const path = join(cwd, 'backtrace.txt');
  writeFileSync(path, gdb.stdout + gdb.stderr);
  return path;
}

/**
 * The bindings driven as the job drives them, on a file database: a table filled by an appender,
 * scripts run statement by statement (prepared, run, destroyed), a model swapped in by rename, a
 * snapshot written by ATTACH and COPY to Parquet, and four connections with statements in flight at
 * the same time on one instance.
 */
async function bindingsRound(dir: string, round: number): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = await Warehouse.open(join(dir, 'w.duckdb'), { threads: 2, memory_limit: round % 2 ? LOW_MEMORY : '1GB', temp_directory: join(dir, 'tmp') });
  try {
    await db.run('CREATE TABLE raw (id BIGINT, unit VARCHAR, received DATE, days INTEGER, payload VARCHAR)');
    const appender = await db.appender('raw');
    for (let i = 0; i < 200_000; i++) {
      appender.appendBigInt(BigInt(i));
      appender.appendVarchar(`U${i % 37}`);
      appender.appendVarchar(`2024-0${1 + (i % 9)}-1${i % 10}`);
      appender.appendInteger(i % 91);
      appender.appendVarchar(`dossier ${i} ${'x'.repeat(i % 50)}`);
      appender.endRow();
    }
    appender.flushSync();
    appender.closeSync();
    await db.runScript(`
      CREATE OR REPLACE TABLE mart__next AS
        SELECT *, row_number() OVER (PARTITION BY unit ORDER BY quarter) AS k
        FROM (SELECT unit, date_trunc('quarter', received::DATE) AS quarter, count(*) AS n, sum(days) AS days FROM raw GROUP BY ALL);
      DROP TABLE IF EXISTS mart__previous;
      CREATE TABLE IF NOT EXISTS mart AS SELECT * FROM mart__next LIMIT 0;
      BEGIN; ALTER TABLE mart RENAME TO mart__previous; ALTER TABLE mart__next RENAME TO mart; COMMIT;
      DROP TABLE mart__previous;
      CHECKPOINT;`);
    await db.run(`ATTACH '${join(dir, 'snapshot.duckdb')}' AS s`);
    await db.run('CREATE TABLE s.mart AS SELECT * FROM mart');
    await db.run(`COPY (SELECT * FROM raw ORDER BY id) TO '${join(dir, 'raw.parquet')}' (FORMAT parquet)`);
    await db.run('DETACH s');
    const [check] = await db.all<{ n: number }>('SELECT sum(n) AS n FROM mart');
    if (check!.n !== 200_000) throw new Error(`bindings round ${round}: the mart counts ${check!.n} rows, not 200000`);
  } finally {
    db.close();
  }
  // Statements in flight at once, on four connections of one instance (the job keeps one; a reader
  // such as Metabase opens several), results released while the others still run.
  const instance = await DuckDBInstance.create(join(dir, 'w.duckdb'), { threads: '2' });
  const connections = await Promise.all([0, 1, 2, 3].map(() => instance.connect()));
  await Promise.all(
    connections.map(async (c, i) => {
      const result = await c.runAndReadAll(`SELECT unit, count(DISTINCT payload) AS n, max(days) FROM raw WHERE id % 4 = ${i} GROUP BY unit ORDER BY unit`);
      if (result.currentRowCount !== 37) throw new Error(`bindings round ${round}: connection ${i} read ${result.currentRowCount} units, not 37`);
    }),
  );
  for (const c of connections) c.closeSync();
  instance.closeSync();
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function log(message: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}
