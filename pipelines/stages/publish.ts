// Stage 4, publish: writes a new release directory, one Parquet file per mart, a DuckDB snapshot
// for analysts (snapshot.ts), a manifest, the report workbooks and the release page
// (outputs/page), then switches the `current` link to it in one rename. Readers see the old
// release or the new one, never a mix.
import { mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { messageOf, ModelError, RunInterrupted } from '../../core/errors.js';
import { syncPath, syncTree } from '../../core/files.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';
import { stopIfAsked, type RunContext } from '../context.js';
import { discoverModels } from '../models/graph.js';
import { shareRelease } from '../setup/modes.js';
import { ensureRoom, folderBytes, freeBytes } from '../ops/resources.js';
import { failpoint } from '../ops/signals.js';
import { PAGE_FILE, REPORTS_DIR, writeReleasePage } from '../outputs/page/release-page.js';
import { sandbox } from '../outputs/sandbox.js';
import type { QuarantineReport } from './quarantine-report.js';
import { copyLastSnapshot, forgetSnapshots, SNAPSHOT_FILE, tablesOf, writeSnapshot, type SnapshotWritten } from './snapshot.js';

export const METABASE_INIT = 'metabase-init.sql';

export type PublishedMart = {
  name: string;
  file: string;
  rows: number;
  bytes: number;
  columns: { name: string; type: string }[];
  /** Also under marts/<name>/year=<YYYY>/ (hive partitioning). */
  partitioned?: string;
  /** Why the mart holds the data of an earlier run: a source it reads failed in this one. */
  stale?: string;
};
export type PublishResult = { releaseDir: string; currentLink: string; marts: PublishedMart[]; removed: string[] };

/** Marts not rebuilt in this run (schema.name), with the reason to print in the manifest. */
export type PublishOptions = {
  stale?: ReadonlyMap<string, string>;
  /** What this run's load said of each source's quarantine, shown on the release page. */
  quarantine?: Record<string, QuarantineReport>;
};

export async function publish(ctx: RunContext, options: PublishOptions = {}): Promise<PublishResult> {
  const log = ctx.log.child({ stage: 'publish' });
  const publishDir = ctx.config.paths.publishDir;
  const releases = join(publishDir, 'releases');
  const releaseDir = join(releases, ctx.runId);
  const partialDir = join(releases, `.${ctx.runId}.partial`);
  // How long each part took, for the log: the operator sees what a night's publish costs.
  const ms: Record<string, number> = {};
  await removeLeftovers(publishDir);
  const current = await currentRelease(publishDir);
  const base = current ? { release: current, releaseDir: join(releases, current) } : undefined;
  // A new release is about the size of the one before, and its snapshot, copied from that one's
  // then brought up to date, takes up to twice its size while DuckDB writes it: refuse before
  // writing half of it.
  if (base) await ensureRoom(publishDir, 2 * (await folderBytes(base.releaseDir)), 'a new release');

  let marts: PublishedMart[];
  let snapshot: SnapshotWritten;
  let written: Record<string, unknown>;
  let copying: Promise<boolean> | undefined;
  try {
    await mkdir(join(partialDir, 'marts'), { recursive: true });
    // The copy the snapshot starts from, made while the marts are written.
    copying = base && copyLastSnapshot(base, join(partialDir, SNAPSHOT_FILE));
    marts = await timed(ms, 'marts', () => writeMarts(ctx, partialDir, options.stale ?? new Map()));
    written = await manifest(ctx, marts);
    const writeManifest = () => writeFile(join(partialDir, 'manifest.json'), `${JSON.stringify(written, null, 2)}\n`);
    await writeManifest();
    await writeFile(join(partialDir, METABASE_INIT), metabaseInit(publishDir, marts));
    stopIfAsked(ctx);
    failpoint('snapshot');
    // Side by side, DuckDB's work and JavaScript's; the workbooks read the release's Parquet and manifest.
    [snapshot] = await together(
      timed(ms, 'snapshot', () => checkpointWithRoom(ctx.db).then(() => writeSnapshot(ctx.db, ctx.config.paths.sqlDir, join(partialDir, SNAPSHOT_FILE), ctx.runId, base && { ...base, copying }))),
      timed(ms, 'page_and_reports', () => writePageAndReports(ctx, partialDir, { manifest: written, marts, quarantine: options.quarantine ?? {}, last: base?.releaseDir })).then((page) => Object.assign(written, page)),
    );
    await writeManifest();
    stopIfAsked(ctx);
    // Written private (the run's umask), opened to the readers of the publish folder once whole.
    await shareRelease(ctx.config, partialDir);
    // On disk before `current` can point at it: a power cut must not leave it at empty files.
    await syncTree(partialDir);
  } catch (error) {
    // Gives the space back at once (on a full disk, the run still has its ledger to write), once
    // nothing copies into it.
    await copying;
    await rm(partialDir, { recursive: true, force: true });
    throw error;
  }
  await rename(partialDir, releaseDir);
  await syncPath(releases);
  failpoint('release-in-place');
  const currentLink = await switchCurrent(publishDir, ctx.runId);
  await syncPath(publishDir);
  await linkMetabaseInit(publishDir);
  const removed = await pruneReleases(releases, ctx.runId, ctx.config.warehouse.keep_releases);
  await forgetSnapshots(ctx.db, ctx.config.paths.sqlDir, (await readdir(releases)).filter((n) => !n.startsWith('.')));
  log.info({ release: releaseDir, ...whatWasWritten(marts, snapshot, written), removed, ms }, 'publish done');
  return { releaseDir, currentLink, marts, removed };
}

/** For the log: how the snapshot's tables and the workbooks were written, and the stale marts. */
function whatWasWritten(marts: PublishedMart[], snapshot: SnapshotWritten, manifest: Record<string, unknown>): Record<string, unknown> {
  const carried = ((manifest.reports ?? []) as { carried_over: boolean }[]).map((r) => r.carried_over);
  return {
    marts: marts.length, snapshot: snapshot.incremental, snapshot_tables: { kept: snapshot.kept, refilled: snapshot.refilled, written: snapshot.written },
    workbooks: { written: carried.filter((c) => !c).length, carried_over: carried.filter((c) => c).length }, stale: marts.filter((m) => m.stale).map((m) => m.name),
  };
}

/** Runs `write`, noting in `ms` how long it took, under `part`. */
async function timed<T>(ms: Record<string, number>, part: string, write: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await write();
  ms[part] = Math.round(performance.now() - started);
  return result;
}

/**
 * Writes the night's changes from the warehouse's log into its file now, while the last snapshot
 * is copied (with direct I/O, which leaves the CPU idle), rather than at close after everything
 * else. Only with room to spare: a checkpoint that runs out of disk leaves the warehouse unable to
 * record even that the run failed, which it can still do at close.
 */
async function checkpointWithRoom(db: Warehouse): Promise<void> {
  const log = await stat(`${db.path}.wal`).then((s) => s.size, () => 0);
  if (log > 0 && (await freeBytes(db.path)) > 2 * log + 64 * 2 ** 20) await db.run('CHECKPOINT');
}

/** Both, once both have ended: the first failure is thrown only when nothing is still writing into the release. */
async function together<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

/**
 * The page and the workbooks of the release, for the manifest. They are read by people, not by
 * the dashboards: a failure to write them is logged as an error and said in the manifest, and the
 * marts are published all the same.
 */
async function writePageAndReports(
  ctx: RunContext,
  dir: string,
  release: { manifest: Record<string, unknown>; marts: PublishedMart[]; quarantine: Record<string, QuarantineReport>; last: string | undefined },
): Promise<Record<string, unknown>> {
  // Its own connection: the snapshot is written on the run's at the same time.
  const db = await ctx.db.another();
  try {
    const workbooks = await writeReleasePage({
      db, config: ctx.config, runId: ctx.runId, log: ctx.log, dir, marts: release.marts, quarantine: release.quarantine,
      manifest: release.manifest as { published_at: string; data_as_of: string | null }, snapshot: SNAPSHOT_FILE, metabaseInit: METABASE_INIT, last: release.last,
    });
    return { page: PAGE_FILE, reports: workbooks.map((w) => ({ period_key: w.period_key, file: w.file, fingerprint: w.fingerprint, sha256: w.sha256, carried_over: w.carried })) };
  } catch (error) {
    if (error instanceof RunInterrupted) throw error;
    ctx.log.error({ stage: 'publish', err: messageOf(error) }, 'the release page and workbooks could not be written: the marts are published without them');
    await Promise.all([rm(join(dir, PAGE_FILE), { force: true }), rm(join(dir, REPORTS_DIR), { recursive: true, force: true })]);
    return { page: null, reports: [], page_error: messageOf(error) };
  } finally {
    db.close();
  }
}

/**
 * What a publish killed half-way leaves: a partial release folder or a link not yet renamed.
 * Only the run holding the lock publishes, so any of them is from a dead run.
 */
async function removeLeftovers(publishDir: string): Promise<void> {
  for (const [dir, pattern] of [[join(publishDir, 'releases'), /^\..*\.partial$/], [publishDir, /^\.current\./]] as const) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => pattern.test(n))) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** Keeps the newest `keep` releases (run ids sort by time) and the current one; deletes the rest. */
async function pruneReleases(releases: string, current: string, keep: number): Promise<string[]> {
  const names = (await readdir(releases)).filter((n) => !n.startsWith('.')).sort().reverse();
  const removed = names.slice(keep).filter((n) => n !== current);
  for (const name of removed) await rm(join(releases, name), { recursive: true, force: true });
  return removed;
}

/**
 * The init SQL of Metabase's DuckDB driver on a `:memory:` database: one view per mart over the
 * Parquet of `current`, so Metabase holds no lock on a file the job writes, and sees each new
 * release at its next query. The connection may read the publish folder and nothing else
 * (sandbox.ts): `current` is a link that moves, so the whole folder, never the data folder.
 *
 * The driver runs this text again on the connections it clones to sync, which share the DuckDB
 * instance: the settings can no longer change there, and it accepts only an error it reads as
 * "already attached". The first statement gives that error on a second run, before the rest.
 * Nothing is locked: the driver sets the report's time zone after it.
 */
function metabaseInit(publishDir: string, marts: readonly PublishedMart[]): string {
  const views = marts.map((m) => `CREATE OR REPLACE VIEW ${ident(m.name)} AS SELECT * FROM read_parquet(${literal(join(publishDir, 'current', m.file))});`);
  return [
    "-- Written by cchc-warehouse at each publish: the init SQL of Metabase's DuckDB connection (see docs/metabase.md).",
    '-- Fails on a second run on the same database with an error the driver takes as "already initialised".',
    `CREATE SEQUENCE ${ident(INIT_MARKER)};`,
    '-- The connection reads the published files and nothing else: not the landed exports, not the warehouse.',
    ...sandbox([publishDir]).map((s) => `${s};`),
    ...views,
    '',
  ].join('\n');
}

/** Its name is in the error of a second run: the driver matches "already attached". */
const INIT_MARKER = 'cchc sandbox already attached';

/** <publish>/metabase-init.sql is a link to the current release's: it changes with `current`, in the same rename. */
async function linkMetabaseInit(publishDir: string): Promise<void> {
  const link = join(publishDir, METABASE_INIT);
  if ((await readlink(link).catch(() => undefined)) === join('current', METABASE_INIT)) return;
  await rm(link, { force: true });
  await symlink(join('current', METABASE_INIT), link);
}

/** The run id of the release `current` points at, if any. */
export async function currentRelease(publishDir: string): Promise<string | undefined> {
  return readlink(join(publishDir, 'current')).then((target) => basename(target), () => undefined);
}

async function writeMarts(ctx: RunContext, dir: string, stale: ReadonlyMap<string, string>): Promise<PublishedMart[]> {
  const marts: PublishedMart[] = [];
  const models = new Map(discoverModels(ctx.config.paths.sqlDir).map((m) => [m.id, m]));
  for (const name of await tablesOf(ctx.db, 'marts')) {
    stopIfAsked(ctx);
    const file = join('marts', `${name}.parquet`);
    await ctx.db.run(`COPY marts.${ident(name)} TO ${literal(join(dir, file))} (FORMAT parquet, COMPRESSION zstd)`);
    const columns = await ctx.db.all<{ name: string; type: string }>(
      `SELECT column_name AS name, column_type AS type FROM (DESCRIBE marts.${ident(name)})`,
    );
    // Marts that grow with time are also laid out as hive partitions, for engines that prune by path.
    const model = models.get(`marts.${name}`);
    const byYear = model?.header.published_by_year;
    const counted = await ctx.db.one<{ n: number }>(`SELECT count(*) AS n FROM marts.${ident(name)}`);
    const rows = counted?.n ?? 0;
    if (byYear && !columns.some((c) => c.name === byYear && /^(DATE|TIMESTAMP)/.test(c.type))) {
      throw new ModelError(`${model!.file}: published_by_year names ${byYear}, which is not a date column of the mart`, {
        action: 'name a DATE or TIMESTAMP column of the mart, such as period_end, or remove published_by_year',
      });
    }
    // An empty mart has no year to lay out: its single file carries the schema.
    if (byYear && rows > 0) {
      await ctx.db.run(
        `COPY (SELECT *, year(${ident(byYear)}) AS year FROM marts.${ident(name)})
         TO ${literal(join(dir, 'marts', name))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (year))`,
      );
    }
    const reason = stale.get(`marts.${name}`);
    marts.push({
      name, file, rows, bytes: (await stat(join(dir, file))).size, columns,
      ...(byYear && rows > 0 && { partitioned: `marts/${name}/year=<YYYY>/*.parquet` }),
      ...(reason && { stale: reason }),
    });
    ctx.log.debug({ stage: 'publish', mart: name }, 'parquet written');
  }
  return marts;
}

async function manifest(ctx: RunContext, marts: PublishedMart[]): Promise<Record<string, unknown>> {
  // Absent when the one-stop-shop source has failed in every run so far.
  const dossiers = (await tablesOf(ctx.db, 'staging')).includes('stg_motcua__dossiers');
  const asOf = dossiers ? await ctx.db.one<{ as_of: Date | null }>('SELECT max(updated_at) AS as_of FROM staging.stg_motcua__dossiers') : undefined;
  const loads = await ctx.db.one<{ files: number; rows_loaded: number; rows_quarantined: number }>(
    'SELECT count(*) AS files, coalesce(sum(rows_loaded), 0) AS rows_loaded, coalesce(sum(rows_quarantined), 0) AS rows_quarantined FROM ops.loads',
  );
  return {
    run_id: ctx.runId,
    published_at: new Date().toISOString(),
    data_as_of: asOf?.as_of?.toISOString() ?? null,
    // The settings the marts were built with, which --only publish may not share with this config.
    reporting: Object.fromEntries(
      (await ctx.db.all<{ name: string; value: string }>('SELECT name, value FROM settings.reporting ORDER BY name')).map((s) => [s.name, s.value]),
    ),
    snapshot: SNAPSHOT_FILE,
    stale_marts: marts.filter((m) => m.stale).map((m) => m.name),
    marts,
    loads,
  };
}

/** Points `current` at the new release with one rename of a fresh link over the old one. */
async function switchCurrent(publishDir: string, runId: string): Promise<string> {
  const link = join(publishDir, 'current');
  const fresh = join(publishDir, `.current.${runId}`);
  await rm(fresh, { force: true });
  await symlink(join('releases', runId), fresh);
  await rename(fresh, link);
  return link;
}
