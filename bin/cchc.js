#!/usr/bin/env node
// The `cchc` command. tsx runs the TypeScript sources directly, so there is no build step
// between a checkout and a run.
import { register } from 'tsx/esm/api';

register();
await import('../pipelines/cli.ts');
