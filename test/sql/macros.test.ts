// The macros that read the text of exports (sql/setup.sql), on the spellings offices write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../core/warehouse.js';
import { modelsOn } from '../helpers.js';

describe('vn_integer', () => {
  let db: Warehouse;
  beforeAll(async () => {
    db = await modelsOn({}, ['staging.stg_seeds__levels']);
  });
  afterAll(() => db.close());

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
