// Maps the header row of an export to the canonical column names of its table contract.
// Exports spell the same column many ways ("Mã hồ sơ", "MÃ HỒ SƠ", "Ma ho so", "MaHoSo", NFD
// text from old tools); all reduce to one key here.
import { SourceFileError } from '../pipelines/errors.js';
import type { TableContract } from './contract.js';

/** "Ngày tiếp nhận", "NGAY TIEP NHAN", "NgayTiepNhan" → "ngay_tiep_nhan". */
export function headerKey(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/(\p{Ll})(\p{Lu})/gu, '$1_$2')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export type HeaderMapping = {
  /** Canonical name for each position of the header; unknown columns get `_extra_<n>`. */
  names: string[];
  /** The header as written in the file, by canonical name, for messages. */
  original: Map<string, string>;
  /** Headers the contract does not know, kept out of `raw` (and reported). */
  unknown: string[];
};

export function mapHeaders(
  file: string,
  headers: readonly string[],
  table: TableContract,
  extraAliases: Readonly<Record<string, readonly string[]>> = {},
  /** Files must hold every required column; an API item may leave out a field that is null. */
  { requireColumns = true }: { requireColumns?: boolean } = {},
): HeaderMapping {
  const byKey = new Map<string, string>();
  for (const column of table.columns) {
    for (const alias of [column.name, ...column.aliases, ...(extraAliases[column.name] ?? [])]) {
      byKey.set(headerKey(alias), column.name);
    }
  }

  const names: string[] = [];
  const original = new Map<string, string>();
  const unknown: string[] = [];
  headers.forEach((header, position) => {
    const name = byKey.get(headerKey(header));
    if (!name) {
      names.push(`_extra_${position + 1}`);
      if (header.trim() !== '') unknown.push(header);
      return;
    }
    if (original.has(name)) {
      throw new SourceFileError(
        file,
        `columns "${original.get(name)}" and "${header}" (position ${position + 1}) both mean ${name}`,
        { action: 'remove one of the two columns from the export, or rename it if it means something else' },
      );
    }
    names.push(name);
    original.set(name, header);
  });

  const missing = requireColumns ? table.columns.filter((c) => c.required && !original.has(c.name)) : [];
  if (missing.length > 0) {
    const list = missing.map((c) => `${c.name} (e.g. "${c.aliases[0]}")`).join(', ');
    throw new SourceFileError(file, `missing required column${missing.length > 1 ? 's' : ''} ${list}`, {
      action: `re-export the file with ${missing.length > 1 ? 'these columns' : 'this column'}, or, if the file names it differently, add that header under sources.<source>.header_aliases in the config`,
    });
  }
  return { names, original, unknown };
}
