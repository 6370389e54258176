// The connectors the job knows, and how the config turns them into sources to run.
import type { Config } from '../config/load.js';
import type { SourceName } from '../config/schema.js';
import type { FileSourceContract, TableContract } from './contract.js';
import { dvc } from './dvc.js';
import { motcua } from './motcua.js';
import { ngansach } from './ngansach.js';

export const CONNECTORS: readonly FileSourceContract[] = [motcua, dvc, ngansach];

/** A file-mode source as configured: where its exports arrive and which file holds which table. */
export type FileSource = {
  contract: FileSourceContract;
  inbox: string;
  /** Table contract by file-name glob, in config order. */
  files: { glob: string; table: TableContract }[];
  headerAliases: Readonly<Record<string, readonly string[]>>;
};

/** The enabled sources of the config, in the order of CONNECTORS. */
export function configuredSources(config: Config): FileSource[] {
  return CONNECTORS.flatMap((contract) => {
    const name = contract.name as SourceName;
    const settings = config.sources[name];
    if (!settings?.enabled) return [];
    return [
      {
        contract,
        inbox: config.paths.inboxes[name]!,
        files: Object.entries(settings.files).map(([table, glob]) => ({ glob, table: contract.tables[table]! })),
        headerAliases: settings.header_aliases,
      },
    ];
  });
}

/** The table a file name belongs to, by the first glob that matches it. */
export function tableForFile(source: FileSource, fileName: string): TableContract | undefined {
  return source.files.find(({ glob }) => globToRegExp(glob).test(fileName))?.table;
}

/** `*` any run of characters, `?` one character, `{a,b}` alternatives; case-insensitive. */
function globToRegExp(glob: string): RegExp {
  let pattern = '';
  for (const part of glob.split(/(\{[^}]*\}|\*|\?)/)) {
    if (part === '*') pattern += '.*';
    else if (part === '?') pattern += '.';
    else if (part.startsWith('{') && part.endsWith('}')) pattern += `(?:${part.slice(1, -1).split(',').map(escapeRegExp).join('|')})`;
    else pattern += escapeRegExp(part);
  }
  return new RegExp(`^${pattern}$`, 'i');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
