import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDictionary, DOCS_DIR, sourcesReference } from '../../pipelines/outputs/docs.js';

describe('the generated documents', () => {
  it('docs/sources.md is what `cchc docs` writes from the connectors: run it after changing a contract', () => {
    expect(readFileSync(join(DOCS_DIR, 'sources.md'), 'utf8')).toBe(sourcesReference());
  });

  it('docs/data-dictionary.md is what `cchc docs` writes from the models: run it after changing one', async () => {
    expect(readFileSync(join(DOCS_DIR, 'data-dictionary.md'), 'utf8')).toBe(await dataDictionary());
  });
});
