import t from 'tap';
import { AttributeFile } from '../../lib/fs/attribute-file.js';
import { DirectoryNode, type EntryChange } from '../../lib/fs/directory.js';

t.test('a directory tells its listeners of every entry added, replaced and removed', async (t) => {
  const directory = new DirectoryNode();
  const changes: string[] = [];
  const a = new DirectoryNode();
  const b = new DirectoryNode();
  const unsubscribe = directory.onEntryChange((change: EntryChange) => {
    changes.push(`${change.type} ${change.name} ${change.node === a ? 'a' : change.node === b ? 'b' : '?'}`);
  });
  directory.add('x', a);
  directory.add('x', a);
  directory.add('x', b);
  directory.remove('x');
  directory.remove('x');
  unsubscribe();
  directory.add('y', a);
  t.same(changes, ['added x a', 'removed x a', 'added x b', 'removed x b'], 'a re-add of the same node and a missing name say nothing');
});

t.test('sharingMetadata: the entry whose permissions are shown and everything showing them', async (t) => {
  const line = new DirectoryNode();
  const alias = new DirectoryNode().sharePermissionsOf(line);
  const aggregator = new DirectoryNode();
  const follower = new AttributeFile(0o200, { store: () => {} }).followOwnerOf(aggregator);
  t.same(new Set(line.sharingMetadata()), new Set([line, alias]));
  t.same(new Set(alias.sharingMetadata()), new Set([line, alias]), 'from the second name too');
  t.same(new Set(aggregator.sharingMetadata()), new Set([aggregator, follower]));
  t.same(follower.sharingMetadata(), [follower], 'a follower has no followers of its own');
});
