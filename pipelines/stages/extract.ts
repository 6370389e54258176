// Stage 1, extract: brings each new export from a source's inbox into the landing zone,
// stored once by content hash (landing/<source>/<date>/<sha256>.<ext>). A file whose content
// was landed before, under any name, is skipped. The copy is hashed as it is written, under a
// temporary name, and renamed only when it has the hash: a crash or a file still being written
// never leaves half a file where a landed one should be.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tableForFile, type FileSource } from '../../connectors/registry.js';
import type { RunContext } from '../context.js';
import { SourceFileError } from '../errors.js';

export type ExtractResult = { landed: number; skipped: number; ignored: string[] };

export async function extract(ctx: RunContext): Promise<ExtractResult> {
  const total: ExtractResult = { landed: 0, skipped: 0, ignored: [] };
  for (const source of ctx.sources) {
    const result = await extractSource(ctx, source);
    total.landed += result.landed;
    total.skipped += result.skipped;
    total.ignored.push(...result.ignored);
  }
  return total;
}

async function extractSource(ctx: RunContext, source: FileSource): Promise<ExtractResult> {
  const result: ExtractResult = { landed: 0, skipped: 0, ignored: [] };
  const log = ctx.log.child({ stage: 'extract', source: source.contract.name });
  const files = await listInbox(source);
  for (const name of files) {
    const table = tableForFile(source, name);
    if (!table) {
      result.ignored.push(name);
      continue;
    }
    const path = join(source.inbox, name);
    const { size, mtime } = await stat(path);
    // A file already landed under this name, size and time is not read again every night.
    const unchanged = await ctx.db.one(
      'SELECT 1 FROM ops.landed_files WHERE source = $1 AND original_name = $2 AND bytes = $3 AND source_mtime_ms = $4',
      [source.contract.name, name, size, mtime.getTime()],
    );
    const sha256 = unchanged ? undefined : await hashFile(path);
    const seen = sha256 && (await ctx.db.one('SELECT 1 FROM ops.landed_files WHERE source = $1 AND sha256 = $2', [source.contract.name, sha256]));
    if (!sha256 || seen) {
      result.skipped++;
      continue;
    }
    const landedPath = await land(ctx, source, path, name, sha256);
    if (!landedPath) {
      log.warn({ file: name }, 'the file changed while it was being copied (still being written?): it will be landed by the next run');
      continue;
    }
    await ctx.db.run(
      `INSERT INTO ops.landed_files VALUES ($source, $sha, $table, $name, $path, $bytes, current_timestamp, $run, $mtime)`,
      { source: source.contract.name, sha: sha256, table: table.name, name, path: landedPath, bytes: size, run: ctx.runId, mtime: mtime.getTime() },
    );
    log.debug({ file: name, sha256, table: table.name, bytes: size }, 'landed');
    result.landed++;
  }
  if (result.ignored.length > 0) {
    log.warn({ files: result.ignored }, 'files in the inbox that match no table of the source were left alone; rename them or add their pattern under sources.<source>.files in the config');
  }
  log.info({ landed: result.landed, skipped: result.skipped }, 'extract done');
  return result;
}

async function listInbox(source: FileSource): Promise<string[]> {
  if (!existsSync(source.inbox)) {
    throw new SourceFileError(source.inbox, 'the inbox folder does not exist', {
      action: `create it, or point sources.${source.contract.name}.inbox in the config to where the exports arrive`,
    });
  }
  const entries = await readdir(source.inbox, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Copies the file into the landing zone under its hash; undefined when the copy does not have that hash. */
async function land(ctx: RunContext, source: FileSource, path: string, name: string, sha256: string): Promise<string | undefined> {
  const day = new Date().toISOString().slice(0, 10);
  const dir = join(ctx.config.paths.landing, source.contract.name, day);
  await mkdir(dir, { recursive: true });
  const target = join(dir, `${sha256}${extname(name).toLowerCase()}`);
  const temporary = `${target}.${ctx.runId}.tmp`;
  const copied = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      copied.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(path), hashing, createWriteStream(temporary));
  if (copied.digest('hex') !== sha256) {
    await rm(temporary, { force: true });
    return undefined;
  }
  await rename(temporary, target);
  // The landing zone describes itself, so that it can be reloaded without the warehouse.
  const sidecar = { source: source.contract.name, original_name: name, sha256, landed_at: new Date().toISOString(), run_id: ctx.runId };
  await writeFile(`${target}.json.tmp`, JSON.stringify(sidecar, null, 2));
  await rename(`${target}.json.tmp`, `${target}.json`);
  return target;
}
