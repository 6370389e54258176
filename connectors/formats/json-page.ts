// Reads a page landed from a sync API ({ page, page_size, total, items: [...] }) into
// `incoming`: one row per item, its fields matched to the table's columns by the same header
// aliases as the files (MaHoSo is "Mã hồ sơ"), as the text a flat export would hold; the whole
// item goes to record_json when the table keeps it, for its nested lists. A field left out of
// an item is empty: the API's declared shape, checked at extract, says which must be there.
import { ident, literal } from '../../core/warehouse.js';
import { mapHeaders } from '../headers.js';
import { createIncoming, INCOMING, type FileReader } from './incoming.js';

const PLAIN_KEY = /^[\p{L}\p{N}_][\p{L}\p{N}_ -]*$/u;

/** SQL: a field of the item as a flat export writes it; numbers with "," for decimals, as vn_amount reads them. */
function asExportText(key: string): string {
  const field = `item -> ${literal(key)}`;
  return `CASE json_type(${field})
      WHEN 'DOUBLE' THEN replace(rtrim(rtrim(printf('%.6f', (${field})::DOUBLE), '0'), '.'), '.', ',')
      ELSE ${field} ->> '$'
    END`;
}

export const readJsonPage: FileReader = async (db, path, displayName, table, extraAliases) => {
  await db.run(
    `CREATE OR REPLACE TEMP TABLE json_items AS
     SELECT row_number() OVER () AS _row, item
     FROM (SELECT unnest(json_extract(content, '$.items[*]')) AS item FROM read_text(${literal(path)}))`,
  );
  // Only plain field names: a key such as "$.x" would be read by DuckDB as a path to another field.
  const keys = (await db.all<{ key: string }>('SELECT DISTINCT unnest(json_keys(item)) AS key FROM json_items ORDER BY key'))
    .map((k) => k.key)
    .filter((key) => PLAIN_KEY.test(key));
  await createIncoming(db, table);
  const rows = await db.one<{ n: number }>('SELECT count(*) AS n FROM json_items');
  if (!rows?.n) return { mapping: { names: [], original: new Map(), unknown: [] }, rowsRead: 0, rejects: [] };

  const mapping = mapHeaders(displayName, keys, table, extraAliases, { requireColumns: false });
  const columns = [...mapping.original].map(([name, key]) => ({ name, value: asExportText(key) }));
  if (table.columns.some((c) => c.name === 'record_json')) {
    // Without the fields of personal columns, which stay in their own columns of raw alone (and
    // are erased with them): a merge patch of null removes a key.
    const personal = table.columns.filter((c) => c.personal && mapping.original.has(c.name)).map((c) => [mapping.original.get(c.name)!, null]);
    columns.push({ name: 'record_json', value: `json_merge_patch(item, ${literal(JSON.stringify(Object.fromEntries(personal)))})::VARCHAR` });
  }
  await db.run(
    `INSERT INTO ${INCOMING} (_row, ${columns.map((c) => ident(c.name)).join(', ')})
     SELECT _row, ${columns.map((c) => c.value).join(', ')} FROM json_items`,
  );
  await db.run('DROP TABLE json_items');
  return { mapping, rowsRead: rows.n, rejects: [] };
};
