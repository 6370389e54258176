// Copying a release's snapshot: whole and byte for byte, whichever way the file system allows.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyLargeFile } from '../../core/files.js';
import { tempDir } from '../helpers.js';

describe('copyLargeFile', () => {
  it('copies a file whose size is no multiple of a disk block byte for byte', async () => {
    const dir = tempDir();
    // Direct I/O writes whole blocks: the last, short one must still end where the file ends.
    const bytes = randomBytes(9 * 1024 * 1024 + 123);
    writeFileSync(join(dir, 'from.duckdb'), bytes);
    await copyLargeFile(join(dir, 'from.duckdb'), join(dir, 'to.duckdb'));
    expect(readFileSync(join(dir, 'to.duckdb')).equals(bytes)).toBe(true);
  });

  it('replaces a longer file at the destination, not only its start', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'to.duckdb'), randomBytes(3 * 1024 * 1024));
    const bytes = randomBytes(1024 * 1024 + 7);
    writeFileSync(join(dir, 'from.duckdb'), bytes);
    await copyLargeFile(join(dir, 'from.duckdb'), join(dir, 'to.duckdb'));
    expect(readFileSync(join(dir, 'to.duckdb')).equals(bytes)).toBe(true);
  });
});
