// The run lock: one file in the data folder, created exclusively, naming the process that holds
// it. A second run, whoever starts it, stops at once; a lock whose process is gone (a kill, a
// power cut, a restarted container) is taken over. DuckDB's own lock on the warehouse file
// stays as a second guard.
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CchcError, messageOf } from '../../core/errors.js';
import { syncPath } from '../../core/files.js';
import type { Logger } from '../../core/log.js';

export const LOCK_FILE = 'cchc.lock';

export type LockHolder = {
  pid: number;
  host: string;
  run_id: string;
  trigger: string;
  started_at: string;
  /** Linux: the boot and the process's start time, so that a pid reused after a restart is not taken for the holder. */
  boot_id?: string;
  process_start?: string;
};

/** Another run holds the lock: this one does nothing (outcome `skipped`). */
export class RunLockedError extends CchcError {
  override readonly exitCode = 4;

  constructor(readonly holder: LockHolder, path: string) {
    super(`another run is in progress: ${holder.run_id} (${holder.trigger}, pid ${holder.pid} on ${holder.host}, since ${holder.started_at}); it holds ${path}`, {
      action:
        holder.host === hostname()
          ? 'nothing to do: this run was skipped and the running one goes on; if that process is hung, stop it, and the next run takes the lock over'
          : `nothing to do if that run is going on; if ${holder.host} no longer runs the job (a replaced machine or container), delete ${path}`,
    });
  }
}

export type RunLock = { release: () => Promise<void> };

export async function acquireLock(dataDir: string, holder: Pick<LockHolder, 'run_id' | 'trigger' | 'started_at'>, log: Logger): Promise<RunLock> {
  const path = join(dataDir, LOCK_FILE);
  const { boot_id, process_start } = processIdentity(process.pid);
  const mine: LockHolder = { pid: process.pid, host: hostname(), ...holder, boot_id, process_start };
  // Written whole under a private name, then linked to the lock's name: link fails if the lock
  // exists, so no reader ever sees a half-written lock.
  const draft = `${path}.${process.pid}.tmp`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  await syncPath(draft);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(draft, path);
        await syncPath(dataDir);
        return { release: () => releaseIf(path, mine) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(error, path);
      }
      const current = await readHolder(path);
      if (current && isAlive(current)) throw new RunLockedError(current, path);
      await takeOver(path, current, log);
    }
    const current = await readHolder(path);
    throw current ? new RunLockedError(current, path) : lockError(new Error('another run keeps taking it'), path);
  } finally {
    await rm(draft, { force: true });
  }
}

/**
 * Moves a dead holder's lock aside under a name of our own (one rename: of two runs taking over
 * at once, one moves it), and checks that what was moved is the dead lock: a live lock that a
 * faster run put there in between goes back.
 */
async function takeOver(path: string, dead: LockHolder | undefined, log: Logger): Promise<void> {
  const aside = `${path}.stale.${process.pid}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw lockError(error, path);
  }
  const moved = await readHolder(aside);
  if (moved && isAlive(moved)) {
    await link(aside, path).catch(() => {});
    await rm(aside, { force: true });
    throw new RunLockedError(moved, path);
  }
  await rm(aside, { force: true });
  log.warn({ lock: path, holder: dead ?? 'unreadable' }, 'the run lock was left by a process that is gone: taking it over');
}

/** Who holds the lock now, if anyone alive does. */
export async function lockHolder(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(join(dataDir, LOCK_FILE));
  return holder && isAlive(holder) ? holder : undefined;
}

/** The holder of a lock left by a process that is gone (killed, crashed): the run it was doing. */
export async function deadLockHolder(dataDir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(join(dataDir, LOCK_FILE));
  return holder && !isAlive(holder) ? holder : undefined;
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** Whether the holder still runs. A lock from another host is trusted as held. */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  // This process is not holding it: an earlier life of the same pid (a container's pid 1) was.
  if (holder.pid === process.pid) return false;
  const now = processIdentity(holder.pid);
  // Killed and not yet reaped by its parent: a zombie runs nothing and holds nothing.
  if (now.state === 'Z') return false;
  if (now.boot_id !== undefined && holder.boot_id !== undefined) {
    return now.boot_id === holder.boot_id && now.process_start === holder.process_start;
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** On Linux, the boot id, the start time and the state of a process (undefined when it does not exist). */
function processIdentity(pid: number): Pick<LockHolder, 'boot_id' | 'process_start'> & { state?: string } {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    let start: string | undefined;
    let state: string | undefined;
    try {
      // Fields 3 (state) and 22 (start time), counted after the command name, which may hold
      // spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      state = fields[0];
      start = fields[19];
    } catch {
      start = 'gone';
    }
    return { boot_id: bootId, process_start: start, state };
  } catch {
    return {};
  }
}

async function releaseIf(path: string, mine: LockHolder): Promise<void> {
  const holder = await readHolder(path);
  if (holder?.pid === mine.pid && holder.run_id === mine.run_id) await unlink(path).catch(() => {});
}

function lockError(error: unknown, path: string): CchcError {
  return new CchcError(`cannot create the run lock ${path}: ${messageOf(error)}`, {
    action: "check that the data folder exists and that the job's user can write to it",
    cause: error,
  });
}
