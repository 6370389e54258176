// What each connector declares about its tables holds together.
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connectors/registry.js';

describe('the connectors’ contracts', () => {
  it.each(CONNECTORS.flatMap((c) => Object.entries(c.tables).map(([key, t]) => [`${c.name}.${key}`, t] as const)))(
    '%s declares its primary key and cursor among its columns, each column once',
    (_name, table) => {
      const columns = table.columns.map((c) => c.name);
      expect(new Set(columns).size).toBe(columns.length);
      expect(columns).toEqual(expect.arrayContaining([...table.primaryKey, ...(table.cursor ? [table.cursor] : [])]));
      for (const key of table.primaryKey) expect(table.columns.find((c) => c.name === key)!.required).toBe(true);
    },
  );

  it('serves from each API only tables the source has', () => {
    for (const connector of CONNECTORS) {
      for (const table of Object.keys(connector.api ?? {})) expect(Object.keys(connector.tables)).toContain(table);
    }
  });
});
