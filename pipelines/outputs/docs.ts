// The reference documents that are written from the code itself, so that they cannot drift from
// it: docs/sources.md, from the connectors' declared contracts, and docs/data-dictionary.md, from
// the models (built on an empty in-memory warehouse to learn their column types) and their
// headers. `cchc docs` writes them; a test fails when a committed copy is out of date.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, SQL_DIR } from '../../config/load.js';
import { apiSettings } from '../../config/schema.js';
import type { ColumnContract, SourceContract } from '../../connectors/contract.js';
import { CONNECTORS } from '../../connectors/registry.js';
import { qualified, Warehouse } from '../../core/warehouse.js';
import { buildModels } from '../models/build.js';
import { discoverModels, type Model } from '../models/graph.js';
import { columnDescriptions } from '../models/header.js';
import { writeSettings } from '../models/settings.js';
import { keepBuild } from '../models/swap.js';
import { deploymentReference, prepareWarehouse } from '../setup/layout.js';

export const DOCS_DIR = fileURLToPath(new URL('../../docs/', import.meta.url));

/** The API settings that have defaults, with them. */
const API_DEFAULTS = Object.fromEntries(
  Object.entries(apiSettings.parse({ base_url: 'https://example.org', token_env: 'TOKEN' })).filter(([key]) => !['base_url', 'token_env'].includes(key)),
);

const MODES: Record<string, string> = {
  motcua:
    'Dossier exports (CSV or XLSX, one row per dossier version, a dossier reappearing as its status changes) and the procedure catalogue, dropped in an inbox; or, in `mode: api`, dossiers pulled from the sync API while the catalogue still comes as a file. The procedure code may be missing: the statutory tracking book ("Sổ theo dõi hồ sơ") names the procedure only, and the catalogue places it by its name.',
  dvc: 'Monthly CSV exports of payments, ratings, feedback and accounts dropped in an inbox; or, in `mode: api`, all four pulled from the portal’s sync API.',
  ngansach:
    'Quarterly budget execution workbooks (XLSX) dropped in an inbox, as the budget system prints them or as the official disclosure forms lay them out ("Biểu số 93/CK-NSNN"): a title block naming the period ("QUÝ III NĂM 2024", "Quý 3/2024", "9 THÁNG", "NĂM 2024") and the unit ("Đơn vị tính:", "Đơn vị:" or "ĐVT: triệu đồng"; đồng, nghìn đồng and tỷ đồng are converted), a header over one or two rows ("So sánh (%)" columns are rates, never read), the row of column numbers (A, B, 1, 2, 4=3/1) skipped, STT codes A / I / 1 / 1.1 / "-" making the hierarchy, cumulative figures from the start of the year, notes and signatures below. The lines are identified by `sources.ngansach.items` (item key → STT path, e.g. `revenue_total: A`).',
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
    '| `inbox` | folder where the exports arrive (required in `file` mode, unless `enabled: false`) |',
    '| `files.<table>` | file-name pattern of each table (`*`, `?`, `{a,b}`); files that match none are left alone, with a warning |',
    '| `header_aliases.<column>` | more header spellings of a column, e.g. `dossier_id: ["Số biên nhận"]`, for every table of the source; they win over a built-in spelling of another column (`cchc check` notes it), and one spelling given to two columns is refused |',
    '| `api.base_url`, `api.token_env` | in `api` mode: the API up to its version (`…/api/v1`) and the name of the environment variable holding the bearer token |',
    `| ${Object.keys(API_DEFAULTS).map((k) => `\`api.${k}\``).join(', ')} | paging and retries (defaults ${Object.values(API_DEFAULTS).join(', ')}) |`,
    '',
    'Headers are matched whatever their diacritics, case, Unicode form (NFC or NFD) or CamelCase',
    'spelling: "Ngày tiếp nhận", "NGAY TIEP NHAN" and "NgayTiepNhan" are one column. They are found',
    'where printed forms put them, in XLSX and CSV alike: under a title block, over two rows (a parent',
    'merged over its children, "Ngày, tháng, năm" over "Nhận hồ sơ" and "Hẹn trả kết quả": the child\'s',
    'name, or parent and child together, is the column\'s), with the row of column numbers ((1), (2) …)',
    'skipped; the notes and signatures under a form\'s table are left out, and the log says so. A',
    'file without a required column fails with a message naming the file and the column; a row whose',
    'value cannot be read (a date, a number, a yes/no, a code no list of `sql/seeds` or of the',
    'config\'s `vocabulary` knows) is quarantined with its reason (docs/operations.md, "Rows in',
    'quarantine"). Personal columns stay in `raw`.',
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
      `${table.description} Key: ${table.primaryKey.map((k) => `\`${k}\``).join(', ')}${table.cursor ? `; versions ordered by \`${table.cursor}\`` : ''}.${api ? ` API: \`GET <base_url>/${api.path}\`, cursor \`${api.cursorField}\`.` : ''}`,
      '',
      '| column | header spellings | column required | value required | type | personal | meaning |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...table.columns.map(columnRow),
    );
  }
  return lines;
}

function columnRow(column: ColumnContract): string {
  const type = typeof column.type === 'object' ? `code of \`${column.type.lookup}\`` : `${column.type}${column.nonNegative ? ' ≥ 0' : ''}`;
  const spellings = column.aliases.length > 0 ? column.aliases.map((a) => `"${a}"`).join(', ') : '(filled by the reader)';
  return `| \`${column.name}\` | ${spellings} | ${column.required ? 'yes' : ''} | ${column.notNull ? 'yes' : ''} | ${type} | ${column.personal ? 'yes' : ''} | ${column.description.replaceAll('|', '\\|')} |`;
}

const LAYER_TITLES: Record<string, string> = {
  marts: 'Marts: published as Parquet (`marts/<name>.parquet`) and in the snapshot',
  intermediate: 'Intermediate models: in the snapshot',
  staging: 'Staging models: in the snapshot',
};

export async function dataDictionary(sqlDir = SQL_DIR): Promise<string> {
  const db = await Warehouse.open(':memory:');
  try {
    const config = loadConfig({ env: {} });
    await prepareWarehouse(db, CONNECTORS, { sqlDir, reference: deploymentReference(config) });
    await writeSettings(db, config);
    const models = discoverModels(sqlDir);
    await buildModels(db, models);
    await keepBuild(db);
    const byId = new Map(models.map((m) => [m.id, m]));
    const parts = [
      '# Data dictionary',
      '',
      '<!-- Written by `cchc docs` from the models of sql/ and their headers; do not edit by hand. -->',
      '',
      'Every table the warehouse publishes, with its grain and its columns. The marts are the',
      'Parquet files of each release; the snapshot (`cchc.duckdb`) holds them too, with the staging',
      'and intermediate models, the seeds and the settings, and these descriptions as comments.',
      'Personal data never leaves `raw`, which is not published.',
    ];
    for (const layer of ['marts', 'intermediate', 'staging'] as const) {
      parts.push('', `## ${LAYER_TITLES[layer]}`);
      for (const model of models.filter((m) => m.schema === layer).sort((a, b) => a.id.localeCompare(b.id))) {
        const columns = await db.all<{ name: string; type: string }>(`SELECT column_name AS name, column_type AS type FROM (DESCRIBE ${qualified(model.id)})`);
        const described = columnDescriptions(model, columns.map((c) => c.name));
        parts.push(
          '',
          `### \`${model.id}\``,
          '',
          model.header.description.trim(),
          '',
          `- Grain: ${model.header.grain.trim()}`,
          ...(model.header.primary_key ? [`- Primary key: ${model.header.primary_key.map((c) => `\`${c}\``).join(', ')}`] : []),
          ...(model.header.published_by_year ? [`- Also published by year: \`marts/${model.name}/year=<YYYY>/\` (year of \`${model.header.published_by_year}\`)`] : []),
          `- Reads: ${model.dependsOn.map((d) => `\`${d}\``).join(', ') || 'sources only'}`,
          `- Lineage (sources): ${sourcesOf(model, byId).map((t) => `\`${t}\``).join(', ')}`,
          '',
          '| column | type | description |',
          '| --- | --- | --- |',
          ...columns.map((c) => `| \`${c.name}\` | ${c.type} | ${(described[c.name] ?? '').trim().replaceAll('|', '\\|')} |`),
        );
      }
    }
    parts.push('', '## Seeds and settings: in the snapshot', '');
    const reference = await db.all<{ schema_name: string; table_name: string; columns: string }>(
      `SELECT schema_name, table_name, string_agg(column_name, ', ' ORDER BY column_index) AS columns
       FROM duckdb_columns() WHERE schema_name IN ('seeds', 'settings') GROUP BY ALL ORDER BY ALL`,
    );
    parts.push('| table | columns |', '| --- | --- |', ...reference.map((r) => `| \`${r.schema_name}.${r.table_name}\` | ${r.columns} |`));
    return `${parts.join('\n')}\n`;
  } finally {
    db.close();
  }
}

/** The raw tables, seeds and settings a model rests on, through all the models it reads. */
function sourcesOf(model: Model, byId: Map<string, Model>): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const walk = (m: Model) => {
    for (const { table } of m.references) {
      const upstream = byId.get(table);
      if (!upstream) found.add(table);
      else if (!seen.has(table)) {
        seen.add(table);
        walk(upstream);
      }
    }
  };
  walk(model);
  return [...found].sort();
}

export async function writeDocs(dir = DOCS_DIR, sqlDir = SQL_DIR): Promise<string[]> {
  const sources = join(dir, 'sources.md');
  const dictionary = join(dir, 'data-dictionary.md');
  await writeFile(sources, sourcesReference());
  await writeFile(dictionary, await dataDictionary(sqlDir));
  return [sources, dictionary];
}
