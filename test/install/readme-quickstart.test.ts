// The README's quick start, as written there: its first command (after
// `bash .ci/install`, which CI has just run on this fresh machine) serves the
// simulated demo board, and the commands the README gives "in another shell"
// do what it says they do. Both are read from the README itself, so the
// README cannot drift from what works; only the mountpoint /srv/gpio is
// replaced by a fresh directory.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { newMountpoint, ROOT } from '../helpers/daemon.js';
import { sh, withoutRunnerHooks } from '../helpers/run.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
const MOUNTPOINT = '/srv/gpio';

t.test('the README quick start: the demo board serves, and the example commands work', async (t) => {
  const first = blocks[0]?.split('\n')[0] ?? '';
  const m = /^bash \.ci\/install && (.*?)\s+#/.exec(first);
  if (!m) throw new Error(`the README's first command is not "bash .ci/install && <mount> # …": ${first}`);
  const mountCommand = m[1]!;
  t.match(mountCommand, /^bin\/gpio-aggfs mount \/srv\/gpio --sim fixtures\/demo-board\.json$/, 'the first command serves the demo board');
  const demo = blocks[1] ?? '';
  t.match(demo, /agg\/new_device/, 'the second block is the example session');

  const mnt = await newMountpoint();
  const [command, ...args] = withoutRunnerHooks(['bash', '-c', `exec ${mountCommand.replaceAll(MOUNTPOINT, mnt)}`]);
  const daemon = spawn(command!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  daemon.stdout.on('data', (c: Buffer) => { output += c.toString(); });
  daemon.stderr.on('data', (c: Buffer) => { output += c.toString(); });
  const exited = new Promise<number | null>((done) => daemon.on('exit', (code) => done(code)));
  t.teardown(async () => {
    if (daemon.exitCode === null) { daemon.kill('SIGKILL'); await exited; await sh(`fusermount -uz ${mnt}`); }
  });
  for (let i = 0; !existsSync(join(mnt, 'agg', 'new_device')); i += 1) {
    if (daemon.exitCode !== null || i > 1200) throw new Error(`the demo board did not come up:\n${output}`);
    await sleep(50);
  }

  // The example session as one shell script. A command put in the background (`cat events &`)
  // gets half a second to start, as it has when a person types the next line; it is stopped at the end.
  const lines = demo.replaceAll(MOUNTPOINT, mnt).split('\n').map((line) => line.replace(/\s+#.*$/, ''));
  const typed = lines.map((line) => (/&\s*$/.test(line) ? `${line}\nsleep 0.5` : line)).join('\n');
  const script = `set -e\ncd ${ROOT}\n${typed}\nsleep 1\nkill $! 2>/dev/null || true\nwait 2>/dev/null || true\n`;
  const session = await sh(script);
  t.equal(session.code, 0, `the example session ran: ${session.stderr}`);
  const agg = join(mnt, 'gpio-agg.0');
  t.equal(readFileSync(join(agg, 'line0', 'name'), 'utf8'), 'LED0\n');
  t.equal(readFileSync(join(agg, 'line1', 'name'), 'utf8'), 'BUTTON\n');
  t.equal(readFileSync(join(agg, 'line0', 'direction'), 'utf8'), 'out\n');
  t.equal(readFileSync(join(agg, 'line0', 'value'), 'utf8'), '1\n');
  t.equal(readFileSync(join(mnt, '.sim', 'gpiochip0', 'sim_gpio0', 'value'), 'utf8'), '1\n', 'LED0 is driven high on the simulated pin');
  t.match(session.stdout, /^\d+ rising\b/m, '"pressing" BUTTON printed a rising edge from events');
  t.equal((await stat(join(agg, 'line0'))).uid, 1000, 'line0 handed to user 1000');
  t.equal((await stat(join(agg, 'line1'))).uid, 0, 'line1 stays root\'s');

  daemon.kill('SIGINT'); // Ctrl-C, as the README says
  t.equal(await exited, 0, 'Ctrl-C unmounts and the daemon exits 0');
  t.notOk(readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mnt} `), 'nothing is left mounted');
});
