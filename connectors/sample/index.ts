// `cchc sample`: writes the sample exports of the source systems of Đồng Hới, seeded and
// deterministic, built so that the warehouse reproduces the figures of the reference report.
// Written to a temporary folder and renamed, so that an interrupted run leaves no half sample.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRegister } from '../../config/register.js';
import { CchcError } from '../../pipelines/errors.js';
import { SQL_DIR } from '../../pipelines/warehouse.js';
import { writeBudgetWorkbooks } from './budget.js';
import { buildCatalogue } from './catalogue.js';
import { simulateDossiers, type Unit } from './dossiers.js';
import { writeApiPages, writeCatalogue, writeWeeklyExports } from './exports.js';
import { simulatePortal, writePortal } from './portal.js';
import { Random } from './random.js';

export const DEFAULT_SEED = 20240331;

export type SampleSummary = {
  dir: string;
  procedures: number;
  dossiers: number;
  exportFiles: number;
  exportRows: number;
  apiPages: number;
  budgetFiles: number;
  portalFiles: number;
};

/** Layout of a sample folder: where each source's files go. */
export function sampleLayout(dir: string) {
  return {
    motcuaInbox: join(dir, 'motcua', 'inbox'),
    motcuaApi: join(dir, 'motcua', 'api', 'dossiers'),
    ngansachInbox: join(dir, 'ngansach', 'inbox'),
    dvcInbox: join(dir, 'dvc', 'inbox'),
    dvcApi: join(dir, 'dvc', 'api'),
  };
}

/** Marks a folder as written by `cchc sample`: only such a folder is ever replaced. */
export const SAMPLE_MARKER = '.cchc-sample';

export async function generateSample(dir: string, seed = DEFAULT_SEED): Promise<SampleSummary> {
  refuseToReplaceOtherFolders(dir);
  const random = new Random(seed);
  const units = readUnits();
  const catalogue = buildCatalogue(random);
  const dossiers = simulateDossiers(random, catalogue, units);

  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const layout = sampleLayout(partial);
  await mkdir(layout.motcuaInbox, { recursive: true });
  await writeCatalogue(join(layout.motcuaInbox, 'danh-muc-tthc.csv'), catalogue, new Map(units.map((u) => [u.code, u])));
  const exports = await writeWeeklyExports(layout.motcuaInbox, dossiers);
  const api = await writeApiPages(layout.motcuaApi, dossiers);
  await mkdir(layout.ngansachInbox, { recursive: true });
  const budgetFiles = await writeBudgetWorkbooks(layout.ngansachInbox, random);
  await mkdir(layout.dvcInbox, { recursive: true });
  const portal = await writePortal(layout.dvcInbox, layout.dvcApi, simulatePortal(random, dossiers, units));

  await writeFile(join(partial, SAMPLE_MARKER), `written by cchc sample, seed ${seed}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return {
    dir,
    procedures: catalogue.length,
    dossiers: dossiers.length,
    exportFiles: exports.files + 1,
    budgetFiles,
    exportRows: exports.rows,
    apiPages: api.pages + portal.pages,
    portalFiles: portal.files,
  };
}

export function refuseToReplaceOtherFolders(dir: string): void {
  if (!existsSync(dir) || existsSync(join(dir, SAMPLE_MARKER)) || readdirSync(dir).length === 0) return;
  throw new CchcError(`${dir} holds files that cchc sample did not write; it will not replace them`, {
    action: 'choose an empty or new folder for --out',
  });
}

/** Until the generator follows the register over time: the units of the sample's first years. */
function readUnits(): Unit[] {
  return loadRegister(join(SQL_DIR, '..', 'config', 'deployments', 'dong-hoi.units.yaml'))
    .units.filter((u) => u.validFrom === null && u.level !== null && u.type !== 'desk')
    .map((u, index) => ({ code: u.code, name: u.name, level: u.level!, aliases: u.aliases, index: index + 1 }));
}
