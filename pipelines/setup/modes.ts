// Who may read the files of a run. The data folder holds citizens' personal data (the landing
// zone, raw in warehouse.duckdb): it is the job's account's alone. The publish folder holds none:
// it is readable, never writable, by the group Metabase and the analysts run as
// (`warehouse.publish_group`), or by every account when no group is set. docs/security.md.
import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Config } from '../../config/load.js';
import { CchcError } from '../../core/errors.js';

/**
 * The umask of a run: whatever it creates, DuckDB's files and spill files included, is the
 * owner's alone (folders 0700, files 0600) unless it is made readable on purpose.
 */
export const PRIVATE_UMASK = 0o077;

/** What the readers of the publish folder get: its group, or everyone when none is set. */
export type PublishAccess = { gid?: number; dirMode: number; fileMode: number };

export function publishAccess(config: Config): PublishAccess {
  const group = config.warehouse.publish_group;
  if (group === undefined) return { dirMode: 0o755, fileMode: 0o644 };
  return { gid: groupId(group), dirMode: 0o750, fileMode: 0o640 };
}

/**
 * Makes the data folder the owner's. Readers of a publish folder inside it need to pass through
 * it: they get the right to enter it by a name they know (x), never to list or read it, and
 * every folder and file in it but the publish folder is the owner's alone.
 */
export async function closeDataDir(config: Config, access: PublishAccess): Promise<void> {
  const { dataDir, publishDir } = config.paths;
  const inside = isInside(publishDir, dataDir);
  await chmod(dataDir, !inside ? 0o700 : access.gid === undefined ? 0o711 : 0o710).catch((error: NodeJS.ErrnoException) => {
    throw new CchcError(`cannot make the data folder ${dataDir} private: ${error.code}`, {
      action: "run the job as the account that owns the data folder, or give it that folder (chown)",
    });
  });
  if (inside && access.gid !== undefined) await changeGroup(dataDir, access.gid, config);
}

/** Opens a release, the publish folder and its releases/ to their readers. */
export async function shareRelease(config: Config, release: string): Promise<void> {
  const access = publishAccess(config);
  await openToReaders(release, access, config);
  for (const dir of [config.paths.publishDir, dirname(release)]) await openToReaders(dir, access, config, false);
}

/** Opens a release, or with `whole` false a folder alone, to its readers: read, never write. */
async function openToReaders(path: string, access: PublishAccess, config: Config, whole = true): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return;
  if (access.gid !== undefined) await changeGroup(path, access.gid, config);
  if (!info.isDirectory()) return chmod(path, access.fileMode);
  await chmod(path, access.dirMode);
  if (whole) for (const entry of await readdir(path)) await openToReaders(join(path, entry), access, config);
}

/**
 * The paths of the data folder other accounts can read or enter, with the mode that lets them:
 * what `cchc check` warns of (a data folder made before the job made it private, or opened by hand).
 */
export async function exposedPaths(config: Config): Promise<{ path: string; mode: string }[]> {
  const { dataDir, publishDir } = config.paths;
  const exposed: { path: string; mode: string }[] = [];
  const visit = async (path: string): Promise<void> => {
    if (path === publishDir) return;
    const info = await lstat(path).catch(() => undefined);
    if (!info || info.isSymbolicLink()) return;
    // The data folder may be entered by the readers of a publish folder inside it, not read.
    const others = path === dataDir && isInside(publishDir, dataDir) ? 0o066 : 0o077;
    if (info.mode & others) exposed.push({ path, mode: (info.mode & 0o777).toString(8).padStart(4, '0') });
    // A folder no other account can enter hides what is in it.
    if (info.isDirectory() && info.mode & 0o011) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(dataDir);
  return exposed;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/');
}

async function changeGroup(path: string, gid: number, config: Config): Promise<void> {
  const { uid, gid: current } = await stat(path);
  if (current === gid) return;
  await chown(path, uid, gid).catch((error: NodeJS.ErrnoException) => {
    throw new CchcError(`cannot give ${path} to the group ${config.warehouse.publish_group} (warehouse.publish_group): ${error.code}`, {
      action: "add the job's account to that group (usermod -aG <group> <account>), then log in again",
    });
  });
}

/** A group by name (from /etc/group) or number. */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  if (!line) {
    throw new CchcError(`warehouse.publish_group names the group "${group}", which this machine does not have`, {
      action: 'create it (groupadd) and add the account Metabase runs as, or name an existing group',
    });
  }
  return Number(line.split(':')[2]);
}
