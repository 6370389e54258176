// Who may read the files of a run. The data folder holds citizens' personal data (the landing
// zone, raw in warehouse.duckdb): it is the job's account's alone. The publish folder holds none:
// it is readable, never writable, by the group Metabase and the analysts run as
// (`warehouse.publish_group`), or by every account when no group is set. docs/security.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, type Stats } from 'node:fs';
import { chmod, chown, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Config } from '../../config/load.js';
import { CchcError } from '../../core/errors.js';

/**
 * The umask of the job: whatever it creates, DuckDB's files and spill files included, is the
 * owner's alone (folders 0700, files 0600) unless it is made readable on purpose.
 */
export const PRIVATE_UMASK = 0o077;

/** What the readers of the publish folder get: its group, or everyone when none is set. */
type PublishAccess = { gid?: number; dirMode: number; fileMode: number };

function publishAccess(config: Config): PublishAccess {
  const group = config.warehouse.publish_group;
  if (group === undefined) return { dirMode: 0o755, fileMode: 0o644 };
  return { gid: groupId(group), dirMode: 0o750, fileMode: 0o640 };
}

/**
 * Makes the data folder the owner's. Readers of a publish folder inside it need to pass through
 * it: they may enter it by a name they know (x), never list or read it. Everything else the job
 * keeps there is closed first (a folder from before the job made it private, whose files kept
 * 0644): each entry loses every right of the group and of others. An inbox inside it is the
 * operator's, with whatever rights the system that drops the exports needs: left as it is.
 */
export async function closeDataDir(config: Config): Promise<void> {
  const { dataDir, publishDir, inboxes } = await placesOf(config);
  const access = publishAccess(config);
  const passage = access.gid === undefined ? 0o711 : 0o710;
  const close = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir)) {
      const path = join(dir, entry);
      if (path === publishDir || inboxes.some((inbox) => inbox === path || isInside(inbox, path))) continue;
      if (isInside(publishDir, path)) await close(path);
      else await privately(path, async (info) => info.isSymbolicLink() || chmod(path, info.mode & 0o7700));
    }
    // Readers pass through to the publish folder; an inbox's system, to its inbox.
    const through = inboxes.some((inbox) => isInside(inbox, dir)) ? 0o711 : isInside(publishDir, dir) ? passage : 0o700;
    await privately(dir, async () => {
      await chmod(dir, through);
      if (isInside(publishDir, dir) && access.gid !== undefined) await changeGroup(dir, access.gid, config);
    });
  };
  await close(dataDir);
}

/** The data folder, the publish folder and the inboxes, with links resolved: compared as paths. */
async function placesOf(config: Config): Promise<{ dataDir: string; publishDir: string; inboxes: string[] }> {
  const inboxes = await Promise.all(Object.values(config.paths.inboxes).map((inbox) => real(inbox!)));
  return { dataDir: await real(config.paths.dataDir), publishDir: await real(config.paths.publishDir), inboxes };
}

/** Opens a release, the publish folder and its releases/ to their readers. */
export async function shareRelease(config: Config, release: string): Promise<void> {
  const access = publishAccess(config);
  await openToReaders(release, access, config);
  // Folders an operator may have made and owns: left as they are when the job cannot change them.
  for (const dir of [config.paths.publishDir, dirname(release)]) {
    await openToReaders(dir, access, config, false).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPERM' && !(error instanceof CchcError)) throw error;
    });
  }
}

/** Opens a release, or with `whole` false a folder alone, to its readers: read, never write. */
async function openToReaders(path: string, access: PublishAccess, config: Config, whole = true): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return;
  if (access.gid !== undefined) await changeGroup(path, access.gid, config);
  if (!info.isDirectory()) return chmod(path, access.fileMode);
  // The setgid bit an operator set on a shared folder stays: new files take its group.
  await chmod(path, (info.mode & 0o2000) | access.dirMode);
  if (whole) for (const entry of await readdir(path)) await openToReaders(join(path, entry), access, config);
}

/**
 * The paths of the data folder other accounts can read or enter, with the mode that lets them:
 * what `cchc check` warns of (a data folder made before the job made it private, or opened by hand).
 */
export async function exposedPaths(config: Config): Promise<{ path: string; mode: string }[]> {
  const { dataDir, publishDir, inboxes } = await placesOf(config);
  const exposed: { path: string; mode: string }[] = [];
  const visit = async (path: string): Promise<void> => {
    if (path === publishDir || inboxes.includes(path)) return;
    // The data folder itself may be a link to another disk: what it points at is what counts.
    const info = await (path === dataDir ? stat(path) : lstat(path)).catch(() => undefined);
    if (!info || info.isSymbolicLink()) return;
    // A folder on the way to the publish folder or an inbox may be entered by others, not read.
    const others = info.isDirectory() && [publishDir, ...inboxes].some((shared) => isInside(shared, path)) ? 0o066 : 0o077;
    if (info.mode & others) exposed.push({ path, mode: (info.mode & 0o777).toString(8).padStart(4, '0') });
    // A folder no other account can enter hides what is in it.
    if (info.isDirectory() && info.mode & 0o011) for (const entry of await readdir(path)) await visit(join(path, entry));
  };
  await visit(dataDir);
  return exposed;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && rel !== '..' && !rel.startsWith('../');
}

/** The path with its links resolved, as far as it exists: a publish folder given through a link into the data folder is inside it. */
async function real(path: string): Promise<string> {
  const found = await realpath(path).catch(() => undefined);
  if (found) return found;
  const parent = dirname(path);
  return parent === path ? path : join(await real(parent), relative(parent, path));
}

/** Changes the modes of a path of the data folder, or says what to do when it belongs to another account. */
async function privately(path: string, change: (info: Stats) => Promise<unknown>): Promise<void> {
  try {
    await change(await lstat(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new CchcError(`cannot make ${path} private to the job's account: ${code ?? String(error)}`, {
      action: 'run the job as the account that owns the data folder and everything in it (chown -R <account> <data_dir>)',
    });
  }
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

/** A group by number, or by name as the system knows it (getent: /etc/group, LDAP, SSSD). */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = systemGroup(group);
  if (!line) {
    throw new CchcError(`warehouse.publish_group names the group "${group}", which this machine does not have`, {
      action: 'create it (groupadd) and add the account Metabase runs as, or name an existing group',
    });
  }
  return Number(line.split(':')[2]);
}

function systemGroup(group: string): string | undefined {
  try {
    return execFileSync('getent', ['group', group], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch (error) {
    // Exit code 2: no such group. Without getent, the file it reads first.
    if ((error as { status?: number }).status === 2) return undefined;
    return readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.split(':')[0] === group);
  }
}

