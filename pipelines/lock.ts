// The run lock: one file in the data folder, created exclusively, naming the process that holds
// it. A second run, whoever starts it, stops at once; a lock whose process is gone (a kill, a
// power cut) is taken over. DuckDB's own lock on the warehouse file stays as a second guard.
import { hostname } from 'node:os';
import { link, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CchcError } from './errors.js';
import type { Logger } from './log.js';

export const LOCK_FILE = 'cchc.lock';

export type LockHolder = { pid: number; host: string; run_id: string; trigger: string; started_at: string };

/** Another run holds the lock: this one does nothing (outcome `skipped`). */
export class RunLockedError extends CchcError {
  override readonly exitCode = 4;

  constructor(readonly holder: LockHolder, path: string) {
    super(`another run is in progress: ${holder.run_id} (${holder.trigger}, pid ${holder.pid} on ${holder.host}, since ${holder.started_at}); it holds ${path}`, {
      action: 'nothing to do: this run was skipped and the running one goes on; if that process is hung, stop it, and the next run takes the lock over',
      transient: true,
    });
  }
}

export type RunLock = { path: string; release: () => Promise<void> };

export async function acquireLock(dataDir: string, holder: Omit<LockHolder, 'pid' | 'host'>, log: Logger): Promise<RunLock> {
  const path = join(dataDir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), ...holder };
  // Written whole under a private name, then linked to the lock's name: link fails if the lock
  // exists, so no reader ever sees a half-written lock.
  const draft = `${path}.${process.pid}.tmp`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, path);
        return { path, release: () => releaseIf(path, mine) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(error, path);
      }
      const holderNow = await readHolder(path);
      if (holderNow && isAlive(holderNow)) throw new RunLockedError(holderNow, path);
      log.warn({ lock: path, holder: holderNow ?? 'unreadable' }, 'the run lock was left by a process that is gone: taking it over');
      await rm(path, { force: true });
    }
  } finally {
    await rm(draft, { force: true });
  }
}

/** Who holds the lock now, if anyone alive does. */
export async function lockHolder(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(join(dataDir, LOCK_FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** A process of this machine that still exists. A lock from another host is trusted as held. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseIf(path: string, mine: LockHolder): Promise<void> {
  const holder = await readHolder(path);
  if (holder?.pid === mine.pid && holder.run_id === mine.run_id) await unlink(path).catch(() => {});
}

function lockError(error: unknown, path: string): CchcError {
  return new CchcError(`cannot create the run lock ${path}: ${(error as Error).message}`, {
    action: "check that the data folder exists and that the job's user can write to it",
    cause: error,
  });
}
