// What a run needs of the machine, said as such when it runs out: a full disk or DuckDB's memory
// limit is the operator's to fix, not a bug to report. Publishing checks the room first.
import { readdir, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../../config/load.js';
import { CchcError } from '../../core/errors.js';

/** A disk or the memory ran out: make room, then run again (the warehouse is as the last good run left it). */
export class ResourceError extends CchcError {}

/** Bytes free to this process on the file system that holds `path` (or its nearest existing parent). */
export async function freeBytes(path: string): Promise<number> {
  for (let at = path; ; at = dirname(at)) {
    try {
      const fs = await statfs(at);
      return fs.bavail * fs.bsize;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw error;
    }
  }
}

/** The size of the files under a folder (a release: its Parquet, snapshot and manifest). */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Refuses to start writing `what` into `dir` when the file system has less than `needed` bytes free. */
export async function ensureRoom(dir: string, needed: number, what: string): Promise<void> {
  const free = await freeBytes(dir);
  if (free >= needed) return;
  throw new ResourceError(`not enough space for ${what} in ${dir}: ${megabytes(free)} free, about ${megabytes(needed)} needed`, {
    action: `free ${megabytes(needed - free)} or more on the file system of ${dir} (lower warehouse.keep_releases to keep fewer releases), or move it to a larger disk; then run again`,
  });
}

/**
 * A failure that means the disk is full or DuckDB ran out of memory, told as such: where, how much
 * is free, what to change. Anything else is returned as it is.
 */
export async function explainResourceFailure(thrown: unknown, config: Config): Promise<unknown> {
  // A reader or a model wraps what DuckDB threw (as a bad file, a bad model): look inside.
  const error = resourceFailureIn(thrown);
  if (!error || error instanceof ResourceError) return error ?? thrown;
  if (isDiskFull(error)) {
    const { dataDir, publishDir, tempDir } = config.paths;
    const free: string[] = [];
    const devices = new Set<number>();
    for (const dir of [dataDir, publishDir, tempDir]) {
      const device = (await stat(dir).catch(() => undefined))?.dev;
      if (device !== undefined && devices.has(device)) continue; // the same file system as a folder named already
      if (device !== undefined) devices.add(device);
      free.push(`${dir}: ${megabytes(await freeBytes(dir).catch(() => 0))} free`);
    }
    return new ResourceError(`the disk is full: ${error.message}`, {
      action: `free space (${free.join('; ')}) or point warehouse.data_dir, warehouse.publish_dir or duckdb.temp_directory at a larger disk; then run again: what was committed stays, and \`current\` points at a whole release`,
      cause: error,
    });
  }
  return new ResourceError(`DuckDB ran out of memory: ${error.message.split('\n')[0]}`, {
    action: `raise duckdb.memory_limit (now ${config.duckdb.memory_limit}) or lower duckdb.threads (now ${config.duckdb.threads}), and check that duckdb.temp_directory has room to spill; then run again`,
    cause: error,
  });
}

/** The error, or one of its causes, that says a disk is full or DuckDB ran out of memory. */
export function resourceFailureIn(error: unknown): Error | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof ResourceError || isDiskFull(e) || e.message.startsWith('Out of Memory Error')) return e;
  }
  return undefined;
}

export function isDiskFull(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC' || /No space left on device|ENOSPC/i.test((error as Error | undefined)?.message ?? '');
}

function megabytes(bytes: number): string {
  return `${(Math.max(0, bytes) / 2 ** 20).toFixed(1)} MB`;
}
