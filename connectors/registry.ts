// The connectors the job knows, and how the config turns them into sources to run.
import type { Config } from '../config/load.js';
import type { FileSourceContract, TableContract } from './contract.js';
import { motcua } from './motcua.js';

export const CONNECTORS: readonly FileSourceContract[] = [motcua];

/** A file-mode source as configured: where its exports arrive and which file holds which table. */
export type FileSource = {
  contract: FileSourceContract;
  inbox: string;
  /** Table contract by file-name glob, in config order. */
  files: { glob: string; table: TableContract }[];
  headerAliases: Readonly<Record<string, readonly string[]>>;
};

export function configuredSources(config: Config): FileSource[] {
  const sources: FileSource[] = [];
  const motcuaConfig = config.sources.motcua;
  if (motcuaConfig.enabled) {
    sources.push({
      contract: motcua,
      inbox: config.paths.motcuaInbox,
      files: Object.entries(motcuaConfig.files).map(([table, glob]) => ({ glob, table: motcua.tables[table]! })),
      headerAliases: motcuaConfig.header_aliases,
    });
  }
  return sources;
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
