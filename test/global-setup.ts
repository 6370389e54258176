// Generates the sample exports once for the whole test run, and publishes them once: suites read
// both, never write them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../core/log.js';
import { runJob } from '../pipelines/run.js';
import { generateSample, sampleLayout, type SampleSummary } from '../sample/index.js';
import { sampleConfig } from './sample-config.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sampleDir: string;
    sample: SampleSummary;
    /** The publish folder of a run of the job over the whole sample: `<publishDir>/current` is its release. */
    publishDir: string;
  }
}

export default async function setup(project: TestProject) {
  const root = await mkdtemp(join(tmpdir(), 'cchc-sample-'));
  const sampleDir = join(root, 'sample');
  const layout = sampleLayout(sampleDir);
  const config = sampleConfig(join(root, 'published'), { motcua: layout.motcuaInbox, dvc: layout.dvcInbox, ngansach: layout.ngansachInbox });
  project.provide('sample', await generateSample(sampleDir, { seed: config.sample?.seed, register: config.register, plan: config.sample?.plan }));
  project.provide('sampleDir', sampleDir);
  const summary = await runJob(config, createLogger({ level: 'silent' }));
  if (summary.outcome !== 'success') throw new Error(`the sample run failed: ${JSON.stringify(summary.errors)}`);
  project.provide('publishDir', config.paths.publishDir);
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}
