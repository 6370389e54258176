// A full disk ends a run like any other failure: exit 1, a message that names the folder and the
// space, the alert sent, the ledger closed, no half-written release left; once space is freed, the
// next run publishes. On a real small file system: a tmpfs the test mounts (which needs root), filled
// by the test while the run is paused at a given step.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { messageOf } from '../../core/errors.js';
import { newSummary, writeSummaryFile } from '../../pipelines/ops/ledger.js';
import { queryFile, tempDir, webhook } from '../helpers.js';
import { FIRST_NIGHT, runCchc, sampleInboxes, startCchc, writeConfig } from '../processes.js';

const sampleDir = inject('sampleDir');

const root = tempDir();
const disk = join(root, 'disk');
/** Why this machine cannot run these tests, or undefined when it can. */
const cannotMount = probeMount(join(root, 'probe'));

/** Mounting a tmpfs is tried once, on a folder of its own, and undone at once. */
function probeMount(at: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small file system needs root: run the tests as root (CI does)';
  mkdirSync(at, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', at], { stdio: 'pipe' });
    execFileSync('umount', [at]);
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${messageOf(error).split('\n')[0]}): a container without CAP_SYS_ADMIN`;
  }
}

/** Resolves once the process is stopped (state T in /proc/<pid>/stat). */
async function stopped(pid: number): Promise<void> {
  const state = () => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2)[0];
  };
  while (state() !== 'T') await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Fills the disk with a ballast file until `leave` bytes are free (0: until the file system refuses). */
function fill(path: string, leave = 0): void {
  const fd = openSync(path, 'w');
  try {
    const chunk = Buffer.alloc(64 * 1024);
    const left = () => statfsSync(disk).bavail * statfsSync(disk).bsize - leave;
    while (left() > 0) {
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, left()));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

if (cannotMount) console.warn(`full-disk tests skipped: ${cannotMount}`);

describe.skipIf(cannotMount)(`a data folder on a disk that fills up${cannotMount ? ` (skipped: ${cannotMount})` : ''}`, () => {
  const hook = webhook();
  const ballast = join(disk, 'ballast');
  const data = join(disk, 'data');
  const releases = join(data, 'publish', 'releases');
  let config: string;
  let firstRelease: string;

  beforeAll(async () => {
    mkdirSync(disk, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', disk], { stdio: 'pipe' });
    const inboxes = sampleInboxes(sampleDir, root, FIRST_NIGHT);
    config = writeConfig(root, inboxes, { warehouse: { data_dir: data }, alerts: { webhook_url: hook.url() } });
    expect((await runCchc(['run', '--config', config])).code).toBe(0);
    firstRelease = readlinkSync(join(data, 'publish', 'current'));
    // The next night's exports.
    sampleInboxes(sampleDir, root, { motcua: /^ho-so-2024-W0[78]\./ });
  });

  afterAll(() => {
    execFileSync('umount', ['--lazy', disk]);
  });

  /** The run stopped by itself at the failpoint `at`, the disk filled (leaving `leave` bytes), then let go on. */
  async function runFillingTheDiskAt(at: string, leave: number) {
    const run = startCchc(['run', '--config', config], { CCHC_FAILPOINT: `${at}:stop` });
    try {
      await stopped(run.child.pid!);
      fill(ballast, leave);
    } finally {
      run.child.kill('SIGCONT');
    }
    return run.exited;
  }

  async function expectFailureRecorded(runId: string, stage: string) {
    expect(hook.received.at(-1)!.body).toMatchObject({ alert: 'run failed', runId, outcome: 'failed', errors: [{ stage }] });
    const file = JSON.parse(readFileSync(join(data, 'runs', `${runId}.json`), 'utf8')) as { outcome: string };
    expect(file.outcome).toBe('failed');
    const [row] = await queryFile<{ outcome: string }>(join(data, 'warehouse.duckdb'), `SELECT outcome FROM ops.runs WHERE run_id = '${runId}'`);
    expect(row?.outcome).toBe('failed');
    // Nothing half-written is left, and dashboards still read the release before.
    expect(readdirSync(releases).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(readdirSync(join(data, 'runs')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(readlinkSync(join(data, 'publish', 'current'))).toBe(firstRelease);
  }

  it('refuses to start a release that would not fit, naming the folder and the space it needs', async () => {
    const run = await runFillingTheDiskAt('publish', 2 * 2 ** 20);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`not enough space for a new release in ${join(data, 'publish')}: [\\d.]+ MB free, about [\\d.]+ MB needed`));
    expect(run.stderr).not.toContain('this is a bug');
    await expectFailureRecorded(run.lines.find((l) => l.msg === 'run started')!.run_id as string, 'publish');
    rmSync(ballast);
  });

  it('fails cleanly when the disk fills up while the release is written, and gives the space back', async () => {
    const run = await runFillingTheDiskAt('snapshot', 0);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the disk is full');
    expect(run.stderr).toContain(`${data}: `);
    expect(run.stderr).not.toContain('this is a bug');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    await expectFailureRecorded(run.lines.find((l) => l.msg === 'run started')!.run_id as string, 'publish');
    rmSync(ballast);
  });

  it('keeps a reserve beside the ledger, and gives it up to write a run summary on a full disk', async () => {
    const reserve = join(data, '.space-reserve');
    expect(existsSync(reserve)).toBe(true);
    fill(ballast);
    try {
      const summary = { ...newSummary({ runId: '20991231T000000Z-full', trigger: 'manual', pid: process.pid, startedAt: new Date().toISOString() }), outcome: 'failed' as const };
      await writeSummaryFile(data, summary);
      expect(JSON.parse(readFileSync(join(data, 'runs', '20991231T000000Z-full.json'), 'utf8'))).toMatchObject({ outcome: 'failed' });
      expect(existsSync(reserve)).toBe(false);
    } finally {
      rmSync(ballast);
      rmSync(join(data, 'runs', '20991231T000000Z-full.json'), { force: true });
    }
  });

  it('fails a load that fills the disk as a full disk, not as a bad file, and loads the file once space is freed', async () => {
    sampleInboxes(sampleDir, root, { motcua: /^ho-so-2024-W09\./ });
    const run = await runFillingTheDiskAt('load', 0);
    rmSync(ballast);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('the disk is full');
    expect(run.stderr).not.toContain('export it again');
    await expectFailureRecorded(run.lines.find((l) => l.msg === 'run started')!.run_id as string, 'load');
    expect(await queryFile(join(data, 'warehouse.duckdb'), 'SELECT file_name FROM ops.load_failures')).toEqual([]);
  });

  it('publishes at the next run once space was freed', async () => {
    const run = await runCchc(['run', '--config', config]);
    expect(run.code, run.stderr).toBe(0);
    expect(readlinkSync(join(data, 'publish', 'current'))).not.toBe(firstRelease);
    const nights = await queryFile<{ file_name: string }>(join(data, 'warehouse.duckdb'), "SELECT file_name FROM ops.loads WHERE file_name SIMILAR TO 'ho-so-2024-W0[89].*' ORDER BY 1");
    expect(nights.map((n) => n.file_name)).toEqual(['ho-so-2024-W08.csv', 'ho-so-2024-W09.csv']);
  });
});
