// Reads the YAML config, applies environment overrides, validates it once, and resolves
// every path against the config file's folder so that cron's working directory never matters.
// This is the only module that reads process.env.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError, messageOf } from '../core/errors.js';
import { loadRegister, type Register } from './register.js';
import { configSchema, type ParsedConfig, type SourceName } from './schema.js';

export const SAMPLE_CONFIG = fileURLToPath(new URL('./sample.yaml', import.meta.url));
/** The project's SQL models, seeds and macros: the default of warehouse.sql_dir. */
export const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));

/** The name of the keyed hashes' key in Config.secrets (no source can have it: sources are lowercase). */
export const HASH_KEY = 'HASH_KEY';

/** Environment variables named `CCHC__SECTION__KEY` override `section.key` of the file. */
const ENV_PREFIX = 'CCHC__';

export type Config = ParsedConfig & {
  file: string;
  /**
   * Tokens of the API sources by source name, and the key of the keyed hashes as HASH_KEY, read
   * from the variables the config names. A Map, so that logging the config never prints them.
   */
  secrets: Map<string, string>;
  isSample: boolean;
  /** The deployment's units and levels over time (deployment.register). */
  register: Register;
  paths: {
    dataDir: string;
    publishDir: string;
    tempDir: string;
    sqlDir: string;
    warehouse: string;
    landing: string;
    /** Inbox folder of each configured source that has one. */
    inboxes: Partial<Record<SourceName, string>>;
    sampleOut: string | undefined;
    /** The deployment's targets (deployment.targets), if it has any. */
    targets: string | undefined;
  };
};

export type LoadOptions = { file?: string | undefined; env?: NodeJS.ProcessEnv };

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = resolve(options.file ?? env.CCHC_CONFIG ?? SAMPLE_CONFIG);
  const document = readYaml(file);
  const fromEnv = applyEnvOverrides(document, env);

  const parsed = configSchema.safeParse(document);
  if (!parsed.success) throw configErrorFrom(parsed.error, file, fromEnv);

  const config = parsed.data;
  const secrets = readSecrets(config, env, file);
  const base = dirname(file);
  // Normalised (no trailing slash, no `..`): paths are compared as text (setup/modes.ts).
  const at = (p: string) => (isAbsolute(p) ? resolve(p) : resolve(base, p));
  const dataDir = at(config.warehouse.data_dir);
  return {
    ...config,
    file,
    isSample: file === SAMPLE_CONFIG,
    secrets,
    register: loadRegister(at(config.deployment.register)),
    paths: {
      dataDir,
      publishDir: config.warehouse.publish_dir ? at(config.warehouse.publish_dir) : join(dataDir, 'publish'),
      tempDir: config.duckdb.temp_directory ? at(config.duckdb.temp_directory) : join(dataDir, 'tmp'),
      sqlDir: config.warehouse.sql_dir ? at(config.warehouse.sql_dir) : SQL_DIR,
      warehouse: join(dataDir, 'warehouse.duckdb'),
      landing: join(dataDir, 'landing'),
      inboxes: Object.fromEntries(
        Object.entries(config.sources).flatMap(([name, source]) => (source.inbox ? [[name, at(source.inbox)]] : [])),
      ),
      sampleOut: config.sample?.out ? at(config.sample.out) : undefined,
      targets: config.deployment.targets ? at(config.deployment.targets) : undefined,
    },
  };
}

function readSecrets(config: ParsedConfig, env: NodeJS.ProcessEnv, file: string): Map<string, string> {
  const secrets = new Map<string, string>();
  for (const [name, source] of Object.entries(config.sources)) {
    if (!source.enabled || !('api' in source) || source.mode !== 'api' || !source.api) continue;
    const token = env[source.api.token_env];
    if (!token) {
      throw new ConfigError(`${file}: sources.${name}.api.token_env names ${source.api.token_env}, which is not set in the environment`, {
        action: `set ${source.api.token_env} to the bearer token of the ${name} API before running`,
      });
    }
    // A token with a line break or a control character would be refused by the HTTP stack in an
    // error message that quotes it: refuse it here, without printing it.
    if (!/^[\x21-\x7E]+$/.test(token)) {
      throw new ConfigError(`${file}: the token in ${source.api.token_env} holds spaces, line breaks or characters outside printable ASCII`, {
        action: `set ${source.api.token_env} to the token alone, with no line break (check the file or secret it comes from)`,
      });
    }
    secrets.set(name, token);
  }
  const key = env[config.privacy.hash_key_env];
  if (key !== undefined && key !== '') {
    // A short key can be found by trying keys; an ID number has few enough values as it is.
    if (Buffer.byteLength(key) < 32) {
      throw new ConfigError(`${file}: the key in ${config.privacy.hash_key_env} is shorter than 32 bytes`, {
        action: `set ${config.privacy.hash_key_env} to a random key of at least 32 bytes, e.g. the output of: openssl rand -base64 48`,
      });
    }
    secrets.set(HASH_KEY, key);
  }
  return secrets;
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the config file ${file}: ${messageOf(error)}`, {
      action: 'pass an existing YAML file with --config, or omit --config to use the bundled sample config',
    });
  }
  try {
    const document: unknown = parseYaml(text) ?? {};
    if (typeof document !== 'object' || Array.isArray(document)) {
      throw new ConfigError(`${file}: the config must be a YAML mapping of sections`, {
        action: 'start from config/sample.yaml',
      });
    }
    return document as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof YAMLParseError)) throw error;
    throw new ConfigError(`${file}: invalid YAML: ${error.message}`, { action: 'fix the YAML syntax at that line' });
  }
}

/** Writes each `CCHC__A__B=value` into document.a.b; returns the dotted keys it set, by env var name. */
function applyEnvOverrides(document: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const set = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const keys = name.slice(ENV_PREFIX.length).toLowerCase().split('__').filter(Boolean);
    if (keys.length === 0) continue;
    let node = document;
    for (const key of keys.slice(0, -1)) {
      const child = node[key];
      node[key] = typeof child === 'object' && child !== null && !Array.isArray(child) ? child : {};
      node = node[key] as Record<string, unknown>;
    }
    // YAML parsing of the value turns "4" into 4 and "true" into true, as in the file.
    node[keys.at(-1)!] = parseYaml(raw);
    set.set(keys.join('.'), name);
  }
  return set;
}

function configErrorFrom(error: z.ZodError, file: string, fromEnv: Map<string, string>): ConfigError {
  const lines = error.issues.flatMap((issue) => {
    const path = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => line([path, key].filter(Boolean).join('.'), 'unknown key'));
    }
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
    return [line(path, missing ? (issue.expected === 'object' ? 'missing: this section is required' : `missing: a ${issue.expected} is required`) : issue.message)];
  });
  return new ConfigError(`${file} is not a valid config:\n${lines.join('\n')}`, {
    action: 'correct these keys; config/sample.yaml shows every section with its defaults',
  });

  function line(key: string, problem: string): string {
    const envName = [...fromEnv].find(([dotted]) => key === dotted || key.startsWith(`${dotted}.`))?.[1];
    const where = envName ? `${key} (from the environment variable ${envName})` : key || '(top level)';
    return `  ${where}: ${problem}`;
  }
}
