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
