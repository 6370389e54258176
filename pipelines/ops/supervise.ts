// `cchc schedule`, and `cchc run --supervised` (for cron and systemd), run the job in a child
// process and watch it. A run that dies of a signal (a segfault of the engine, the OOM killer) or
// exits in a way `cchc run` never chooses cannot record its own end: the supervisor closes it in
// the ledger as failed, naming the signal, frees its lock and sends the alert at once.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/load.js';
import { messageOf } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { Warehouse } from '../../core/warehouse.js';
import { sendAlert } from './alert.js';
import { closeInterruptedRuns, newSummary, type RunError, type Trigger } from './ledger.js';
import { acquireLock, deadLockHolder } from './lock.js';
import { PRIVATE_UMASK } from '../setup/modes.js';

const CLI = fileURLToPath(new URL('../../bin/cchc.js', import.meta.url));

/**
 * The run's environment: the supervisor's, with glibc's malloc held to two arenas unless the
 * operator set it. With an arena per thread (DuckDB's, libuv's, the extract's workers), memory
 * that DuckDB frees stays with the process: the bench's 30 M-row run peaked at 3,065 MB of RSS
 * with glibc's default, 2,415 MB with two arenas, under a 2 GB memory_limit
 * (`MALLOC_ARENA_MAX=16 npm run bench` measures the default on two cores).
 */
export function runEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' };
}

/** The exit codes of `cchc run` (docs/operations.md): each means the run recorded its own end. */
const RECORDED_EXITS = new Set([0, 1, 2, 3, 4]);

export type ChildEnd = { pid: number; code: number | null; signal: NodeJS.Signals | null };

/**
 * Runs `cchc run` with these arguments in a child process until it ends; records the run itself
 * if the child could not.
 */
export async function runSupervised(config: Config, log: Logger, trigger: Trigger, stop: AbortSignal, args: readonly string[] = []): Promise<ChildEnd> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config.file, '--trigger', trigger, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env: runEnv() });
  // The operator's stop reaches the run, which stops at its next step and records it.
  const forward = () => child.kill('SIGTERM');
  stop.addEventListener('abort', forward, { once: true });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  stop.removeEventListener('abort', forward);
  const end = { pid: child.pid ?? 0, code, signal };
  if (signal === null && code !== null && RECORDED_EXITS.has(code)) return end;
  await recordAbnormalEnd(config, log, end, trigger, { alert: !stop.aborted });
  return end;
}

/**
 * The ledger entry and the alert of a run whose process ended without recording it. Takes the
 * lock over from the dead run (another live run holding it will close the entry itself).
 */
export async function recordAbnormalEnd(config: Config, log: Logger, end: ChildEnd, trigger: Trigger, options: { alert: boolean }): Promise<void> {
  const how = end.signal ? `died of ${end.signal}` : `exited with code ${end.code}`;
  const error: RunError = {
    stage: 'unknown',
    message: `the run process (pid ${end.pid}) ${how} before the run finished`,
    action:
      'nothing to do for this night: what it committed stays, and the next run carries on. If it happens again, ' +
      'keep the log and see docs/operations.md, "When the run process dies"',
  };
  const dataDir = config.paths.dataDir;
  // As a run's: the lock and a WAL it may create sit in the data folder (setup/modes.ts).
  process.umask(PRIVATE_UMASK);
  const dead = await deadLockHolder(dataDir);
  const runId = dead?.run_id ?? `pid-${end.pid}`;
  log.error({ run_id: runId, pid: end.pid, signal: end.signal, code: end.code }, `the run process ${how}: recorded as failed`);
  try {
    const lock = await acquireLock(dataDir, { run_id: `${runId}.closed`, trigger, started_at: new Date().toISOString() }, log);
    try {
      const db = await Warehouse.open(config.paths.warehouse);
      try {
        await closeInterruptedRuns(db, dataDir, '', error);
      } finally {
        db.close();
      }
    } finally {
      await lock.release();
    }
  } catch (failure) {
    // A live run holds the lock, or the warehouse cannot be opened: that run, or the next, closes it.
    log.warn({ err: messageOf(failure) }, 'the dead run could not be closed in the ledger now; the next run will close it');
  }
  if (!options.alert) return;
  const now = new Date().toISOString();
  const summary = { ...newSummary({ runId, trigger, pid: end.pid, startedAt: dead?.started_at ?? now }), outcome: 'failed' as const, finishedAt: now, errors: [error] };
  await sendAlert(config.alerts, summary, log);
}
