// Stage 4, publish: writes a new release directory, one Parquet file per mart, a DuckDB snapshot
// for analysts (seeds, settings, staging, intermediate and marts with their comments; never raw or ops,
// which hold personal data) and a manifest, then switches the `current` link to it in one
// rename. Readers see the old release or the new one, never a mix.
import { mkdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunContext } from '../context.js';
import { ident, literal } from '../db.js';
import { commentOn, discoverModels } from '../models.js';

export const SNAPSHOT_FILE = 'cchc.duckdb';
const SNAPSHOT_SCHEMAS = ['seeds', 'settings', 'staging', 'intermediate', 'marts'] as const;

export type PublishedMart = { name: string; file: string; rows: number; bytes: number; columns: { name: string; type: string }[] };
export type PublishResult = { releaseDir: string; currentLink: string; marts: PublishedMart[] };

export async function publish(ctx: RunContext): Promise<PublishResult> {
  const log = ctx.log.child({ stage: 'publish' });
  const publishDir = ctx.config.paths.publishDir;
  const releaseDir = join(publishDir, 'releases', ctx.runId);
  const partialDir = join(publishDir, 'releases', `.${ctx.runId}.partial`);
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(join(partialDir, 'marts'), { recursive: true });

  const marts = await writeMarts(ctx, partialDir);
  await writeSnapshot(ctx, join(partialDir, SNAPSHOT_FILE));
  await writeFile(join(partialDir, 'manifest.json'), `${JSON.stringify(await manifest(ctx, marts), null, 2)}\n`);

  await rename(partialDir, releaseDir);
  const currentLink = await switchCurrent(publishDir, ctx.runId);
  log.info({ release: releaseDir, marts: marts.length }, 'publish done');
  return { releaseDir, currentLink, marts };
}

async function tablesOf(ctx: RunContext, schema: string): Promise<string[]> {
  const rows = await ctx.db.all<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_catalog = current_database() AND table_schema = $1 ORDER BY table_name`,
    [schema],
  );
  return rows.map((r) => r.name);
}

async function writeMarts(ctx: RunContext, dir: string): Promise<PublishedMart[]> {
  const marts: PublishedMart[] = [];
  for (const name of await tablesOf(ctx, 'marts')) {
    const file = join('marts', `${name}.parquet`);
    await ctx.db.run(`COPY marts.${ident(name)} TO ${literal(join(dir, file))} (FORMAT parquet, COMPRESSION zstd)`);
    const columns = await ctx.db.all<{ name: string; type: string }>(
      `SELECT column_name AS name, column_type AS type FROM (DESCRIBE marts.${ident(name)})`,
    );
    const counted = await ctx.db.one<{ n: number }>(`SELECT count(*) AS n FROM marts.${ident(name)}`);
    marts.push({ name, file, rows: counted?.n ?? 0, bytes: (await stat(join(dir, file))).size, columns });
  }
  return marts;
}

/** A DuckDB file any DuckDB 1.x opens, with the published layers copied as tables and commented. */
async function writeSnapshot(ctx: RunContext, path: string): Promise<void> {
  const models = new Map(discoverModels(ctx.config.paths.sqlDir).map((m) => [m.id, m]));
  await ctx.db.run(`ATTACH ${literal(path)} AS snapshot (STORAGE_VERSION 'v1.0.0')`);
  try {
    for (const schema of SNAPSHOT_SCHEMAS) {
      await ctx.db.run(`CREATE SCHEMA snapshot.${schema}`);
      for (const name of await tablesOf(ctx, schema)) {
        const target = `snapshot.${schema}.${ident(name)}`;
        await ctx.db.run(`CREATE TABLE ${target} AS SELECT * FROM ${schema}.${ident(name)}`);
        const model = models.get(`${schema}.${name}`);
        if (model) await commentOn(ctx.db, model, target);
      }
    }
  } finally {
    await ctx.db.run('DETACH snapshot');
  }
}

async function manifest(ctx: RunContext, marts: PublishedMart[]): Promise<Record<string, unknown>> {
  const asOf = await ctx.db.one<{ as_of: Date | null }>('SELECT max(updated_at) AS as_of FROM staging.stg_motcua__dossiers');
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
