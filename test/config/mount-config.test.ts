import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BIN, BOARD, BACKEND, newMountpoint, startDaemon } from '../helpers/daemon.js';
import { q, run, sh } from '../helpers/run.js';
import { loadState } from '../../lib/state/state-file.js';
import { mountsAt } from '../../lib/fs/mount-table.js';

/*
 * `mount --config`: aggregators with owners and modes exist when the mount
 * is ready; a bad config stops the start, naming the field, and mounts
 * nothing. Debian's passwd always has "daemon" (1) and group "bin" (2).
 */

const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-mount-config-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));

async function metadata(path: string): Promise<string> {
  const info = await stat(path);
  return `${(info.mode & 0o7777).toString(8)} ${info.uid}:${info.gid}`;
}

let counter = 0;
async function writeConfig(content: unknown): Promise<string> {
  counter += 1;
  const file = join(dir, `config-${counter}.json`);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const goodConfig = {
  aggregators: [
    {
      spec: 'gpiochip0 0-1', owner: 'daemon', group: 'bin', mode: '0751', fileMode: '0660',
      lines: { line1: { owner: 1500, group: 1500, mode: '0700' } },
    },
    { spec: 'RELAY', id: 5, mode: '0711' },
  ],
  control: { new_device: { owner: 1500, mode: '0220' } },
};

t.test('the config creates aggregators with owners and modes at start', async (t) => {
  const config = await writeConfig(goodConfig);
  const daemon = await startDaemon({ args: ['--config', config] });
  t.teardown(() => daemon.stop());
  t.equal(await readFile(daemon.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\ngpio-agg.5 gpiochip1 2\n');
  t.equal(await metadata(daemon.path('gpio-agg.0')), '751 1:2', 'others may pass through to the lines they own');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'spec')), '660 1:2', 'owner and fileMode reach the files below');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'line0')), '755 1:2', 'mode is for the directory itself');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'line0', 'value')), '660 1:2');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'line1')), '700 1500:1500', 'line settings override the aggregator');
  t.equal(await metadata(daemon.path('gpio-agg.0', 'line1', 'value')), '660 1500:1500');
  t.equal(await metadata(daemon.path('gpio-agg.5')), '711 0:0');
  t.equal(await metadata(daemon.path('gpio-agg.5', 'line0')), '755 0:0');
  t.equal(await metadata(daemon.path('agg', 'new_device')), '220 1500:0');
  // The owner can use its line; another user cannot.
  const owner = await sh(`echo out > ${q(daemon.path('gpio-agg.0', 'line1', 'direction'))}`, { as: { uid: 1500, gid: 1500 } });
  t.equal(owner.code, 0, owner.stderr);
  const stranger = await sh(`cat ${q(daemon.path('gpio-agg.0', 'line1', 'value'))}`, { as: { uid: 1600, gid: 1600 } });
  t.equal(stranger.errno, 'EACCES');
});

t.test('config and state together: state restores, config wins for what it declares', async (t) => {
  const state = join(dir, 'state.json');
  const config = await writeConfig({ aggregators: [{ spec: 'gpiochip0 0-1', mode: '0750' }] });
  const first = await startDaemon({ args: ['--config', config, '--state', state] });
  // Runtime changes: one the config declares (mode), one it does not (owner), and a new aggregator.
  await sh([
    `chmod 0700 ${q(first.path('gpio-agg.0'))}`,
    `chown 1500 ${q(first.path('gpio-agg.0'))}`,
    `echo 'gpiochip1 7' > ${q(first.path('agg', 'new_device'))}`,
  ].join(' && '));
  await first.stop('SIGKILL');
  const second = await startDaemon({ args: ['--config', config, '--state', state], mountpoint: first.mountpoint });
  t.teardown(() => second.stop());
  t.equal(await readFile(second.path('agg', 'devices'), 'utf8'), 'gpio-agg.0 gpiochip0 0-1\ngpio-agg.1 gpiochip1 7\n',
    'the config matches the restored aggregator by spec: no duplicate');
  t.equal(await metadata(second.path('gpio-agg.0')), '750 1500:0', 'mode from the config, owner from the state');
  t.equal(loadState(state).permissions.get('gpio-agg.0')?.mode, 0o750, 'the applied config is saved');
});

async function refused(t: Test, content: unknown, message: RegExp, extra: string[] = []): Promise<void> {
  const config = await writeConfig(content);
  const mountpoint = await newMountpoint();
  const backend = BACKEND === 'sim' ? ['--sim', BOARD] : [];
  const result = await run([process.execPath, BIN, 'mount', mountpoint, ...backend, '--config', config, ...extra], { timeoutMs: 60000 });
  t.equal(result.code, 1, 'exits with failure');
  const lines = result.stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line: ${result.stderr}`);
  t.match(lines[0], new RegExp(`^gpio-aggfs: ${config.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${message.source}`));
  t.same((await mountsAt(mountpoint)).length, 0, 'nothing is mounted');
}

t.test('each kind of bad config is refused, naming the field, and nothing is mounted', async (t) => {
  await t.test('bad JSON', (t) => refused(t, '{ "aggregators": [ }', /the config file is not valid JSON: at line 1, column 20 \(byte 19\): expected a value \(EINVAL\)$/));
  await t.test('unknown field', (t) => refused(t, { aggregators: [{ spec: 'LED0', owners: 'daemon' }] },
    /aggregators\[0\]\.owners: unknown field; expected one of spec, id, owner, group, mode, fileMode, lines \(EINVAL\)$/));
  await t.test('bad spec syntax', (t) => refused(t, { aggregators: [{ spec: 'gpiochip0 3-' }] },
    /aggregators\[0\]\.spec: expected a line spec such as "gpiochip0 3-5": .*\(EINVAL\)$/));
  await t.test('unknown chip', (t) => refused(t, { aggregators: [{ spec: 'LED0' }, { spec: 'gpiochip7 1' }] },
    /aggregators\[1\]\.spec: expected lines that exist: .*gpiochip7.*\(ENOENT\)$/));
  await t.test('line taken twice', (t) => refused(t, { aggregators: [{ spec: 'LED0' }, { spec: 'gpiochip0 0-1' }] },
    /aggregators\[1\]\.spec: cannot create the aggregator: .*\(EBUSY\)$/));
  await t.test('line beyond the aggregator', (t) => refused(t, { aggregators: [{ spec: 'LED0', lines: { line3: { mode: '0700' } } }] },
    /aggregators\[0\]\.lines\.line3: expected a line of gpio-agg\.0, which has 1 line\(s\): line0 to line0 \(EINVAL\)$/));
  await t.test('unknown user', (t) => refused(t, { aggregators: [{ spec: 'LED0', lines: { line0: { owner: 'no-such-gpio-user' } } }] },
    /aggregators\[0\]\.lines\.line0\.owner: expected a user name from \/etc\/passwd or a uid, got unknown user "no-such-gpio-user" \(EINVAL\)$/));
  await t.test('unknown group', (t) => refused(t, { aggregators: [{ spec: 'LED0', group: 'no-such-gpio-group' }] },
    /aggregators\[0\]\.group: expected a group name from \/etc\/group or a gid, got unknown group "no-such-gpio-group" \(EINVAL\)$/));
  await t.test('bad mode', (t) => refused(t, { aggregators: [{ spec: 'LED0', mode: 'rwxr-x---' }] },
    /aggregators\[0\]\.mode: expected an octal mode string such as "0750".*, got "rwxr-x---" \(EINVAL\)$/));
  await t.test('missing file', async (t) => {
    const result = await run([process.execPath, BIN, 'mount', await newMountpoint(), '--config', join(dir, 'absent.json')]);
    t.equal(result.code, 1);
    t.match(result.stderr, /^gpio-aggfs: .*absent\.json: cannot read the config file: .*\(ENOENT\)\n$/);
  });
});

t.test('a refused config leaves the state file untouched', async (t) => {
  const state = join(dir, 'untouched.json');
  const text = '{"version":1,"aggregators":[{"id":2,"spec":"gpiochip0 6"}],"permissions":{}}\n';
  await writeFile(state, text);
  await refused(t, { aggregators: [{ spec: 'gpiochip0 6', id: 3 }] },
    /aggregators\[0\]\.id: expected the id of the aggregator with spec "gpiochip0 6", which is gpio-agg\.2 .*\(EEXIST\)$/, ['--state', state]);
  t.equal(await readFile(state, 'utf8'), text);
});
