// The sample generator: writes the sample exports of the source systems of a deployment, seeded and
// deterministic, for the units of its register: by the reference plan, Đồng Hới's exports built
// so that the warehouse reproduces the figures of the reference report, continued through the
// reform of 1 July 2025; by the steady plan, a plain flow of dossiers for any register.
// Written to a temporary folder and renamed, so that an interrupted run leaves no half sample.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Register } from '../config/register.js';
import { CchcError } from '../core/errors.js';
import { writeApiPages } from './api-pages.js';
import { writeBudgetWorkbooks } from './budget.js';
import { buildCatalogue } from './catalogue.js';
import { simulateDossiers } from './dossiers.js';
import { writeCatalogue, writeWeeklyExports } from './exports.js';
import type { SamplePlan } from './plan.js';
import { simulatePortal, writePortal } from './portal.js';
import { Random } from './random.js';
import { referencePlan } from './reference-plan.js';
import { steadyPlan } from './steady.js';
import { SampleUnits } from './units.js';

export const DEFAULT_SEED = 20240331;

export type SampleOptions = {
  seed?: number;
  /** The deployment's units over time: the sample's units are its own. */
  register: Register;
  /** `reference` (the default) needs Đồng Hới's register; `steady` takes any. */
  plan?: SamplePlan['name'];
};

export type SampleSummary = {
  dir: string;
  plan: SamplePlan['name'];
  /** The first and last day of its data. */
  from: string;
  to: string;
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

export async function generateSample(dir: string, options: SampleOptions): Promise<SampleSummary> {
  const seed = options.seed ?? DEFAULT_SEED;
  refuseToReplaceOtherFolders(dir);
  const random = new Random(seed);
  const units = new SampleUnits(options.register);
  const fullCatalogue = buildCatalogue(random);
  const plan = (options.plan ?? 'reference') === 'reference' ? referencePlan(units, fullCatalogue) : steadyPlan(units, random);
  // Only the catalogue levels some unit of the plan takes: the others have no level to be listed at.
  const catalogue = fullCatalogue.filter((p) => plan.procedureLevels[p.level] !== undefined);
  const dossiers = simulateDossiers(random, catalogue, units, plan);

  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  const layout = sampleLayout(partial);
  await mkdir(layout.motcuaInbox, { recursive: true });
  await writeCatalogue(join(layout.motcuaInbox, 'danh-muc-tthc.csv'), catalogue, plan.procedureLevels, new Map(units.all.map((u) => [u.code, u])));
  const exports = await writeWeeklyExports(layout.motcuaInbox, dossiers, plan);
  const api = await writeApiPages(layout.motcuaApi, dossiers, plan);
  await mkdir(layout.ngansachInbox, { recursive: true });
  const budgetFiles = plan.budget ? await writeBudgetWorkbooks(layout.ngansachInbox, random) : 0;
  await mkdir(layout.dvcInbox, { recursive: true });
  const portal = await writePortal(layout.dvcInbox, layout.dvcApi, simulatePortal(random, dossiers, units, plan));

  await writeFile(join(partial, SAMPLE_MARKER), `written by cchc sample, ${plan.name} plan, seed ${seed}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return {
    dir,
    plan: plan.name,
    from: plan.start,
    to: plan.end,
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
