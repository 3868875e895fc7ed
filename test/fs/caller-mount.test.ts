import { spawn } from 'node:child_process';
import t from 'tap';
import { startDaemon, stopOrKill } from '../helpers/daemon.js';
import { q, sh } from '../helpers/run.js';
import { CAN, TRANSPORT } from '../helpers/transports.js';
import { testUsers } from '../helpers/users.js';

/*
 * The kernel's caller reaches the tree: a user given agg/new_device creates
 * an aggregator through the mount, owns it, drives its lines and deletes it,
 * and the audit log names that user's uid and the writing process's pid.
 */

t.setTimeout(180_000);

const daemon = await startDaemon({ env: { DEBUG: 'gpio-aggfs:audit' } });
t.teardown(() => stopOrKill(daemon));
const { alice } = await testUsers();

/** `bash -c script` as alice; resolves to its exit code, output and pid. */
function asAlice(script: string): Promise<{ code: number; output: string; pid: number }> {
  const child = spawn('setpriv', [`--reuid=${alice.uid}`, `--regid=${alice.gid}`,
    alice.groups.length === 0 ? '--clear-groups' : `--groups=${alice.groups.join(',')}`, '--', 'bash', '-c', `${script} 2>&1`],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, output: output.trim(), pid: child.pid as number })));
}

if (!CAN.caller) {
  t.test(`${TRANSPORT} cannot tell the caller (capability table): an aggregator created by a user is root's`, async (t) => {
    await sh(`chown ${alice.uid} ${q(daemon.path('agg', 'new_device'))}`);
    t.equal((await asAlice(`echo 'gpiochip0 2' > ${q(daemon.path('agg', 'new_device'))}`)).code, 0);
    t.equal((await sh(`stat -c %u ${q(daemon.path('gpio-agg.0'))}`)).stdout.trim(), '0');
  });
} else {
  t.test('a user given new_device creates, owns, drives and deletes an aggregator; the audit names uid and pid', async (t) => {
    await sh(`chown ${alice.uid} ${q(daemon.path('agg', 'new_device'))} ${q(daemon.path('agg', 'delete_device'))}`);
    // exec: the writing process is the shell's own pid.
    const created = await asAlice(`exec bash -c 'echo "gpiochip0 2" > ${daemon.path('agg', 'new_device')}'`);
    t.equal(created.code, 0, created.output);
    const owner = await sh(`stat -c '%u %g' ${q(daemon.path('gpio-agg.0'))} ${q(daemon.path('gpio-agg.0', 'line0'))} ${q(daemon.path('gpio-agg.0', 'line0', 'direction'))}`);
    t.same(owner.stdout.trim().split('\n'), Array(3).fill(`${alice.uid} ${alice.gid}`), 'gpio-agg.0, line0 and its attributes are hers');
    const driven = await asAlice(`echo out > ${q(daemon.path('gpio-agg.0', 'line0', 'direction'))} && echo 1 > ${q(daemon.path('gpio-agg.0', 'line0', 'value'))} && cat ${q(daemon.path('gpio-agg.0', 'line0', 'value'))}`);
    t.equal(driven.output, '1', 'she drives its line');
    t.equal(await daemon.lines.level('gpiochip0', 2), 1, 'the physical line follows');
    const deleted = await asAlice(`echo gpio-agg.0 > ${q(daemon.path('agg', 'delete_device'))}`);
    t.equal(deleted.code, 0, deleted.output);
    t.equal((await sh(`ls ${q(daemon.mountpoint)}`)).stdout.split('\n').includes('gpio-agg.0'), false, 'she deleted it');
    const audit = daemon.output().split('\n').filter((line) => line.includes('gpio-aggfs:audit'));
    t.ok(audit.some((line) => line.includes(`uid=${alice.uid} pid=${created.pid} `) && line.includes('create')), `creation audited with her uid and the writer's pid:\n${audit.join('\n')}`);
    t.ok(audit.some((line) => line.includes(`uid=${alice.uid} `) && line.includes('line0/value')), 'the value write audited with her uid');
    t.ok(audit.some((line) => line.includes(`uid=${alice.uid} `) && line.includes('delete')), 'the deletion audited with her uid');
  });
}
