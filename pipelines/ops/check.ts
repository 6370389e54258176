// `cchc check`: what can be known before a run, without touching the warehouse: the config, the
// unit register, the header spellings, each source's inbox or API, the data folder, the seeds,
// the SQL models and their data tests. Each problem is said with what to do.
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import type { Config } from '../../config/load.js';
import { resourceUrl } from '../../connectors/api.js';
import { checkHeaderAliases } from '../../connectors/headers.js';
import { getJson } from '../../connectors/http.js';
import { CONNECTORS, configuredSources } from '../../connectors/registry.js';
import { CchcError, messageOf } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { Warehouse } from '../../core/warehouse.js';
import { testsOf } from '../models/data-tests.js';
import { discoverModels } from '../models/graph.js';
import { deploymentReference, prepareWarehouse } from '../setup/layout.js';
import { exposedPaths } from '../setup/modes.js';

/** Prints what is fine and returns the problems, each with what to do. */
export async function checkDeployment(config: Config): Promise<string[]> {
  console.log(`config ${config.file}: valid`);
  const { register } = config;
  const levels = register.levels.map((l) => `${l.code} "${l.label}"`).join(', ');
  console.log(`unit register ${register.file}: ${register.name} (${register.code}), ${register.units.length} units, levels ${levels}`);
  for (const [name, source] of Object.entries(config.sources)) {
    const contract = CONNECTORS.find((c) => c.name === name)!;
    for (const note of checkHeaderAliases(name, Object.values(contract.tables), source.header_aliases)) console.log(`note: ${note}`);
  }
  const problems = [...(await checkSources(config)), ...checkWritable(config.paths.dataDir, 'warehouse.data_dir')];
  await warnOfExposedData(config);
  const db = await Warehouse.open(':memory:');
  try {
    await prepareWarehouse(db, CONNECTORS, { sqlDir: config.paths.sqlDir, reference: deploymentReference(config) });
    const spellings = await db.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM seeds.vocabulary');
    if (spellings!.n > 0) console.log(`vocabulary: ${spellings!.n} spelling${spellings!.n > 1 ? 's' : ''} placed in their code lists`);
    const models = discoverModels(config.paths.sqlDir);
    const tests = testsOf(models, config.paths.sqlDir);
    console.log(`seeds, ${models.length} SQL models and ${tests.length} data tests: valid, dependencies resolved`);
  } catch (error) {
    if (!(error instanceof CchcError)) throw error;
    problems.push(error.describe());
  } finally {
    db.close();
  }
  return problems;
}

/** Each source's inbox exists, and each API answers page 1 with the configured token. */
async function checkSources(config: Config): Promise<string[]> {
  const problems: string[] = [];
  for (const source of configuredSources(config)) {
    const name = source.contract.name;
    if (source.inbox && existsSync(source.inbox)) {
      console.log(`source ${name}: inbox ${source.inbox} is readable`);
    } else if (source.inbox && config.sample?.generate_if_missing) {
      console.log(`source ${name}: the sample exports will be generated in ${source.inbox} on the first run`);
    } else if (source.inbox) {
      problems.push(`source ${name}: the inbox ${source.inbox} does not exist\n  → create it, or set sources.${name}.inbox`);
    }
    for (const { resource } of source.api?.resources ?? []) {
      const url = resourceUrl(source.api!.settings, resource, { page_size: '1' });
      try {
        await getJson(url, { ...source.api!.http, retries: 0 }, createLogger({ level: 'silent' }));
        console.log(`source ${name}: ${url.origin}${url.pathname} answers`);
      } catch (error) {
        if (!(error instanceof CchcError)) throw error;
        problems.push(error.describe());
      }
    }
  }
  return problems;
}

/** The data folder holds personal data: what other accounts of the machine can read in it (a folder from before the job made it private, or opened by hand). */
async function warnOfExposedData(config: Config): Promise<void> {
  const exposed = await exposedPaths(config);
  if (exposed.length === 0) return console.log(`warehouse.data_dir ${config.paths.dataDir}: private to its owner`);
  const listed = exposed.slice(0, 5).map((e) => `  ${e.mode} ${e.path}`).join('\n');
  const more = exposed.length > 5 ? `\n  … and ${exposed.length - 5} more` : '';
  console.log(
    `warning: other accounts of this machine can read or enter ${exposed.length} path${exposed.length > 1 ? 's' : ''} of the data folder, which holds citizens' personal data:\n${listed}${more}\n` +
      `  → chmod -R go-rwx ${config.paths.dataDir}, then run the job: it opens the publish folder to its readers again (docs/security.md)`,
  );
}

function checkWritable(dir: string, key: string): string[] {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    console.log(`${key} ${dir}: writable`);
    return [];
  } catch (error) {
    return [`${key} ${dir} is not writable: ${messageOf(error)}\n  → choose a folder the job's user can write`];
  }
}
