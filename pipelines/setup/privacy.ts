// Citizens' personal data (the columns a contract marks `personal`) stays in raw, and in the rows
// the quarantine holds whole (quarantine.<table>). Staging keeps at most a keyed hash of an ID
// number, so that analysts can tell that two dossiers are one person's without knowing who; and
// after `privacy.erase_personal_after_days` the personal data is erased from raw, from the
// quarantine and from the landed files. See docs/security.md.
import { createHash, createHmac } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { rawTableName, type ColumnContract, type SourceContract } from '../../connectors/contract.js';
import { ident, literal, type Warehouse } from '../../core/warehouse.js';

const BLOCK = 64;

/**
 * Defines keyed_hash(text) for this session: HMAC-SHA-256 under `key`, as 64 hex digits, or NULL
 * without a key. The key's pads live in a temporary table, filled through parameters, so that the
 * key is never in SQL text (an error quotes it), nor in the warehouse file.
 */
export async function defineKeyedHash(db: Warehouse, key: string | undefined): Promise<void> {
  if (!key) {
    await db.run('CREATE OR REPLACE TEMP TABLE hash_key AS SELECT NULL::VARCHAR AS key_id');
    await db.run('CREATE OR REPLACE TEMP MACRO keyed_hash(value) AS NULL::VARCHAR');
    return;
  }
  const block = Buffer.alloc(BLOCK);
  (Buffer.byteLength(key) > BLOCK ? createHash('sha256').update(key).digest() : Buffer.from(key)).copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte)).toString('hex');
  await db.run('CREATE OR REPLACE TEMP TABLE hash_key AS SELECT $1 AS key_id, unhex($2) AS ipad, unhex($3) AS opad', [keyId(key), pad(0x36), pad(0x5c)]);
  await db.run(
    `CREATE OR REPLACE TEMP MACRO keyed_hash(value) AS
     (SELECT CASE WHEN value IS NOT NULL THEN sha256(opad || unhex(sha256(ipad || encode(value::VARCHAR)))) END FROM hash_key)`,
  );
}

/** Names the key without revealing it: logged, and part of what the incremental models were built with. */
export function keyId(key: string): string {
  return createHmac('sha256', key).update('cchc key id').digest('hex').slice(0, 12);
}

export type Erased = { loads: number; rows: number; files: number };

function erased(column: ColumnContract): string {
  const name = ident(column.name);
  return column.keptOnErase ? `${name} = to_json(json_transform(${name}, ${literal(column.keptOnErase)}))::VARCHAR` : `${name} = NULL`;
}

/**
 * Erases the personal data of the loads finished more than `days` ago: the personal columns of
 * their rows in raw, the records of their quarantined rows, and their landed files once no load
 * needs them (and the files that failed to load that long ago). ops.landed_files keeps each
 * file's hash, so the export is not landed again from an inbox that still holds it.
 */
export async function erasePersonalData(db: Warehouse, sources: readonly SourceContract[], days: number): Promise<Erased> {
  const due = await db.all<{ load_id: number; source: string; table_name: string }>(
    `SELECT load_id, source, table_name FROM ops.loads
     WHERE load_id NOT IN (SELECT load_id FROM ops.personal_data_erased) AND finished_at < current_timestamp - to_days($1::INTEGER)`,
    [days],
  );
  if (due.length === 0) {
    const files = await filesDue(db, days);
    await removeLanded(db, files);
    return { loads: 0, rows: 0, files: files.length };
  }
  let rows = 0;
  const files = await db.transaction(async () => {
    for (const source of sources) {
      for (const table of Object.values(source.tables)) {
        const personal = table.columns.filter((c) => c.personal);
        const ids = due.filter((d) => d.source === source.name && d.table_name === table.name).map((d) => d.load_id);
        if (personal.length === 0 || ids.length === 0) continue;
        // The rows of raw, and those the quarantine holds whole until they pass their checks.
        for (const schema of ['raw', 'quarantine']) {
          const name = `${schema}.${ident(rawTableName(source.name, table))}`;
          const counted = await db.one<{ n: number }>(
            `SELECT count(*) AS n FROM ${name} WHERE _load_id IN (${ids.join(', ')}) AND (${personal.map((c) => `${ident(c.name)} IS NOT NULL`).join(' OR ')})`,
          );
          rows += counted!.n;
          await db.run(`UPDATE ${name} SET ${personal.map(erased).join(', ')} WHERE _load_id IN (${ids.join(', ')})`);
        }
      }
    }
    const ids = due.map((d) => d.load_id).join(', ');
    // A line DuckDB could not parse is kept whole, and records quarantined before records left
    // the personal columns out hold them: the reason and the row stay, the record goes.
    await db.run(`UPDATE ops.quarantine SET record = NULL WHERE load_id IN (${ids})`);
    await db.run(`INSERT INTO ops.personal_data_erased SELECT unnest([${ids}]), current_timestamp`);
    return filesDue(db, days);
  });
  // After the commit: a file deleted for a transaction that rolled back could not be loaded again.
  await removeLanded(db, files);
  return { loads: due.length, rows, files: files.length };
}

type LandedFile = { source: string; sha256: string; landed_path: string };

/**
 * The landed files whose personal data is due: those whose every load is erased, and those that
 * failed to load longer ago than the retention (they have no load). Such an export cannot be
 * loaded again; a corrected one, with other content, loads by itself.
 */
function filesDue(db: Warehouse, days: number): Promise<LandedFile[]> {
  return db.all<LandedFile>(
    `SELECT f.source, f.sha256, f.landed_path FROM ops.landed_files AS f
     WHERE NOT EXISTS (SELECT 1 FROM ops.landed_files_erased AS e WHERE e.source = f.source AND e.sha256 = f.sha256)
       AND (
         (EXISTS (SELECT 1 FROM ops.loads AS l WHERE l.source = f.source AND l.sha256 = f.sha256)
          AND NOT EXISTS (SELECT 1 FROM ops.loads AS l WHERE l.source = f.source AND l.sha256 = f.sha256
                          AND l.load_id NOT IN (SELECT load_id FROM ops.personal_data_erased)))
         OR EXISTS (SELECT 1 FROM ops.load_failures AS x WHERE x.source = f.source AND x.sha256 = f.sha256
                    AND x.failed_at < current_timestamp - to_days($1::INTEGER)))`,
    [days],
  );
}

async function removeLanded(db: Warehouse, files: readonly LandedFile[]): Promise<void> {
  for (const file of files) {
    await rm(file.landed_path, { force: true });
    await db.run('INSERT INTO ops.landed_files_erased VALUES ($1, $2, current_timestamp)', [file.source, file.sha256]);
  }
}
