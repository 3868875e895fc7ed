import createDebug from 'debug';
import type { Aggregator } from '../aggregator/aggregator.js';
import { AGGREGATOR_PREFIX } from '../aggregator/aggregator.js';
import type { Registry } from '../aggregator/registry.js';
import { fromSystemError, GpioAggError } from '../errors.js';
import { DirectoryNode } from '../fs/directory.js';
import { SYSFS_VIEW } from '../fs/sysfs/global-view.js';
import type { FsNode } from '../fs/node.js';
import type { Tree } from '../fs/tree.js';
import { formatSpec } from '../spec/format.js';
import { parseSpec } from '../spec/parse.js';
import { resolveSpec } from '../spec/resolve.js';
import type { Config, ConfiguredAggregator, Permissions } from './config-file.js';

const log = createDebug('gpio-aggfs:config');

/**
 * Make the running filesystem match the config: each declared aggregator
 * exists (an existing one with the same spec — restored from the state file —
 * is taken as it is; otherwise it is created) and gets the declared owner,
 * group and modes. The config wins for what it declares; what it leaves out
 * keeps its saved or default value. Throws a GpioAggError naming the file and
 * the field; the caller then stops without mounting.
 */
export function applyConfig(config: Config, registry: Registry, tree: Tree): void {
  for (const entry of config.aggregators) {
    const aggregator = ensureAggregator(config.file, entry, registry);
    const directory = tree.lookup(`/${aggregator.name}`) as DirectoryNode;
    applyPermissions(directory, entry.permissions);
    for (const [index, settings] of entry.lines) {
      const line = directory.child(`line${index}`);
      if (!(line instanceof DirectoryNode)) {
        throw new GpioAggError('EINVAL', `${config.file}: ${entry.field}.lines.line${index}: expected a line of ${aggregator.name}, which has ${aggregator.lines.length} line(s): line0 to line${aggregator.lines.length - 1}`);
      }
      applyPermissions(line, settings);
    }
    log('applied %s to %s', entry.field, aggregator.name);
  }
  for (const [name, settings] of config.control) {
    applyPermissions(tree.lookup(`/agg/${name}`) as FsNode, settings);
  }
}

function ensureAggregator(file: string, entry: ConfiguredAggregator, registry: Registry): Aggregator {
  const where = (field: string): string => `${file}: ${entry.field}${field}`;
  let spec: string;
  try {
    spec = formatSpec(resolveSpec(parseSpec(entry.spec), registry.backend.listChips()));
  } catch (err) {
    const error = fromSystemError(err, 'spec');
    throw new GpioAggError(error.code, `${where('.spec')}: expected lines that exist: ${error.message}`, { cause: err });
  }
  const existing = entry.id === undefined
    ? registry.list().find((aggregator) => aggregator.spec === spec)
    : registry.get(`${AGGREGATOR_PREFIX}${entry.id}`);
  if (existing !== undefined && existing.spec !== spec) {
    throw new GpioAggError('EEXIST', `${where('.id')}: expected a free id or one with spec "${spec}", but ${existing.name} exists with spec "${existing.spec}" (from the state file; delete it or change the id)`);
  }
  if (existing !== undefined) return existing;
  const sameSpec = registry.list().find((aggregator) => aggregator.spec === spec);
  if (sameSpec !== undefined) {
    throw new GpioAggError('EEXIST', `${where('.id')}: expected the id of the aggregator with spec "${spec}", which is ${sameSpec.name} (from the state file; delete it or change the id)`);
  }
  if (entry.id !== undefined && registry.reserved().some(({ id }) => id === entry.id)) {
    throw new GpioAggError('EEXIST', `${where('.id')}: ${AGGREGATOR_PREFIX}${entry.id} is kept in the state file but could not be restored`);
  }
  try {
    return registry.create(spec, entry.id);
  } catch (err) {
    const error = fromSystemError(err, 'spec');
    throw new GpioAggError(error.code, `${where('.spec')}: cannot create the aggregator: ${error.message}`, { cause: err });
  }
}

/** Owner and group for the directory and everything below; mode for the entry; fileMode for files below. */
function applyPermissions(node: FsNode, settings: Permissions): void {
  const below = node instanceof DirectoryNode ? [...descendants(node)] : [];
  if (settings.uid !== undefined || settings.gid !== undefined) {
    for (const entry of [node, ...below]) entry.chown(settings.uid, settings.gid);
  }
  if (settings.mode !== undefined) node.chmod(settings.mode);
  if (settings.fileMode !== undefined) {
    for (const entry of below) if (entry.type === 'file') entry.chmod(settings.fileMode);
  }
}

/**
 * Everything below a directory, except an aggregator's `sysfs-gpio/` view:
 * its entries keep the kernel's modes, and its export/unexport follow the
 * aggregator's owner by themselves.
 */
function* descendants(directory: DirectoryNode): Generator<FsNode> {
  for (const [name, node] of directory.children()) {
    if (name === SYSFS_VIEW) continue;
    yield node;
    if (node instanceof DirectoryNode) yield* descendants(node);
  }
}
