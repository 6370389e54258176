// The reference documents that are written from the code itself, so that they cannot drift from
// it: docs/sources.md, from the connectors' declared contracts. `cchc docs` writes them; a test
// fails when a committed copy is out of date.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiSettings } from '../config/schema.js';
import type { ColumnContract, SourceContract } from '../connectors/contract.js';
import { CONNECTORS } from '../connectors/registry.js';

export const DOCS_DIR = fileURLToPath(new URL('../docs/', import.meta.url));

/** The API settings that have defaults, with them. */
const API_DEFAULTS = Object.fromEntries(
  Object.entries(apiSettings.parse({ base_url: 'https://example.org', token_env: 'TOKEN' })).filter(([key]) => !['base_url', 'token_env'].includes(key)),
);

const MODES: Record<string, string> = {
  motcua:
    'Dossier exports (CSV or XLSX, one row per dossier version, a dossier reappearing as its status changes) and the procedure catalogue, dropped in an inbox; or, in `mode: api`, dossiers pulled from the sync API while the catalogue still comes as a file.',
  dvc: 'Monthly CSV exports of payments, ratings, feedback and accounts dropped in an inbox; or, in `mode: api`, all four pulled from the portal’s sync API.',
  ngansach:
    'Quarterly budget execution workbooks (XLSX) dropped in an inbox, as the budget system prints them: a title block naming the period and the unit ("Đơn vị tính: triệu đồng"; đồng, nghìn đồng and tỷ đồng are converted), a header over two rows, STT codes A / I / 1 / 1.1 / "-" making the hierarchy, cumulative figures from the start of the year. The lines are identified by `sources.ngansach.items` (item key → STT path, e.g. `revenue_total: A`).',
};

export function sourcesReference(): string {
  const parts = [
    '# Source systems',
    '',
    '<!-- Written by `cchc docs` from connectors/*.ts; do not edit by hand. -->',
    '',
    'Each source is a section of `sources:` in the config. Keys every source has:',
    '',
    '| key | meaning |',
    '| --- | --- |',
    '| `enabled` | `false` leaves the source out of runs (default `true`) |',
    '| `mode` | `file` (default): exports dropped in `inbox`; `api`: pulled from the sync API (one-stop-shop and portal) |',
    '| `inbox` | folder where the exports arrive (required in `file` mode) |',
    '| `files.<table>` | file-name pattern of each table (`*`, `?`, `{a,b}`); files that match none are left alone, with a warning |',
    '| `header_aliases.<column>` | more header spellings of a column, e.g. `dossier_id: ["Số biên nhận"]` |',
    '| `api.base_url`, `api.token_env` | in `api` mode: the API up to its version (`…/api/v1`) and the name of the environment variable holding the bearer token |',
    `| ${Object.keys(API_DEFAULTS).map((k) => `\`api.${k}\``).join(', ')} | paging and retries (defaults ${Object.values(API_DEFAULTS).join(', ')}) |`,
    '',
    'Headers are matched whatever their diacritics, case, Unicode form (NFC or NFD) or CamelCase',
    'spelling: "Ngày tiếp nhận", "NGAY TIEP NHAN" and "NgayTiepNhan" are one column. A file without',
    'a required column fails with a message naming the file and the column; a row whose value',
    'cannot be read (a date, a number, a yes/no, a code not in `sql/seeds/code_lists.csv`) is',
    'quarantined in `ops.quarantine` with its reason. Personal columns stay in `raw`.',
    '',
    'APIs answer `GET <base_url>/<resource>?updated_since=yyyyMMddHHmmss&after_id=…&page_size=M` with',
    '`{ page_size, total, items }`: the items updated at or after `updated_since` (past `after_id`',
    'among those updated exactly then), ordered by update time then id, `total` counting all that',
    'match. The job pages by that key (the update time and id of the last item received), keeps per',
    'resource the latest update time it has landed as its cursor (`ops.cursors`), and asks from',
    'there the next night. Plain `http` is accepted on the local machine only.',
  ];
  for (const source of CONNECTORS) parts.push('', ...sourceSection(source));
  return `${parts.join('\n')}\n`;
}

function sourceSection(source: SourceContract): string[] {
  const lines = [`## \`${source.name}\`: ${source.description}`, '', MODES[source.name] ?? ''];
  for (const [key, table] of Object.entries(source.tables)) {
    const api = source.api?.[key];
    lines.push(
      '',
      `### \`${key}\` → \`raw.${source.name}__${table.name}\``,
      '',
      `${table.description}${api ? ` API: \`GET <base_url>/${api.path}\`, cursor \`${api.cursorField}\`.` : ''}`,
      '',
      '| column | header spellings | column required | value required | type | personal | meaning |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...table.columns.map(columnRow),
    );
  }
  return lines;
}

function columnRow(column: ColumnContract): string {
  const type = typeof column.type === 'object' ? `code of \`${column.type.lookup}\`` : column.type;
  const spellings = column.aliases.length > 0 ? column.aliases.map((a) => `"${a}"`).join(', ') : '(filled by the reader)';
  return `| \`${column.name}\` | ${spellings} | ${column.required ? 'yes' : ''} | ${column.notNull ? 'yes' : ''} | ${type} | ${column.personal ? 'yes' : ''} | ${column.description.replaceAll('|', '\\|')} |`;
}

export async function writeDocs(dir = DOCS_DIR): Promise<string[]> {
  const path = join(dir, 'sources.md');
  await writeFile(path, sourcesReference());
  return [path];
}
