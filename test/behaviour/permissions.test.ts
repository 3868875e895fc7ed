import t from 'tap';
import { aggregatorNames, createAggregator } from '../helpers/aggregators.js';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { q, run, sh, type Identity } from '../helpers/run.js';
import { testUsers } from '../helpers/users.js';

const LINE_ATTRIBUTES = ['value', 'direction', 'active_low', 'edge', 'debounce_us', 'bias', 'drive', 'name', 'source', 'events'] as const;
const READ_ONLY_ATTRIBUTES: ReadonlySet<string> = new Set(['name', 'source', 'events']);
const READ_ONLY_FILES = ['label', 'ngpio', 'spec', 'line0/name', 'line0/source', 'line0/events'] as const;

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 900_000 : 120_000);

const users = await testUsers();
const { alice, bob, group } = users;

const daemon = await startDaemon();
t.teardown(() => stopOrKill(daemon));

/** `echo text > file` as `as`. */
function write(file: string, text: string, as?: Identity): ReturnType<typeof sh> {
  return sh(`echo ${q(text)} > ${q(file)}`, as === undefined ? {} : { as });
}

function cat(file: string, as?: Identity): ReturnType<typeof run> {
  return run(['cat', file], as === undefined ? {} : { as });
}

/** "mode uid gid" as stat(1) shows it to `as` (through the kernel's view of the mount). */
async function ownership(file: string, as?: Identity): Promise<string> {
  const result = await run(['stat', '-c', '%a %u %g', file], as === undefined ? {} : { as });
  if (result.code !== 0) throw new Error(`stat ${file}: ${result.stderr}`);
  return result.stdout.trim();
}

t.test('test users', async (t) => {
  t.not(alice.uid, 0);
  t.not(bob.uid, 0);
  t.not(alice.uid, bob.uid);
  t.ok(alice.groups.includes(group.gid), 'alice is in the group');
  t.notOk(bob.groups.includes(group.gid), 'bob is not in the group');
});

t.test('a user is denied a line it does not own', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip0 0');
  const line = daemon.path(agg, 'line0');
  // Lines keep their direction between tests (as the kernel's do): start from an input.
  await write(`${line}/direction`, 'in');
  await daemon.lines.pull('gpiochip0', 0, 'pull-down');

  t.test('default modes: others read, only root writes', async (t) => {
    const read = await cat(`${line}/value`, bob);
    t.equal(read.code, 0, read.stderr);
    t.equal(read.stdout, '0\n');
    const written = await write(`${line}/direction`, 'out', bob);
    t.not(written.code, 0);
    t.equal(written.errno, 'EACCES');
    t.equal((await cat(`${line}/direction`)).stdout, 'in\n', 'the refused write changed nothing');
  });

  t.test('after chmod 0600 on value: neither read nor write', async (t) => {
    t.equal((await run(['chmod', '0600', `${line}/value`])).code, 0);
    t.equal(await ownership(`${line}/value`, bob), '600 0 0');
    const read = await cat(`${line}/value`, bob);
    t.not(read.code, 0);
    t.equal(read.errno, 'EACCES');
    t.equal(read.stdout, '');
    const written = await write(`${line}/value`, '1', alice);
    t.equal(written.errno, 'EACCES');
    t.equal((await cat(`${line}/value`)).stdout, '0\n', 'root still reads it');
  });

  t.test('a 0700 line directory cannot be entered or listed', async (t) => {
    t.equal((await run(['chmod', '0700', line])).code, 0);
    t.equal(await ownership(line, bob), '700 0 0');
    const listed = await run(['ls', line], { as: bob });
    t.not(listed.code, 0);
    t.equal(listed.errno, 'EACCES');
    const read = await cat(`${line}/direction`, bob);
    t.equal(read.errno, 'EACCES');
    const written = await write(`${line}/edge`, 'both', bob);
    t.equal(written.errno, 'EACCES');
    t.equal((await cat(`${line}/edge`)).stdout, 'none\n');
  });
});

t.test('chown of a line (directory and files) and chmod o+w grant access', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip0 1');
  const line = daemon.path(agg, 'line0');

  t.equal((await write(`${line}/direction`, 'out', alice)).errno, 'EACCES', 'denied before the chown');
  const chown = await run(['chown', '-R', `${alice.uid}:${alice.gid}`, line]);
  t.equal(chown.code, 0, chown.stderr);
  t.equal(await ownership(line, alice), `755 ${alice.uid} ${alice.gid}`);
  for (const attribute of LINE_ATTRIBUTES) {
    const mode = READ_ONLY_ATTRIBUTES.has(attribute) ? 444 : 644;
    t.equal(await ownership(`${line}/${attribute}`, alice), `${mode} ${alice.uid} ${alice.gid}`, `stat line0/${attribute}`);
  }

  t.equal((await write(`${line}/direction`, 'out', alice)).code, 0);
  t.equal((await write(`${line}/value`, '1', alice)).code, 0);
  const read = await cat(`${line}/value`, alice);
  t.equal(read.stdout, '1\n');
  t.equal(await daemon.lines.level('gpiochip0', 1), 1, 'alice drives the backing line');

  const bobWrite = await write(`${line}/value`, '0', bob);
  t.not(bobWrite.code, 0);
  t.equal(bobWrite.errno, 'EACCES', 'bob may only read');
  t.equal((await cat(`${line}/value`, bob)).stdout, '1\n');

  t.equal((await run(['chmod', 'o+w', `${line}/value`])).code, 0);
  t.equal(await ownership(`${line}/value`), `646 ${alice.uid} ${alice.gid}`);
  const allowed = await write(`${line}/value`, '0', bob);
  t.equal(allowed.code, 0, allowed.stderr);
  t.equal((await cat(`${line}/value`, alice)).stdout, '0\n');
  t.equal(await daemon.lines.level('gpiochip0', 1), 0);
  t.equal((await write(`${line}/direction`, 'in', bob)).errno, 'EACCES', 'o+w on value only');
});

t.test('group access: chgrp + g+w lets members write, others not', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip0 2');
  const line = daemon.path(agg, 'line0');

  t.equal((await run(['chgrp', '-R', String(group.gid), line])).code, 0);
  t.equal((await run(['chmod', 'g+w,o-r', `${line}/value`, `${line}/direction`])).code, 0);
  t.equal(await ownership(`${line}/value`), `660 0 ${group.gid}`);
  t.equal(await ownership(line), `755 0 ${group.gid}`);

  const direction = await write(`${line}/direction`, 'high', alice);
  t.equal(direction.code, 0, direction.stderr);
  t.equal((await cat(`${line}/value`, alice)).stdout, '1\n');
  t.equal(await daemon.lines.level('gpiochip0', 2), 1);

  const outsider = await write(`${line}/value`, '0', bob);
  t.not(outsider.code, 0);
  t.equal(outsider.errno, 'EACCES');
  t.equal((await cat(`${line}/value`, bob)).errno, 'EACCES', 'o-r: bob cannot read either');
  t.equal(await daemon.lines.level('gpiochip0', 2), 1, 'the refused write changed nothing');

  // The same user without the supplementary group is an outsider too.
  const withoutGroup = await write(`${line}/value`, '0', { uid: alice.uid, gid: alice.gid, groups: [] });
  t.equal(withoutGroup.errno, 'EACCES');

  const member = await write(`${line}/value`, '0', alice);
  t.equal(member.code, 0, member.stderr);
  t.equal(await daemon.lines.level('gpiochip0', 2), 0);
});

t.test('new_device and delete_device can be delegated by chown', async (t) => {
  const newDevice = daemon.path('agg', 'new_device');
  const deleteDevice = daemon.path('agg', 'delete_device');
  t.teardown(async () => {
    await run(['chown', '0:0', newDevice, deleteDevice]);
  });

  const before = await aggregatorNames(daemon);
  const denied = await write(newDevice, 'gpiochip1 0-1', alice);
  t.not(denied.code, 0);
  t.equal(denied.errno, 'EACCES');
  t.same(await aggregatorNames(daemon), before, 'nothing created');

  t.equal((await run(['chown', String(alice.uid), newDevice])).code, 0);
  t.equal(await ownership(newDevice), `200 ${alice.uid} 0`);
  const created = await write(newDevice, 'gpiochip1 0-1', alice);
  t.equal(created.code, 0, created.stderr);
  const added = (await aggregatorNames(daemon)).filter((name) => !before.includes(name));
  t.equal(added.length, 1);
  const agg = added[0] as string;
  t.equal((await cat(daemon.path(agg, 'spec'), alice)).stdout, 'gpiochip1 0-1\n');
  t.equal((await write(newDevice, 'gpiochip1 3', bob)).errno, 'EACCES', 'only alice was delegated');

  const notYet = await write(deleteDevice, agg, alice);
  t.equal(notYet.errno, 'EACCES');
  t.ok((await aggregatorNames(daemon)).includes(agg));
  t.equal((await run(['chown', String(alice.uid), deleteDevice])).code, 0);
  const deleted = await write(deleteDevice, agg, alice);
  t.equal(deleted.code, 0, deleted.stderr);
  t.notOk((await aggregatorNames(daemon)).includes(agg));
  t.equal((await run(['ls', daemon.path(agg)])).errno, 'ENOENT');
});

t.test('chmod and chown are refused on entries the user does not own', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip1 4');
  const line = daemon.path(agg, 'line0');
  for (const target of [daemon.path(agg), line, `${line}/value`, daemon.path(agg, 'label'), daemon.path('agg', 'new_device')]) {
    const chmod = await run(['chmod', '0777', target], { as: bob });
    t.equal(chmod.errno, 'EPERM', `chmod ${target}`);
    const chown = await run(['chown', String(bob.uid), target], { as: bob });
    t.equal(chown.errno, 'EPERM', `chown ${target}`);
  }
  t.equal(await ownership(line), '755 0 0', 'unchanged');
  t.equal(await ownership(`${line}/value`), '644 0 0', 'unchanged');
});

t.test('the owner of a line can chmod it, but not give it away', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip1 5');
  const line = daemon.path(agg, 'line0');
  await write(`${line}/direction`, 'in');
  await daemon.lines.pull('gpiochip1', 5, 'pull-down');
  t.equal((await run(['chown', '-R', `${alice.uid}:${alice.gid}`, line])).code, 0);

  const chmodFile = await run(['chmod', '0600', `${line}/value`], { as: alice });
  t.equal(chmodFile.code, 0, chmodFile.stderr);
  const chmodDir = await run(['chmod', '0700', line], { as: alice });
  t.equal(chmodDir.code, 0, chmodDir.stderr);
  t.equal(await ownership(`${line}/value`, alice), `600 ${alice.uid} ${alice.gid}`);
  t.equal(await ownership(line), `700 ${alice.uid} ${alice.gid}`);
  t.equal((await cat(`${line}/value`, alice)).stdout, '0\n');
  t.equal((await cat(`${line}/value`, bob)).errno, 'EACCES', 'shut out by the 0700 directory');

  const giveAway = await run(['chown', String(bob.uid), `${line}/value`], { as: alice });
  t.equal(giveAway.errno, 'EPERM');
  const foreignGroup = await run(['chgrp', String(bob.gid), `${line}/value`], { as: alice });
  t.equal(foreignGroup.errno, 'EPERM', 'not a member of that group');
  const ownGroup = await run(['chgrp', String(group.gid), `${line}/value`], { as: alice });
  t.equal(ownGroup.code, 0, `a member may chgrp to its group: ${ownGroup.stderr}`);
  t.equal(await ownership(`${line}/value`), `600 ${alice.uid} ${group.gid}`);
});

t.test('root is refused opening read-only files for write', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip1 6');
  const files = [...READ_ONLY_FILES.map((f) => daemon.path(agg, f)), daemon.path('agg', 'devices'), daemon.path('agg', 'last_error')];
  for (const file of files) {
    // An events read blocks until an edge: never cat it here.
    const stream = file.endsWith('/events');
    const before = stream ? '' : (await cat(file)).stdout;
    t.equal((await run(['chmod', '0666', file])).code, 0);
    t.equal(await ownership(file), '666 0 0');
    const written = await write(file, 'x');
    t.not(written.code, 0, file);
    t.equal(written.errno, 'EACCES', `${file}: even with mode 0666`);
    const appended = await sh(`echo x >> ${q(file)}`);
    t.equal(appended.errno, 'EACCES', `${file}: append`);
    if (!stream) t.equal((await cat(file)).stdout, before, 'content unchanged');
  }
  const label = await cat(daemon.path(agg, 'label'));
  t.equal(label.stdout, `${agg}\n`);
});

t.test('chmod and chown work on gpio-agg.N, lineK and every attribute', async (t) => {
  const agg = await createAggregator(daemon, 'gpiochip1 7-8');
  const targets = [
    agg, 'label', 'ngpio', 'spec', 'line0', 'line1',
    ...LINE_ATTRIBUTES.map((a) => `line1/${a}`),
  ].map((p) => (p === agg ? daemon.path(agg) : daemon.path(agg, p)));

  let mode = 0o600;
  for (const target of targets) {
    mode = mode === 0o600 ? 0o640 : mode === 0o640 ? 0o751 : 0o600;
    const chmod = await run(['chmod', mode.toString(8), target]);
    t.equal(chmod.code, 0, `chmod ${target}: ${chmod.stderr}`);
    const chown = await run(['chown', `${bob.uid}:${group.gid}`, target]);
    t.equal(chown.code, 0, `chown ${target}: ${chown.stderr}`);
    t.equal(await ownership(target), `${mode.toString(8)} ${bob.uid} ${group.gid}`, target);
  }
  // chown with one id keeps the other.
  const value = daemon.path(agg, 'line1', 'value');
  t.equal((await run(['chown', String(alice.uid), value])).code, 0);
  t.equal((await ownership(value)).split(' ').slice(1).join(' '), `${alice.uid} ${group.gid}`);
  t.equal((await run(['chgrp', String(alice.gid), value])).code, 0);
  t.equal((await ownership(value)).split(' ').slice(1).join(' '), `${alice.uid} ${alice.gid}`);
  // line0 was not touched by the line1 changes.
  t.equal(await ownership(daemon.path(agg, 'line0', 'value')), '644 0 0');
});
