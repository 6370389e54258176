// Stage 1, extract: brings each new export from a source's inbox, and each page pulled from its
// API, into the landing zone, stored once by content hash (landing/<source>/<date>/<sha256>.<ext>).
// Content landed before, under any name, is skipped. Content is written under a temporary name
// and renamed only when whole (a copied file must have the hash it was landed for): a crash or a
// file still being written never leaves half a file where a landed one should be.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, constants, copyFile, link, mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { pullPages } from '../../connectors/api.js';
import type { TableContract } from '../../connectors/contract.js';
import { tableForFile, type ConfiguredSource } from '../../connectors/registry.js';
import { SourceFileError } from '../../core/errors.js';
import { FilePasses, type FilePass } from '../../core/file-passes.js';
import { syncPath, writeFileDurably } from '../../core/files.js';
import type { Logger } from '../../core/log.js';
import { stopIfAsked, type RunContext } from '../context.js';

export type ExtractResult = { landed: number; skipped: number; ignored: string[] };

/** Re-pull [from, to) of the APIs (`cchc backfill`), as yyyyMMddHHmmss, instead of pulling from the cursor. */
export type PullWindow = { from: string; to: string };

export async function extractSource(ctx: RunContext, source: ConfiguredSource, window?: PullWindow): Promise<ExtractResult> {
  const result: ExtractResult = { landed: 0, skipped: 0, ignored: [] };
  const log = ctx.log.child({ stage: 'extract', source: source.contract.name });
  if (source.inbox && !window) await extractInbox(ctx, source, source.inbox, result, log);
  if (source.api) await pullApi(ctx, source, result, log, window);
  log.info({ landed: result.landed, skipped: result.skipped }, 'extract done');
  return result;
}

type InboxFile = { name: string; path: string; table: TableContract; size: number; mtimeMs: number };

async function extractInbox(ctx: RunContext, source: ConfiguredSource, inbox: string, result: ExtractResult, log: Logger): Promise<void> {
  const files = await filesToLand(ctx, source, inbox, result);
  // Each file read once, ahead of its landing and in its order, two at a time (core/file-passes.ts).
  const passes = new FilePasses();
  const reads = files.map((f) => passes.pass(f.path));
  // Each is awaited in turn below; those after a stop or a failure are left unread.
  for (const read of reads) read.catch(() => {});
  ctx.progress.start(`extract ${source.contract.name}`, files.length, 'files');
  try {
    for (const [i, file] of files.entries()) {
      stopIfAsked(ctx);
      ctx.progress.advance(file.name);
      const seen = { source: source.contract.name, name: file.name, bytes: file.size, mtime: file.mtimeMs };
      const landed = await land(ctx, source, file.name, extname(file.name), (to) => placeRead(file, to, reads[i]!));
      if (landed === 'changed') {
        log.warn({ file: file.name }, 'the file changed while it was being copied (still being written?): it will be landed by the next run');
        continue;
      }
      if ('known' in landed) {
        await ctx.db.run('INSERT OR REPLACE INTO ops.inbox_duplicates VALUES ($source, $name, $bytes, $mtime, $sha, current_timestamp, $run)', { ...seen, sha: landed.known, run: ctx.runId });
        log.info({ file: file.name, sha256: landed.known }, 'the content of this file was landed before under another name: skipped, and not read again while it stays as it is');
        result.skipped++;
        continue;
      }
      const { path: landedPath, sha256 } = landed;
      const { lines, decomposed } = await reads[i]!;
      await recordLanded(ctx, source, file.table, file.name, sha256, landedPath, file.size, file.mtimeMs, { lines, decomposed });
      log.debug({ file: file.name, sha256, table: file.table.name, bytes: file.size }, 'landed');
      result.landed++;
    }
  } finally {
    await passes.close();
  }
  ctx.progress.end();
  if (result.ignored.length > 0) {
    log.warn({ files: result.ignored }, 'files in the inbox that match no table of the source were left alone; rename them or add their pattern under sources.<source>.files in the config');
  }
}

/**
 * The inbox's files to land, by name: not those no table matches (noted in `result.ignored`),
 * nor those of a table pulled from the API, nor those already seen under this name, size and time
 * (landed, or a copy of content landed under another name), which are not read again every night.
 */
async function filesToLand(ctx: RunContext, source: ConfiguredSource, inbox: string, result: ExtractResult): Promise<InboxFile[]> {
  const names = await listInbox(source, inbox);
  const seenBefore = await filesSeen(ctx, source.contract.name);
  const files: InboxFile[] = [];
  for (const name of names) {
    const match = tableForFile(source, name);
    if (!match) {
      result.ignored.push(name);
      continue;
    }
    if (match.fromApi) continue;
    const path = join(inbox, name);
    const { size, mtime } = await stat(path);
    if (seenBefore.has(seenKey(name, size, mtime.getTime()))) {
      result.skipped++;
      continue;
    }
    files.push({ name, path, table: match.table, size, mtimeMs: mtime.getTime() });
  }
  return files;
}

/**
 * The files of the source's inbox already seen (landed, or a copy of content landed under another
 * name), by name, size and time: read once, not once per file (an inbox keeps hundreds).
 */
async function filesSeen(ctx: RunContext, source: string): Promise<Set<string>> {
  const rows = await ctx.db.all<{ name: string; bytes: number; mtime: number | null }>(
    `SELECT original_name AS name, bytes, source_mtime_ms AS mtime FROM ops.landed_files WHERE source = $1
     UNION ALL
     SELECT original_name, bytes, source_mtime_ms FROM ops.inbox_duplicates WHERE source = $1`,
    [source],
  );
  return new Set(rows.filter((r) => r.mtime !== null).map((r) => seenKey(r.name, Number(r.bytes), Number(r.mtime))));
}

function seenKey(name: string, bytes: number, mtime: number): string {
  return JSON.stringify([name, bytes, mtime]);
}

/**
 * Pulls each API resource from its cursor and lands every page as a file. The cursor moves to
 * the latest update time seen only after all pages of the pull are landed: a pull cut short is
 * asked again from the same point, and pages already landed are recognised by their hash.
 * A backfill pulls its window instead, and moves the cursor only forward.
 */
async function pullApi(ctx: RunContext, source: ConfiguredSource, result: ExtractResult, log: Logger, window?: PullWindow): Promise<void> {
  const { settings, http, resources } = source.api!;
  for (const { table, resource } of resources) {
    const key = [source.contract.name, resource.path];
    const cursor = (await ctx.db.one<{ cursor_value: string }>('SELECT cursor_value FROM ops.cursors WHERE source = $1 AND resource = $2', key))?.cursor_value;
    const since = window ? window.from : cursor;
    let latest = cursor;
    let pages = 0;
    let records = 0;
    ctx.progress.start(`extract ${source.contract.name} ${resource.path}`, 0, 'pages');
    for await (const page of pullPages({ settings, http: { ...http, stop: ctx.signal }, resource, since, until: window?.to, log })) {
      stopIfAsked(ctx);
      ctx.progress.advance(`${records + page.items.length} records`);
      pages++;
      records += page.items.length;
      if (page.latest && (!latest || page.latest > latest)) latest = page.latest;
      const bytes = Buffer.from(page.text, 'utf8');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      // A page pulled again (a pull resumed, a backfill) is known by its hash before it is written.
      const landed = (await isLanded(ctx, source, sha256)) ? { known: sha256 } : await land(ctx, source, page.endpoint, '.json', (to) => writeFile(to, bytes).then(() => sha256));
      if (landed === 'changed' || 'known' in landed) {
        result.skipped++;
        continue;
      }
      await recordLanded(ctx, source, table, page.endpoint, sha256, landed.path, bytes.length, null);
      log.debug({ endpoint: page.endpoint, sha256, items: page.items.length }, 'page landed');
      result.landed++;
    }
    ctx.progress.end();
    // A backfill that started after the cursor must not move it past the records in between.
    const advances = !window || (cursor !== undefined && window.from <= cursor);
    if (advances && latest !== cursor) {
      await ctx.db.run('INSERT OR REPLACE INTO ops.cursors VALUES ($1, $2, $3, current_timestamp, $4)', [...key, latest!, ctx.runId]);
    }
    log.info({ resource: resource.path, since: since ?? null, until: window?.to ?? null, pages, records, cursor: (advances ? latest : cursor) ?? null }, 'API pull done');
  }
}

async function isLanded(ctx: RunContext, source: ConfiguredSource, sha256: string): Promise<boolean> {
  return (await ctx.db.one('SELECT 1 FROM ops.landed_files WHERE source = $1 AND sha256 = $2', [source.contract.name, sha256])) !== undefined;
}

async function recordLanded(
  ctx: RunContext,
  source: ConfiguredSource,
  table: TableContract,
  name: string,
  sha256: string,
  path: string,
  bytes: number,
  mtimeMs: number | null,
  text?: { lines: number; decomposed: boolean },
): Promise<void> {
  await ctx.db.run(
    `INSERT INTO ops.landed_files (source, sha256, table_name, original_name, landed_path, bytes, landed_at, run_id, source_mtime_ms, lines, decomposed)
     VALUES ($source, $sha, $table, $name, $path, $bytes, current_timestamp, $run, $mtime, $lines, $decomposed)`,
    { source: source.contract.name, sha: sha256, table: table.name, name, path, bytes, run: ctx.runId, mtime: mtimeMs, lines: text?.lines ?? null, decomposed: text?.decomposed ?? null },
  );
}

async function listInbox(source: ConfiguredSource, inbox: string): Promise<string[]> {
  if (!existsSync(inbox)) {
    throw new SourceFileError(inbox, 'the inbox folder does not exist', {
      action: `create it, or point sources.${source.contract.name}.inbox in the config to where the exports arrive`,
    });
  }
  const entries = await readdir(inbox, { withFileTypes: true });
  const names: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    // A link to an export (an operator's, or a shared folder's) counts as the export.
    if (e.isFile() || (e.isSymbolicLink() && (await stat(join(inbox, e.name)).catch(() => undefined))?.isFile())) names.push(e.name);
  }
  return names.sort();
}

type Landed = { path: string; sha256: string };

/**
 * Writes content into the landing zone under its hash: `write` fills a temporary file and
 * returns the hash of what it wrote, or 'changed' when the content is not whole. `{ known }` (the
 * hash) when content of that hash was landed before (under any name): the copy is dropped.
 */
async function land(
  ctx: RunContext,
  source: ConfiguredSource,
  name: string,
  extension: string,
  write: (temporary: string) => Promise<string | 'changed'>,
): Promise<Landed | 'changed' | { known: string }> {
  const day = new Date().toISOString().slice(0, 10);
  const dir = join(ctx.config.paths.landing, source.contract.name, day);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `${ctx.runId}.${randomUUID()}.tmp`);
  const sha256 = await write(temporary).catch(async (error: unknown) => {
    await rm(temporary, { force: true });
    throw error;
  });
  if (sha256 === 'changed' || (await isLanded(ctx, source, sha256))) {
    await rm(temporary, { force: true });
    return sha256 === 'changed' ? 'changed' : { known: sha256 };
  }
  const target = join(dir, `${sha256}${extension.toLowerCase()}`);
  // On disk before it is recorded as landed: a power cut must not leave an empty landed file.
  await syncPath(temporary);
  await rename(temporary, target);
  await syncPath(dir);
  // The landing zone describes itself, so that it can be reloaded without the warehouse.
  const sidecar = { source: source.contract.name, original_name: name, sha256, landed_at: new Date().toISOString(), run_id: ctx.runId };
  await writeFileDurably(`${target}.json`, JSON.stringify(sidecar, null, 2));
  return { path: target, sha256 };
}

/**
 * Places a file in the landing zone, with the hash of its read (`read`, started before): a hard
 * link where nobody may write the file (an export its system made read-only is final, and a link
 * to it cannot change under its hash), else a copy-on-write clone where the file system has them,
 * else a copy in the kernel. 'changed' when the source's size or time moved since it was listed,
 * so that the landed content and the hash are the same.
 */
async function placeRead(file: InboxFile, to: string, read: Promise<FilePass>): Promise<string | 'changed'> {
  const [, { sha256 }] = await Promise.all([place(file.path, to), read]);
  const after = await stat(file.path);
  if (after.size !== file.size || after.mtime.getTime() !== file.mtimeMs) return 'changed';
  return sha256;
}

async function place(path: string, to: string): Promise<void> {
  // The file itself, not a symbolic link to it: a link to the link would follow the link's target as it changes.
  const file = await realpath(path);
  if (((await stat(file)).mode & 0o222) === 0) {
    // Another file system, or one without hard links: copied as any other.
    const linked = await link(file, to).then(() => true, () => false);
    // The export's own inode: it keeps the inbox's mode, and landing/, the owner's alone, hides it.
    if (linked) return;
  }
  await copyFile(file, to, constants.COPYFILE_FICLONE);
  // A copy takes the mode of the export it copies; it holds personal data (setup/modes.ts).
  await chmod(to, 0o600);
}
