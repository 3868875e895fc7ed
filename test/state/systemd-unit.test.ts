import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { BIN, ROOT } from '../helpers/daemon.js';
import { run } from '../helpers/run.js';

/*
 * The shipped unit passes `systemd-analyze verify` (the systemd package;
 * .ci/install installs it). verify needs ExecStart's program to exist, so a
 * copy points at this checkout's bin/gpio-aggfs. Warnings fail the test too:
 * verify reports a misspelt value only as a warning.
 */

const UNIT = join(ROOT, 'fixtures', 'systemd', 'gpio-aggfs.service');
const INSTALLED_BIN = '/usr/local/bin/gpio-aggfs';
const unitText = await readFile(UNIT, 'utf8');

const haveAnalyze = (await run(['sh', '-c', 'command -v systemd-analyze'])).code === 0;
const skip = !haveAnalyze && process.env.CI !== 'true' ? 'systemd-analyze is missing (apt-get install systemd)' : false;

async function verify(text: string): Promise<{ code: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-unit-'));
  try {
    const file = join(dir, 'gpio-aggfs.service');
    await writeFile(file, text);
    const result = await run(['systemd-analyze', 'verify', '--man=no', file]);
    return { code: result.code, output: (result.stdout + result.stderr).trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

t.test('systemd-analyze verify accepts the unit without a warning', { skip }, async (t) => {
  t.ok(unitText.includes(`ExecStart=${INSTALLED_BIN} mount `), 'ExecStart runs the installed command');
  const result = await verify(unitText.replaceAll(INSTALLED_BIN, BIN));
  t.equal(result.code, 0, result.output);
  t.equal(result.output, '', 'no warnings');
});

t.test('the check catches mistakes', { skip }, async (t) => {
  const local = unitText.replaceAll(INSTALLED_BIN, BIN);
  const misspelt = await verify(local.replace('Restart=on-failure', 'Restart=sometimes'));
  // systemd 252 (Debian 12): "Failed to parse service restart specifier"; 257 (Debian 13): "Failed to parse Restart=sometimes".
  t.match(misspelt.output, /restart specifier|Failed to parse Restart=sometimes/, 'a bad value is reported');
  const missing = await verify(unitText.replaceAll(INSTALLED_BIN, '/nonexistent/gpio-aggfs'));
  t.not(missing.code, 0, 'a missing program fails');
});

t.test('the unit says what the service needs', async (t) => {
  const service = (key: string): string[] => [...unitText.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1] as string);
  t.same(service('Type'), ['simple'], 'mount runs in the foreground');
  t.same(service('Restart'), ['on-failure']);
  t.same(service('KillSignal'), ['SIGTERM'], 'SIGTERM unmounts and releases the lines');
  t.same(service('StateDirectory'), ['gpio-aggfs']);
  t.match(service('ExecStart')[0], / --state \/var\/lib\/gpio-aggfs\/state\.json --config \/etc\/gpio-aggfs\/config\.json$/);
  t.match(service('After')[0], /modprobe@fuse\.service/);
  t.same(service('WantedBy'), ['multi-user.target']);
});

t.test('the example config is a valid config', async (t) => {
  const { loadConfig } = await import('../../lib/config/config-file.js');
  const config = loadConfig(join(ROOT, 'fixtures', 'config.example.json'));
  t.ok(config.aggregators.length > 0);
});
