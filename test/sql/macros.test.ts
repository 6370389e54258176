// The macros that read the text of exports (sql/setup.sql), on the spellings offices write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../core/warehouse.js';
import { modelsOn } from '../helpers.js';

let db: Warehouse;
beforeAll(async () => {
  db = await modelsOn({}, ['staging.stg_seeds__levels']);
});
afterAll(() => db.close());

describe('vn_integer', () => {
  it('reads whole numbers with "." grouping thousands, and no number where a "." is a decimal point', async () => {
    const read = async (text: string | null) => (await db.one<{ n: bigint | number | null }>('SELECT vn_integer($1) AS n', [text]))!.n;
    expect(await read('15')).toBe(15);
    expect(await read(' 7 ')).toBe(7);
    expect(await read('1.500')).toBe(1500);
    expect(await read('-2')).toBe(-2);
    // 1.5 days is no whole number: quarantined, not read as 15.
    expect(await read('1.5')).toBeNull();
    expect(await read('1.50')).toBeNull();
    expect(await read('12,5')).toBeNull();
    expect(await read('')).toBeNull();
    expect(await read(null)).toBeNull();
  });
});

describe('latest_version and latest_row', () => {
  it('keeps the version updated last, then loaded last, then last in its file; one without an update time loses to any with one; latest_row names the same rows', async () => {
    await db.run(`CREATE TEMP TABLE versions AS SELECT * FROM (VALUES
      ('updated last', TIMESTAMP '2024-01-02', 1, 1, 'wins'), ('updated last', TIMESTAMP '2024-01-01', 9, 9, 'loaded later, updated before'),
      ('same time', TIMESTAMP '2024-01-01', 2, 1, 'wins'), ('same time', TIMESTAMP '2024-01-01', 1, 9, 'loaded first'),
      ('same load', TIMESTAMP '2024-01-01', 3, 7, 'wins'), ('same load', TIMESTAMP '2024-01-01', 3, 2, 'earlier in the file'),
      ('no time', NULL, 9, 9, 'no update time'), ('no time', TIMESTAMP '2020-01-01', 1, 1, 'wins'),
      ('time before 1970', NULL, 9, 9, 'no update time'), ('time before 1970', TIMESTAMP '1969-12-31', 1, 1, 'wins'),
      ('never a time', NULL, 4, 1, 'wins'), ('never a time', NULL, 3, 8, 'loaded first'),
      (NULL, NULL, 1, 1, 'loaded first'), (NULL, NULL, 2, 1, 'wins')
    ) AS v(key, updated_at, _load_id, _row, note)`);
    const kept = await db.all<{ key: string | null; note: string }>('SELECT key, note FROM latest_version(versions, key) ORDER BY key NULLS LAST');
    expect(kept.map((k) => [k.key, k.note])).toEqual([
      ['never a time', 'wins'], ['no time', 'wins'], ['same load', 'wins'], ['same time', 'wins'], ['time before 1970', 'wins'], ['updated last', 'wins'], [null, 'wins'],
    ]);
    // The grouping stg_motcua__dossiers keeps its winners with: the same rows, and the versions counted.
    const grouped = await db.all<{ key: string | null; note: string; versions: number }>(
      `SELECT v.key, v.note, g.versions FROM versions AS v
       JOIN latest_row(versions, key) AS g ON g.key IS NOT DISTINCT FROM v.key AND g._load_id = v._load_id AND g._row = v._row
       ORDER BY v.key NULLS LAST`,
    );
    expect(grouped.map((g) => [g.key, g.note])).toEqual(kept.map((k) => [k.key, k.note]));
    expect(grouped.map((g) => Number(g.versions))).toEqual([2, 2, 2, 2, 2, 2, 2]);
  });
});
