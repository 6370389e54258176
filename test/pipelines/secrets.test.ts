// Secrets come from the environment and go nowhere else: `cchc` is run as the operator runs it,
// against the portal simulator, with a token and a hash key, and every byte it wrote (its
// output, its log at debug level, the landing, the warehouse, the release, the run summaries)
// is searched for them.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { sampleLayout } from '../../sample/index.js';
import { startPortalSimulator, type PortalSimulator } from '../../sample/server.js';
import { DONG_HOI, tempDir } from '../helpers.js';
import { runCchc, type Exit } from '../processes.js';

const TOKEN = 'tok_9f3Kx7QpL2mZ8vR4nB6wY1cD5sH0jT';
const WRONG_TOKEN = 'tok_wrong_A1b2C3d4E5f6G7h8I9j0K';
const HASH_KEY = 'hash-key_Z7y6X5w4V3u2T1s0R9q8P7o6N5m4';

/** Every file under `dir` whose bytes hold `secret`. */
function filesHolding(dir: string, secret: string): string[] {
  const needle = Buffer.from(secret);
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((path) => statSync(path).isFile() && readFileSync(path).includes(needle));
}

describe('secrets', () => {
  let portal: PortalSimulator;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    const feed = JSON.parse(readFileSync(join(sampleLayout(inject('sampleDir')).motcuaApi, 'page-00001.json'), 'utf8')).items.slice(0, 60);
    const pages = join(dir, 'portal', 'motcua', 'api', 'dossiers');
    mkdirSync(pages, { recursive: true });
    writeFileSync(join(pages, 'page-00001.json'), JSON.stringify({ page: 1, page_size: 60, total: 60, items: feed }));
    portal = await startPortalSimulator({ sampleDir: join(dir, 'portal'), token: TOKEN });
  });
  afterAll(() => portal.close());

  function config(name: string): string {
    const inbox = join(dir, name, 'inbox');
    mkdirSync(inbox, { recursive: true });
    const path = join(dir, name, 'config.yaml');
    writeFileSync(
      path,
      stringify({
        warehouse: { data_dir: './data' },
        deployment: DONG_HOI,
        sources: { motcua: { mode: 'api', inbox, api: { base_url: `${portal.url}/api/v1`, token_env: 'MOTCUA_TOKEN', page_size: 25 } } },
        log: { level: 'trace' },
      }),
    );
    return path;
  }

  function expectNowhere(exit: Exit, runDir: string, secrets: string[]): void {
    for (const secret of secrets) {
      expect(exit.stdout).not.toContain(secret);
      expect(exit.stderr).not.toContain(secret);
      expect(filesHolding(runDir, secret)).toEqual([]);
    }
  }

  it('are in no output, log line or file of a run, nor of the commands an operator runs after it', async () => {
    const path = config('good');
    const env = { MOTCUA_TOKEN: TOKEN, CCHC_HASH_KEY: HASH_KEY };
    const run = await runCchc(['run', '--config', path], env);
    expect(run.code, run.stderr).toBe(0);
    // The run used both: the pages came through the token, and staging holds keyed hashes.
    expect(run.lines.some((l) => l.msg === 'extract done' && Number(l.landed) > 0)).toBe(true);
    expect(run.lines.length).toBeGreaterThan(30);
    const others = await Promise.all([runCchc(['status', '--config', path], env), runCchc(['check', '--config', path], env)]);
    for (const exit of [run, ...others]) expectNowhere(exit, join(dir, 'good'), [TOKEN, HASH_KEY]);
  });

  it('are in no output or file when the API refuses the token, or the key is too short', async () => {
    const path = config('refused');
    const refused = await runCchc(['run', '--config', path], { MOTCUA_TOKEN: WRONG_TOKEN, CCHC_HASH_KEY: HASH_KEY });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('refused the token in MOTCUA_TOKEN');
    expectNowhere(refused, join(dir, 'refused'), [WRONG_TOKEN, HASH_KEY]);

    const short = await runCchc(['run', '--config', path], { MOTCUA_TOKEN: TOKEN, CCHC_HASH_KEY: 'short-key-9x' });
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('the key in CCHC_HASH_KEY is shorter than 32 bytes');
    expectNowhere(short, join(dir, 'refused'), ['short-key-9x', TOKEN]);
  });
});
