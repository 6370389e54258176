// A run killed with SIGKILL anywhere (landing a file, loading, building models, testing,
// publishing) leaves the previous release current and readable; the next run then ends with the
// same marts, the same raw rows and the same load ledger as a run that was never interrupted.
// SIGTERM stops a run at its next step, cleanly.
import { cpSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { query, tempDir } from '../helpers.js';
import { FIRST_NIGHT, inboxesOf, runCchc, sampleInboxes, startCchc, warehouseContents, writeConfig, type Exit, type LogLine } from '../processes.js';

const sampleDir = inject('sampleDir');
const DEBUG = { CCHC__LOG__LEVEL: 'debug' };

/** The nth log line (from 1) that matches. */
function nth(n: number, match: (line: LogLine) => boolean): (line: LogLine) => boolean {
  let seen = 0;
  return (line) => match(line) && ++seen === n;
}

// Each point is a log line the job writes just before the step where the kill lands.
// With batches of one file, the 4th is logged while the next two batches are being loaded.
const KILL_POINTS: [string, (line: LogLine) => boolean, Record<string, string>?][] = [
  ['while landing files', nth(3, (l) => l.msg === 'landed')],
  ['while loading files', nth(4, (l) => l.msg === 'loaded')],
  ['while loading files two batches at a time', nth(4, (l) => l.msg === 'loaded'), { CCHC__DUCKDB__LOAD_BATCH_MB: '0.000001' }],
  ['while building the models', nth(6, (l) => l.msg === 'model built')],
  ['while running the data tests', (l) => l.msg === 'model built' && l.model === 'marts.rpt_reconciliation'],
  ['while writing the Parquet files', nth(2, (l) => l.msg === 'parquet written')],
  ['while writing the snapshot', (l) => l.msg === 'parquet written' && l.mart === 'rpt_reconciliation'],
];

describe('a run killed at any point', () => {
  const root = tempDir();
  const base = join(root, 'base');
  let expected: Record<string, unknown>;
  let baseRelease: string;

  /** The warehouse after a first run, with the exports of the next night waiting in the inboxes. */
  function nextNight(name: string): { config: string; data: string } {
    const dir = join(root, name);
    cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
    sampleInboxes(sampleDir, dir, { motcua: /^ho-so-2024-W(0[7-9]|1[0-3])\./, dvc: /-2024-0[23]\.csv$/ });
    return { config: writeConfig(dir, inboxesOf(dir)), data: join(dir, 'data') };
  }

  beforeAll(async () => {
    const inboxes = sampleInboxes(sampleDir, base, FIRST_NIGHT);
    // Paths relative to the config, so that a copy of the folder is a warehouse of its own.
    expect(Object.keys(inboxes)).toEqual(['motcua', 'dvc', 'ngansach']);
    expect((await nextRun(writeConfig(base, inboxesOf(base)))).code).toBe(0);
    baseRelease = readlinkSync(join(base, 'data', 'publish', 'current'));

    const uninterrupted = nextNight('uninterrupted');
    expect((await nextRun(uninterrupted.config)).code).toBe(0);
    expected = await warehouseContents(uninterrupted.data);
  });

  it.each(KILL_POINTS)('%s: the previous release stays current, and the next run gives the same figures', async (point, match, env) => {
    const { config, data } = nextNight(point.replaceAll(' ', '-'));
    const run = startCchc(['run', '--config', config], { ...DEBUG, ...env });
    // The run reaches the point (a run that ended before it fails the test), and dies there.
    await run.waitFor(match);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    await expectPreviousReleaseThenRecovery(config, data);
  });

  it('between the release put in place and the current switch: the previous release stays current, and the next run gives the same figures', async () => {
    // A window of two renames, too short to hit from outside: the run kills itself there.
    const { config, data } = nextNight('release-in-place');
    const run = await runCchc(['run', '--config', config], { CCHC_FAILPOINT: 'release-in-place' });
    expect(run.signal).toBe('SIGKILL');
    const releases = readdirSync(join(data, 'publish', 'releases'));
    expect(releases).toContain(run.lines.find((l) => l.msg === 'run started')!.run_id);
    await expectPreviousReleaseThenRecovery(config, data);
  });

  async function expectPreviousReleaseThenRecovery(config: string, data: string) {
    // What dashboards read is still the release before, whole.
    expect(readlinkSync(join(data, 'publish', 'current'))).toBe(baseRelease);
    const manifest = JSON.parse(readFileSync(join(data, 'publish', 'current', 'manifest.json'), 'utf8')) as { marts: { file: string; rows: number }[] };
    for (const mart of manifest.marts) {
      const [counted] = await query<{ n: number }>(`SELECT count(*) AS n FROM read_parquet('${join(data, 'publish', 'current', mart.file)}')`);
      expect(counted!.n).toBe(mart.rows);
    }

    const next = await nextRun(config);
    expect(next.code).toBe(0);
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeDefined();
    expect(await warehouseContents(data)).toEqual(expected);
  }

  it('stops at the next step on SIGTERM, exits, and the next run gives the same figures', async () => {
    const { config, data } = nextNight('sigterm');
    const run = startCchc(['run', '--config', config], DEBUG);
    await run.waitFor(nth(2, (l) => l.msg === 'loaded'));
    run.child.kill('SIGTERM');
    const stopped = await run.exited;
    expect(stopped.code).toBe(1);
    expect(stopped.lines.find((l) => l.msg === 'run stopped')).toMatchObject({ err: 'the run was stopped by SIGTERM before it finished' });
    expect(readlinkSync(join(data, 'publish', 'current'))).toBe(baseRelease);

    const next = await runCchc(['run', '--config', config]);
    expect(next.code).toBe(0);
    // Nothing was left unfinished: the stopped run recorded itself.
    expect(next.lines.find((l) => l.msg.startsWith('runs left unfinished'))).toBeUndefined();
    expect(await warehouseContents(data)).toEqual(expected);
  });
});

/** A run, until it ends by itself: one that dies of a signal fails the test, never runs again. */
async function nextRun(config: string): Promise<Exit> {
  const exit = await runCchc(['run', '--config', config]);
  expect(exit.signal, exit.stderr.slice(-2000)).toBeNull();
  return exit;
}
