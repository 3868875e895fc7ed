import { stat } from 'node:fs/promises';
import t from 'tap';
import { startDaemon, stopOrKill, type Daemon } from '../helpers/daemon.js';
import { q, sh, type Identity } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';
import { testUsers } from '../helpers/users.js';

/*
 * Two real non-root users (made by testUsers) through a real mount: alice,
 * given agg/new_device by root, creates an aggregator, owns it, drives its
 * lines, chmods it and deletes it; bob, who may write delete_device, can
 * neither drive nor delete hers (EACCES, EPERM: nothing changes) and reads
 * his own last_error while alice reads hers; the audit log has one exact
 * line per change naming the uid and the pid of the process that made it.
 * Needs a transport that passes the caller (test/helpers/transports.ts);
 * test/fs/caller-mount.test.ts covers what fuse-native does instead.
 */

t.setTimeout(180_000);

/** Run `script` in bash as `who`; returns bash's pid (the process that opens and writes) and the result. */
async function as(who: Identity, script: string): Promise<{ pid: number; code: number; errno: string | undefined; out: string }> {
  const result = await sh(`echo $$; ${script}`, { as: who });
  const [pid, ...rest] = result.stdout.split('\n');
  return { pid: Number(pid), code: result.code, errno: result.errno, out: rest.join('\n') };
}

async function owner(path: string): Promise<string> {
  const info = await stat(path);
  return `${info.uid}:${info.gid}`;
}

if (!CAN.caller) {
  t.test(`${TRANSPORT} does not pass the caller (capability table)`, async (t) => { t.pass('selected out by test/helpers/transports.ts'); });
} else {
  t.test('alice creates, owns, drives and deletes her aggregator; bob can neither drive nor delete it; each change audited with uid and pid', async (t) => {
    const { alice, bob } = await testUsers();
    const daemon: Daemon = await startDaemon({ env: { DEBUG: 'gpio-aggfs:audit' } });
    t.teardown(() => stopOrKill(daemon));
    const p = (...parts: string[]): string => q(daemon.path(...parts));

    // Root delegates: alice may write new_device; anyone may write delete_device (the daemon decides whose).
    const granted = await sh(`chown ${alice.uid} ${p('agg', 'new_device')} && chmod 0222 ${p('agg', 'delete_device')}`);
    t.equal(granted.code, 0, granted.stderr);
    const refused = await as(bob, `echo gpiochip0 1-2 > ${p('agg', 'new_device')}`);
    t.equal(refused.errno, 'EACCES', 'bob was not given new_device');

    const create = await as(alice, `echo gpiochip0 1-2 > ${p('agg', 'new_device')}`);
    t.equal(create.code, 0, 'alice creates');
    const mine = `${alice.uid}:${alice.gid}`;
    for (const entry of [['gpio-agg.0'], ['gpio-agg.0', 'line0'], ['gpio-agg.0', 'line1', 'value'], ['gpio-agg.0', 'line0', 'direction']]) {
      t.equal(await owner(daemon.path(...entry)), mine, `${entry.join('/')} is alice's`);
    }
    t.equal(await owner(daemon.path('gpio-agg.0', 'line0', 'name')), '0:0', 'read-only entries stay root\'s');

    const drive = await as(alice, [
      `echo out > ${p('gpio-agg.0', 'line0', 'direction')}`,
      `echo 1 > ${p('gpio-agg.0', 'line0', 'value')}`,
      `cat ${p('gpio-agg.0', 'line0', 'value')}`,
    ].join(' && '));
    t.equal(drive.code, 0, 'alice drives her line');
    t.equal(drive.out, '1\n');
    t.equal(await daemon.lines.level('gpiochip0', 1), 1, 'the line is high');
    const chmod = await as(alice, `chmod 0600 ${p('gpio-agg.0', 'line1', 'value')}`);
    t.equal(chmod.code, 0, 'the owner may chmod');

    const foreign = await as(bob, `echo 0 > ${p('gpio-agg.0', 'line0', 'value')}`);
    t.equal(foreign.errno, 'EACCES', 'bob cannot drive alice\'s line (0644, hers)');
    const steal = await as(bob, `echo gpio-agg.0 > ${p('agg', 'delete_device')}`);
    t.equal(steal.errno, 'EPERM', 'bob cannot delete alice\'s aggregator');
    t.equal(await owner(daemon.path('gpio-agg.0')), mine, 'it is still there, still hers');
    t.match((await as(bob, `cat ${p('agg', 'last_error')}`)).out, /^delete_device: gpio-agg\.0 belongs to another user \(EPERM\)\n$/,
      'bob reads his failure');
    t.equal((await as(alice, `cat ${p('agg', 'last_error')}`)).out, '', 'alice failed nothing');

    const remove = await as(alice, `echo gpio-agg.0 > ${p('agg', 'delete_device')}`);
    t.equal(remove.code, 0, 'alice deletes her aggregator');
    await t.rejects(stat(daemon.path('gpio-agg.0')), { code: 'ENOENT' });

    const log = daemon.output();
    const audited = (pid: number, line: string): void => {
      t.match(log, new RegExp(`gpio-aggfs:audit uid=${alice.uid} pid=${pid} ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), line);
    };
    audited(create.pid, 'create gpio-agg.0 "gpiochip0 1-2"');
    audited(drive.pid, 'write gpio-agg.0/line0/direction "out"');
    audited(drive.pid, 'write gpio-agg.0/line0/value "1"');
    audited(chmod.pid, 'chmod gpio-agg.0/line1/value 0600');
    audited(remove.pid, 'delete gpio-agg.0');
    t.match(log, /gpio-aggfs:audit uid=0 pid=\d+ chown agg\/new_device /, 'root\'s chown, with root\'s uid');
    t.notMatch(log, new RegExp(`uid=${bob.uid} `), 'bob changed nothing');
  });
}
