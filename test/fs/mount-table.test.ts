import t from 'tap';
import { mountOwner, parseMountInfo, servingPid } from '../../lib/fs/mount-table.js';

const SAMPLE = [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw',
  '98 22 0:45 / /tmp/a\\040b rw,nosuid,nodev,relatime shared:50 - fuse.gpio-aggfs gpio-aggfs:4321 rw,user_id=0,group_id=0,default_permissions,allow_other',
  '99 22 0:46 / /mnt/other rw - fuse.sshfs host:/ rw',
  'garbage',
].join('\n');

t.test('parses mountinfo with escaped paths', async (t) => {
  const entries = parseMountInfo(SAMPLE);
  t.equal(entries.length, 3);
  t.same(entries[1], {
    mountpoint: '/tmp/a b', fsType: 'fuse.gpio-aggfs', source: 'gpio-aggfs:4321', superOptions: 'rw,user_id=0,group_id=0,default_permissions,allow_other',
  });
});

t.test('the user a mount belongs to is its user_id option', async (t) => {
  const entries = parseMountInfo(SAMPLE);
  t.equal(mountOwner(entries[1]!), 0);
  t.equal(mountOwner(entries[2]!), undefined, 'not said');
  t.equal(mountOwner({ mountpoint: '/x', fsType: 'fuse.gpio-aggfs', source: 'gpio-aggfs:1', superOptions: 'rw,user_id=1001,group_id=1001' }), 1001);
  t.equal(mountOwner({ mountpoint: '/x', fsType: 'fuse.gpio-aggfs', source: 'gpio-aggfs:1', superOptions: 'rw,xuser_id=5' }), undefined);
});

t.test('finds the serving pid of gpio-aggfs mounts only', async (t) => {
  const entries = parseMountInfo(SAMPLE);
  t.equal(servingPid(entries[1]!), 4321);
  t.equal(servingPid(entries[2]!), undefined);
  t.equal(servingPid({ mountpoint: '/x', fsType: 'fuse.gpio-aggfs', source: 'gpio-aggfs:abc' }), undefined);
});
