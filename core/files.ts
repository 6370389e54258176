// Writing files so that a kill or a power cut leaves the old version or the new one, whole:
// written aside, flushed to disk, renamed over, and the folder flushed so the rename lasts.
import { open, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Flushes a file, or a folder's entries, to disk. */
export async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `text` in one step. */
export function writeFileDurably(path: string, text: string): Promise<void> {
  return replaceDurably(path, (temporary) => writeFile(temporary, text));
}

/** Replaces `path` in one step with what `write` writes to the temporary path it is given. */
export async function replaceDurably(path: string, write: (temporary: string) => Promise<unknown>): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await write(temporary);
    await syncPath(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncPath(dirname(path));
}

/** Flushes every file under a folder, then the folders themselves. */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(path);
    else if (entry.isFile()) await syncPath(path);
  }
  await syncPath(dir);
}
