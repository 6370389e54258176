// The job's config for tests, kept apart from helpers.ts: the global setup uses it outside any test
// file, where vitest's hooks cannot be registered.
import { join } from 'node:path';
import { loadConfig, type Config } from '../config/load.js';

/** The bundled Đồng Hới deployment (its unit register and targets), for the configs tests write. */
export const DONG_HOI = {
  register: join(import.meta.dirname, '..', 'config', 'deployments', 'dong-hoi.units.yaml'),
  targets: join(import.meta.dirname, '..', 'config', 'deployments', 'dong-hoi.targets.csv'),
};
export const DONG_HOI_YAML = `deployment:\n  register: ${DONG_HOI.register}\n  targets: ${DONG_HOI.targets}\n`;

const SOURCES = ['motcua', 'dvc', 'ngansach'] as const;
export type Inboxes = Partial<Record<(typeof SOURCES)[number], string>>;

/** The bundled sample config, with its data folder moved to `dataDir`; only the sources given an inbox run. */
export function sampleConfig(dataDir: string, inboxes: Inboxes, env: Record<string, string> = {}): Config {
  const sources = Object.fromEntries(
    SOURCES.flatMap((name) => {
      const prefix = `CCHC__SOURCES__${name.toUpperCase()}`;
      const inbox = inboxes[name];
      return inbox ? [[`${prefix}__INBOX`, inbox]] : [[`${prefix}__ENABLED`, 'false']];
    }),
  );
  return loadConfig({
    env: { CCHC__WAREHOUSE__DATA_DIR: dataDir, CCHC__SAMPLE__GENERATE_IF_MISSING: 'false', ...sources, ...env },
  });
}
