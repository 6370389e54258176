// A run stopped half-way through a stage (SIGTERM between two sources, as a full disk or the
// memory limit would cut it too) still tells in its ledger what the sources before had done.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NO_PROGRESS } from '../../core/progress.js';
import { runJob } from '../../pipelines/run.js';
import { capturedLog, inboxWith, sampleConfig, tempDir } from '../helpers.js';

describe('a run stopped between two sources of a stage', () => {
  it('keeps the load of the source before in its summary, and says what stopped it', async () => {
    const dir = tempDir();
    const config = sampleConfig(join(dir, 'data'), {
      motcua: inboxWith(join(dir, 'motcua'), ['motcua/danh-muc-tthc.csv', 'motcua/ho-so-2024-W01.csv']),
      dvc: inboxWith(join(dir, 'dvc'), ['bad/dvc/thanh-toan-api-headers.csv']),
    });
    await runJob(config, capturedLog().log, { only: 'extract' });
    const stop = new AbortController();
    // The signal arrives as the second source's load begins, after the first's has committed.
    const progress = { ...NO_PROGRESS, start: (label: string) => label === 'load dvc' && stop.abort('SIGTERM') };
    const summary = await runJob(config, capturedLog().log, { only: 'load', signal: stop.signal, progress });

    expect(summary.outcome).toBe('failed');
    expect(summary.stoppedBy).toBe('SIGTERM');
    expect(summary.sources.motcua!.load).toMatchObject({ files: 2, failed_files: 0 });
    expect(summary.sources.motcua!.load!.rows_loaded).toBeGreaterThan(0);
    expect(summary.stages.load!.loads.map((l) => l.file).sort()).toEqual(['danh-muc-tthc.csv', 'ho-so-2024-W01.csv']);
    expect(summary.sources.dvc!.load).toBeUndefined();
  });
});
