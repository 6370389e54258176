// Generates the sample exports once for the whole test run; suites read them, never write them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateSample, type SampleSummary } from '../connectors/sample/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    sampleDir: string;
    sample: SampleSummary;
  }
}

export default async function setup(project: TestProject) {
  const root = await mkdtemp(join(tmpdir(), 'cchc-sample-'));
  const sampleDir = join(root, 'sample');
  project.provide('sample', await generateSample(sampleDir));
  project.provide('sampleDir', sampleDir);
  return async () => {
    await rm(root, { recursive: true, force: true });
  };
}
