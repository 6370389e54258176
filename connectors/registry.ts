// The connectors the job knows, and how the config turns them into sources to run.
import type { Config } from '../config/load.js';
import type { ApiSettings, SourceName } from '../config/schema.js';
import type { ApiResource, SourceContract, TableContract } from './contract.js';
import { dvc } from './dvc.js';
import { checkHeaderAliases } from './headers.js';
import type { HttpSettings } from './http.js';
import { motcua } from './motcua.js';
import { ngansach } from './ngansach.js';

export const CONNECTORS: readonly SourceContract[] = [motcua, dvc, ngansach];

/** A source as configured: where its files arrive and which holds which table, and how to pull its API. */
export type ConfiguredSource = {
  contract: SourceContract;
  /** Undefined for a source pulled only from its API. */
  inbox: string | undefined;
  /** Table contract by file-name glob, in config order; `fromApi` for a table pulled from the API instead. */
  files: { glob: string; table: TableContract; fromApi: boolean }[];
  headerAliases: Readonly<Record<string, readonly string[]>>;
  /** In API mode: the settings, and the tables pulled from the API. */
  api?: { settings: ApiSettings; http: HttpSettings; resources: { table: TableContract; resource: ApiResource }[] };
};

/** The enabled sources of the config, in the order of CONNECTORS. */
export function configuredSources(config: Config): ConfiguredSource[] {
  return CONNECTORS.flatMap((contract) => {
    const name = contract.name as SourceName;
    const settings = config.sources[name];
    if (!settings?.enabled) return [];
    const apiSettings = settings.mode === 'api' && 'api' in settings ? settings.api : undefined;
    const pulled = new Set(apiSettings ? Object.keys(contract.api ?? {}) : []);
    const inbox = config.paths.inboxes[name];
    checkHeaderAliases(name, Object.values(contract.tables), settings.header_aliases);
    const source: ConfiguredSource = {
      contract,
      inbox,
      files: inbox ? Object.entries(settings.files).map(([table, glob]) => ({ glob, table: contract.tables[table]!, fromApi: pulled.has(table) })) : [],
      headerAliases: settings.header_aliases,
    };
    if (apiSettings) {
      source.api = {
        settings: apiSettings,
        http: {
          source: name,
          token: config.secrets.get(name)!,
          tokenEnv: apiSettings.token_env,
          timeoutMs: apiSettings.timeout_ms,
          retries: apiSettings.retries,
          backoffMs: apiSettings.backoff_ms,
          baseUrlKey: `sources.${name}.api.base_url`,
        },
        resources: [...pulled].map((table) => ({ table: contract.tables[table]!, resource: contract.api![table]! })),
      };
    }
    return [source];
  });
}

/** The table a file name belongs to, by the first glob that matches it. */
export function tableForFile(source: ConfiguredSource, fileName: string): ConfiguredSource['files'][number] | undefined {
  return source.files.find(({ glob }) => globToRegExp(glob).test(fileName));
}

/** `*` any run of characters, `?` one character, `{a,b}` alternatives; case-insensitive. A line break in a name is a character like any other (flag s). */
function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (const part of glob.split(/(\{[^}]*\}|\*|\?)/)) {
    if (part === '*') pattern += '.*';
    else if (part === '?') pattern += '.';
    else if (part.startsWith('{') && part.endsWith('}')) pattern += `(?:${part.slice(1, -1).split(',').map(escapeRegExp).join('|')})`;
    else pattern += escapeRegExp(part);
  }
  return new RegExp(`^${pattern}$`, 'is');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
