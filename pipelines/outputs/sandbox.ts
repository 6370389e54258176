// The file access of a reader's DuckDB connection (`cchc query`, Metabase): the published
// folder it reads, nothing else. DuckDB's table functions read any file the process can
// (read_text, read_csv, glob, ATTACH): without this, a SELECT reads the landed exports, with
// citizens' names and ID numbers, or attaches the working warehouse and selects from raw.
import { literal } from '../../core/warehouse.js';

/**
 * The statements that close a connection to all files but those under `folders`. Run before
 * any other SQL: once external access is off, neither it nor the allowed folders can be changed
 * again on that DuckDB instance, by anyone.
 */
export function sandbox(folders: readonly string[]): string[] {
  return [
    `SET allowed_directories = [${folders.map((f) => literal(f.endsWith('/') ? f : `${f}/`)).join(', ')}]`,
    'SET enable_external_access = false',
  ];
}

/** A refused file or folder: DuckDB's permission error. */
export function isRefusedFile(message: string): boolean {
  return message.startsWith('Permission Error');
}
