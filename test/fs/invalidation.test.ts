import { spawn } from 'node:child_process';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { createAggregator } from '../helpers/aggregators.js';
import { q, sh, withoutRunnerHooks } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';
import { testUsers } from '../helpers/users.js';

/*
 * The kernel's caches never show a deleted aggregator or an old owner/mode:
 * a process holding a path (its cwd inside gpio-agg.N, a stat just done)
 * sees a delete and a re-creation with another owner and mode at once. On a
 * transport with positive cache timeouts this is the invalidation at work;
 * on one without caches (timeouts 0) it must hold just the same.
 */

t.setTimeout(180_000);

const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));
const { alice, bob } = await testUsers();

/** A shell of `alice` kept running: each command runs in the same process, with the same cwd. */
function holder(): { ask(command: string): Promise<{ code: number; output: string }>; close(): void } {
  const child = spawn('env', withoutRunnerHooks(['setpriv', `--reuid=${alice.uid}`, `--regid=${alice.gid}`,
    alice.groups.length === 0 ? '--clear-groups' : `--groups=${alice.groups.join(',')}`, '--', 'bash', '-s']).slice(1),
  { stdio: ['pipe', 'pipe', 'pipe'] });
  let buffered = '';
  let pending: ((text: string) => void) | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const end = buffered.search(/__END -?\d+\n/);
    if (end >= 0 && pending !== undefined) {
      const text = buffered.slice(0, buffered.indexOf('\n', end) + 1);
      buffered = buffered.slice(text.length);
      const resolve = pending;
      pending = undefined;
      resolve(text);
    }
  });
  return {
    ask: (command) => new Promise((resolve) => {
      pending = (text) => {
        const match = /__END (-?\d+)\n$/.exec(text);
        resolve({ code: Number(match?.[1]), output: text.replace(/__END -?\d+\n$/, '').trim() });
      };
      child.stdin.write(`${command} 2>&1; echo "__END $?"\n`);
    }),
    close: () => { child.stdin.end(); child.kill('SIGKILL'); },
  };
}

t.test(`delete + re-create gpio-agg.N with another owner and mode is seen at once (${TRANSPORT}${CAN.invalidation ? ', cached with invalidation' : ', no caches'})`, async (t) => {
  const name = await createAggregator(daemon, 'gpiochip1 0');
  const dir = daemon.path(name);
  const chown = async (uid: number, gid: number, mode: string): Promise<void> => {
    const result = await sh(`chown ${uid}:${gid} ${q(dir)} && chmod ${mode} ${q(dir)}`);
    t.equal(result.code, 0, `chown/chmod ${name}: ${result.stderr}`);
  };
  await chown(alice.uid, alice.gid, '0700');

  const shell = holder();
  t.teardown(() => shell.close());
  t.equal((await shell.ask(`cd ${q(dir)}`)).code, 0, 'alice holds a cwd in it');
  const before = await shell.ask(`stat -c '%u %a %i' ${q(dir)}`);
  t.equal(before.output.split(' ').slice(0, 2).join(' '), `${alice.uid} 700`, 'alice\'s stat');
  t.equal((await shell.ask('cat line0/value')).output, '0', 'alice reads through her cwd');
  t.equal((await shell.ask(`cat ${q(`${dir}/line0/value`)}`)).output, '0', 'alice opens it by path');

  const deleted = await sh(`echo ${name} > ${q(daemon.path('agg', 'delete_device'))}`);
  t.equal(deleted.code, 0, deleted.stderr);
  const gone = await shell.ask(`stat -c %u ${q(dir)}`);
  t.not(gone.code, 0, 'the deleted aggregator is gone at once');
  t.match(gone.output, /No such file or directory/);
  t.match((await shell.ask('cat line0/value')).output, /No such file or directory/, 'not even through the cwd inside it');
  t.notOk((await shell.ask(`ls ${q(daemon.mountpoint)}`)).output.split('\n').includes(name), 'not listed');

  t.equal(await createAggregator(daemon, 'gpiochip1 0'), name, 're-created under the same name');
  await chown(bob.uid, bob.gid, '0750');
  const after = await shell.ask(`stat -c '%u %a %i' ${q(dir)}`);
  const [uid, mode, inode] = after.output.split(' ');
  t.equal(`${uid} ${mode}`, `${bob.uid} 750`, 'the very next stat sees the new owner and mode');
  // fuse-native (libfuse's path-based inode table) may hand out the same number again.
  if (CAN.invalidation) t.not(inode, before.output.split(' ')[2], 'a new inode number');
  const refused = await shell.ask(`cat ${q(`${dir}/line0/value`)}`);
  t.not(refused.code, 0, 'the very next open is checked against the new owner and mode');
  t.match(refused.output, /Permission denied/);

  // A chmod of a file another process has just stat'ed.
  const value = `${dir}/line0/value`;
  await sh(`chmod 0644 ${q(value)} && chown ${alice.uid} ${q(dir)}`);
  t.equal((await shell.ask(`stat -c %a ${q(value)}`)).output, '644');
  t.equal((await sh(`chmod 0600 ${q(value)}`)).code, 0);
  t.equal((await shell.ask(`stat -c %a ${q(value)}`)).output, '600', 'chmod seen at once');
  const denied = await shell.ask(`cat ${q(value)}`);
  t.match(denied.output, /Permission denied/, 'and enforced at once');
  await sh(`echo ${name} > ${q(daemon.path('agg', 'delete_device'))}`);
});
