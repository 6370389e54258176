import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, SAMPLE_CONFIG } from '../../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { DONG_HOI_YAML, tempDir, writeText } from '../helpers.js';

function configError(text: string, env: Record<string, string> = {}): string {
  const dir = tempDir();
  try {
    loadConfig({ file: writeText(join(dir, 'config.yaml'), text), env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).describe().replaceAll(dir, '<dir>');
  }
  throw new Error('expected a config error');
}

const MINIMAL = `${DONG_HOI_YAML}sources:\n  motcua:\n    inbox: ./inbox\n`;

describe('the config', () => {
  it('is the bundled sample config when no file is given', () => {
    const config = loadConfig({ env: {} });
    expect(config.file).toBe(SAMPLE_CONFIG);
    expect(config.isSample).toBe(true);
    expect(config.reporting).toEqual({ period_window: 'calendar', finished_date: 'processing_finished', reconcile_published_figures: true });
  });

  it('resolves relative paths against the folder of the config file, not the working directory', () => {
    const dir = tempDir();
    const config = loadConfig({ file: writeText(join(dir, 'config.yaml'), MINIMAL), env: {} });
    expect(config.paths.inboxes.motcua).toBe(join(dir, 'inbox'));
    expect(config.paths.dataDir).toBe(join(dir, 'data'));
    expect(config.paths.publishDir).toBe(join(dir, 'data', 'publish'));
    expect(dirname(config.paths.warehouse)).toBe(join(dir, 'data'));
  });

  it('names the key and the reason when a value is wrong', () => {
    expect(configError(`${MINIMAL}duckdb:\n  threads: two\n  memory_limit: lots\nreporting:\n  period_window: weekly\n`)).toMatchInlineSnapshot(`
      "<dir>/config.yaml is not a valid config:
        duckdb.threads: Invalid input: expected number, received string
        duckdb.memory_limit: expected a size such as "2GB" or "512MiB"
        reporting.period_window: Invalid option: expected one of "calendar"|"cutoff"
        → correct these keys; config/sample.yaml shows every section with its defaults"
    `);
  });

  it('names an unknown key, so that a typo is not silently ignored', () => {
    expect(configError(`${DONG_HOI_YAML}sources:\n  motcua:\n    inbx: ./inbox\n`)).toMatchInlineSnapshot(`
      "<dir>/config.yaml is not a valid config:
        sources.motcua.inbx: unknown key
        sources.motcua.inbox: missing: mode file needs the inbox folder
        → correct these keys; config/sample.yaml shows every section with its defaults"
    `);
  });

  it('takes CCHC__SECTION__KEY environment variables over the file, and names the variable when its value is wrong', () => {
    const dir = tempDir();
    const file = writeText(join(dir, 'config.yaml'), MINIMAL);
    expect(loadConfig({ file, env: { CCHC__DUCKDB__THREADS: '4' } }).duckdb.threads).toBe(4);
    expect(configError(MINIMAL, { CCHC__REPORTING__FINISHED_DATE: 'never' })).toContain(
      'reporting.finished_date (from the environment variable CCHC__REPORTING__FINISHED_DATE): Invalid option',
    );
  });

  it('reads an API token from the variable the config names, and refuses one with a line break without printing it', () => {
    const api = `${DONG_HOI_YAML}sources:\n  motcua:\n    mode: api\n    api:\n      base_url: https://dvc.example.gov.vn/api/v1\n      token_env: MOTCUA_TOKEN\n`;
    const dir = tempDir();
    const file = writeText(join(dir, 'config.yaml'), api);
    expect(loadConfig({ file, env: { MOTCUA_TOKEN: 'abc.DEF-123' } }).secrets.get('motcua')).toBe('abc.DEF-123');
    expect(configError(api, {})).toContain('names MOTCUA_TOKEN, which is not set in the environment');
    const broken = configError(api, { MOTCUA_TOKEN: 's3cret\nleftover' });
    expect(broken).toContain('the token in MOTCUA_TOKEN holds spaces, line breaks or characters outside printable ASCII');
    expect(broken).not.toContain('s3cret');
  });

  it('refuses an API over plain http away from this machine: the token would travel in clear', () => {
    const api = (url: string) => `${DONG_HOI_YAML}sources:\n  dvc:\n    mode: api\n    api:\n      base_url: ${url}\n      token_env: DVC_TOKEN\n`;
    expect(configError(api('http://dvc.example.gov.vn/api/v1'), { DVC_TOKEN: 't' })).toContain('sources.dvc.api.base_url: use https');
    expect(() => loadConfig({ file: writeText(join(tempDir(), 'c.yaml'), api('http://127.0.0.1:8787/api/v1')), env: { DVC_TOKEN: 't' } })).not.toThrow();
  });

  it('asks nothing of what is not used: no inbox for a source switched off, no sample folder when none is generated', () => {
    const config = loadConfig({ file: writeText(join(tempDir(), 'c.yaml'), `${MINIMAL}    enabled: false\n  dvc:\n    enabled: false\nsample:\n  seed: 7\n`), env: {} });
    expect(config.sources.dvc).toMatchObject({ enabled: false });
    expect(config.paths.inboxes.dvc).toBeUndefined();
    expect(config.paths.sampleOut).toBeUndefined();
    expect(configError(`${MINIMAL}sample:\n  generate_if_missing: true\n`)).toContain('sample.out: missing: generate_if_missing needs the folder to write the sample to');
  });

  it('reports YAML that does not parse, with the file', () => {
    expect(configError('sources: [unclosed\n')).toMatch(/^<dir>\/config\.yaml: invalid YAML/);
  });
});
