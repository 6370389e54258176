// `cchc sample`, and the sample written on the first run of a config that asks for it
// (sample.generate_if_missing). The CLI loads this file only then: the generator and the
// simulator are tools for the demo, the tests and the benchmark, not parts of the job.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { DEFAULT_SEED, generateSample } from './index.js';
import { writeScaledSample } from './scale.js';
import { serveUntilStopped } from './server.js';

export type SampleCommandOptions = { out?: string; seed?: number; serve?: boolean; port: number; token: string; scale?: number };

export async function sampleCommand(config: Config, options: SampleCommandOptions): Promise<void> {
  const out = options.out ? resolve(options.out) : config.paths.sampleOut;
  if (!out) {
    throw new ConfigError(`${config.file} has no sample.out: no folder to write the sample to`, {
      action: 'pass --out <dir>, or add sample: { out: <dir> } to the config',
    });
  }
  const sample = { seed: options.seed ?? DEFAULT_SEED, register: config.register, plan: config.sample?.plan };
  if (options.scale !== undefined) {
    if (options.scale < 1) throw new ConfigError('--scale must be at least 1', { action: 'give the number of cities, e.g. --scale 147 for about 10 million dossier rows' });
    // The scaled exports are copies of the sample of sample.out, written there first if missing.
    const baseDir = config.paths.sampleOut;
    if (!baseDir) throw new ConfigError(`${config.file} has no sample.out: --scale copies the sample written there`, { action: 'add sample: { out: <dir> } to the config' });
    const scaled = await writeScaledSample({ baseDir, out: options.out ? resolve(options.out) : `${baseDir}-x${options.scale}`, scale: options.scale, sample });
    console.log(
      `Wrote ${scaled.files} one-stop-shop exports (${scaled.rows.toLocaleString('en-US')} dossier rows, ${(scaled.bytes / 1e9).toFixed(2)} GB) ` +
        `to ${scaled.dir}/motcua/inbox in ${(scaled.ms / 1000).toFixed(1)} s`,
    );
    return;
  }
  if (!options.serve || !existsSync(out)) {
    const summary = await generateSample(out, sample);
    console.log(
      `Wrote ${summary.exportFiles} one-stop-shop exports (${summary.exportRows.toLocaleString('en-US')} dossier rows, ` +
        `${summary.procedures} procedures), ${summary.portalFiles} portal exports, ${summary.budgetFiles} budget workbooks ` +
        `and ${summary.apiPages} API pages to ${summary.dir}`,
    );
  }
  if (options.serve) await serveUntilStopped({ sampleDir: out, token: options.token, port: options.port, log: (line) => console.log(line) });
}

/** The sample exports, written on the first run of a config with sample.generate_if_missing when an inbox is missing. */
export async function generateSampleIfMissing(config: Config, log: Logger): Promise<void> {
  if (Object.values(config.paths.inboxes).every((inbox) => existsSync(inbox))) return;
  log.info({ out: config.paths.sampleOut }, 'no sample exports yet: generating them');
  const sample = await generateSample(config.paths.sampleOut!, { seed: config.sample!.seed, register: config.register, plan: config.sample!.plan });
  log.info(sample, 'sample exports written');
}
