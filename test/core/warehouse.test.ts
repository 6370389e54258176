// Opening and closing DuckDB databases side by side, as a publish does (a throwaway database for
// the reports beside the warehouse): one's close must not harm the other's work.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Warehouse } from '../../core/warehouse.js';
import { tempDir } from '../helpers.js';

describe('Warehouse', () => {
  it('keeps a statement running on one database whole while another one closes', async () => {
    const warehouse = await Warehouse.open(join(tempDir(), 'warehouse.duckdb'), { threads: 2, memory_limit: '512MB' });
    try {
      const running = warehouse.one<{ n: number }>('SELECT count(DISTINCT range % 1000003) AS n FROM range(20000000)');
      const side = await Warehouse.open(':memory:');
      expect(await side.one('SELECT 1 AS one')).toEqual({ one: 1 });
      side.close();
      expect(await running).toEqual({ n: 1000003 });
      // Each opens with DuckDB's allocator returning freed memory from a background thread.
      expect(await warehouse.one(`SELECT current_setting('allocator_background_threads') AS on`)).toEqual({ on: true });
    } finally {
      warehouse.close();
    }
  });
});
