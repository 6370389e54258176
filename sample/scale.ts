// `cchc sample --scale N`: the one-stop-shop exports of N cities like Đồng Hới, for measuring
// the job at a province's or the country's volume. Each weekly export of the sample is read once
// with the job's own readers, then written back N times over by DuckDB, every copy of a dossier
// under its own id (`<id>.<copy>`; copy 0 keeps the sample's id). So the scaled exports keep
// what makes the sample real (versions of a dossier across weeks, every status, both channels,
// late and stopped dossiers, the week-to-week variety of the values) at N times its volume,
// as CSV with the Vietnamese headers.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { readCsv } from '../connectors/formats/csv.js';
import { INCOMING } from '../connectors/formats/incoming.js';
import { readXlsx } from '../connectors/formats/xlsx.js';
import { motcua } from '../connectors/motcua.js';
import { Warehouse, ident, literal } from '../core/warehouse.js';
import { generateSample, refuseToReplaceOtherFolders, sampleLayout, SAMPLE_MARKER, type SampleOptions } from './index.js';

export type ScaledSample = { dir: string; scale: number; files: number; rows: number; bytes: number; ms: number };

/** `sample`: how to write the sample at `baseDir` when it is missing. */
export async function writeScaledSample(options: { baseDir: string; out: string; scale: number; sample: SampleOptions }): Promise<ScaledSample> {
  const started = performance.now();
  refuseToReplaceOtherFolders(options.out);
  if (!existsSync(sampleLayout(options.baseDir).motcuaInbox)) await generateSample(options.baseDir, options.sample);
  const from = sampleLayout(options.baseDir).motcuaInbox;
  const partial = `${options.out}.partial`;
  await rm(partial, { recursive: true, force: true });
  const inbox = sampleLayout(partial).motcuaInbox;
  await mkdir(inbox, { recursive: true });

  const table = motcua.tables.dossiers!;
  // The first alias of each column is its Vietnamese header.
  const columns = table.columns.map((c) => ({ name: c.name, header: c.aliases[0] ?? c.name }));
  const db = await Warehouse.open(':memory:');
  let rows = 0;
  let files = 0;
  try {
    for (const name of (await readdir(from)).sort()) {
      if (!name.startsWith('ho-so-')) {
        await copyFile(join(from, name), join(inbox, name));
        continue;
      }
      const read = extname(name) === '.xlsx' ? readXlsx : readCsv;
      const result = await read(db, join(from, name), name, table, {});
      const select = columns.filter(({ name: column }) => result.mapping.original.has(column)).map(({ name: column, header }) =>
        column === 'dossier_id'
          ? `CASE WHEN copy.i = 0 THEN dossier_id ELSE dossier_id || '.' || copy.i END AS ${ident(header)}`
          : `${ident(column)} AS ${ident(header)}`,
      );
      const target = join(inbox, `${basename(name, extname(name))}.csv`);
      await db.run(`COPY (SELECT ${select.join(', ')} FROM ${INCOMING}, range(${options.scale}) AS copy(i)) TO ${literal(target)} (HEADER, DELIMITER ',')`);
      await db.run(`DROP TABLE ${INCOMING}`);
      rows += result.rowsRead * options.scale;
      files++;
    }
  } finally {
    db.close();
  }
  await writeFile(join(partial, SAMPLE_MARKER), `written by cchc sample --scale ${options.scale}\n`);
  await rm(options.out, { recursive: true, force: true });
  await rename(partial, options.out);
  const bytes = await folderBytes(sampleLayout(options.out).motcuaInbox);
  return { dir: options.out, scale: options.scale, files, rows, bytes, ms: Math.round(performance.now() - started) };
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}
