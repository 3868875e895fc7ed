import type { SchemaObject } from 'ajv';
import createDebug from 'debug';
import { fromSystemError, GpioAggError } from '../errors.js';
import { compileValidator } from '../config/validate.js';
import { removeStaleTemporaries, replaceFile } from '../files/atomic-write.js';
import { lockFile, type FileLock } from '../files/file-lock.js';
import { parseJsonFile } from '../files/json-text.js';
import { checkDirectories, readTrustedFile } from '../files/trusted-path.js';
import { formatMode, OCTAL_MODE_PATTERN, parseMode } from '../fs/mode.js';

/**
 * The state file: every aggregator (id and normalised spec) and the
 * mode/owner/group of every entry that differs from its default, keyed by its
 * path inside the mount. On disk:
 *
 *   { "version": 1,
 *     "aggregators": [ { "id": 0, "spec": "gpiochip0 3-5" } ],
 *     "permissions": { "gpio-agg.0/line0": { "mode": "0750", "uid": 1000, "gid": 1000 } } }
 *
 * The mount's root directory itself is the entry ".". The file is trusted
 * like a config file and more (see loadState), and only ever replaced whole
 * through a fresh temporary file (see saveState).
 */
export const STATE_VERSION = 1;

/** The key of the mount's root directory in `permissions`. */
export const ROOT_ENTRY = '.';

const WHAT = 'state file';

const log = createDebug('gpio-aggfs:state');

export interface SavedAggregator {
  readonly id: number;
  readonly spec: string;
}

export interface SavedPermissions {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

export interface SavedState {
  readonly aggregators: readonly SavedAggregator[];
  /** Path relative to the mount → permissions. */
  readonly permissions: ReadonlyMap<string, SavedPermissions>;
}

export const EMPTY_STATE: SavedState = { aggregators: [], permissions: new Map() };

interface StateJson {
  version: number;
  aggregators: { id: number; spec: string }[];
  permissions: Record<string, { mode: string; uid: number; gid: number }>;
}

const ID = { type: 'integer', minimum: 0, maximum: 4294967294, description: 'a numeric id (0 to 4294967294)' };

const STATE_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'a state object with version, aggregators and permissions',
  additionalProperties: false,
  required: ['version', 'aggregators', 'permissions'],
  properties: {
    version: { const: STATE_VERSION, description: `state format version ${STATE_VERSION}` },
    aggregators: {
      type: 'array',
      description: 'a list of aggregators',
      items: {
        type: 'object',
        description: 'an aggregator with id and spec',
        additionalProperties: false,
        required: ['id', 'spec'],
        properties: {
          id: { type: 'integer', minimum: 0, maximum: 999999999, description: 'an aggregator number (0 to 999999999)' },
          spec: { type: 'string', minLength: 1, description: 'a normalised line spec' },
        },
      },
    },
    permissions: {
      type: 'object',
      description: 'an object mapping paths to permissions',
      additionalProperties: {
        type: 'object',
        description: 'mode, uid and gid',
        additionalProperties: false,
        required: ['mode', 'uid', 'gid'],
        properties: {
          mode: { type: 'string', pattern: OCTAL_MODE_PATTERN, description: 'an octal mode such as "0750"' },
          uid: ID,
          gid: ID,
        },
      },
    },
  },
};

const validateState = compileValidator<StateJson>(STATE_SCHEMA, { quoteValues: false });

/**
 * Read a state file. A missing file is an empty state (first start); an
 * empty, unparsable or malformed one is refused: starting empty would
 * overwrite what an administrator set up. Refused too, before anything is
 * read: a symlink (never followed), anything but a regular file, a file owned
 * by another user, writable by others or with more than one name, and a file
 * in a directory others can change (see checkDirectories). Errors name the
 * file and the position (line and column, or the field), never its values.
 */
export function loadState(file: string): SavedState {
  const text = readTrustedFile(file, WHAT, { followSymlink: false, singleLink: true });
  if (text === undefined) return EMPTY_STATE;
  if (text.trim() === '') {
    throw new GpioAggError('EINVAL', `${file}: the state file is empty; restore it from a backup or remove it to start with no aggregators`);
  }
  let data: unknown;
  try {
    data = parseJsonFile(text, file, WHAT);
  } catch (err) {
    throw new GpioAggError('EINVAL', `${(err as Error).message}; restore it from a backup or remove it to start with no aggregators`);
  }
  const json = validateState(file, data);
  const ids = new Set<number>();
  json.aggregators.forEach(({ id }, index) => {
    if (ids.has(id)) throw new GpioAggError('EINVAL', `${file}: aggregators[${index}].id: expected a unique id, but an earlier aggregator has the same`);
    ids.add(id);
  });
  const permissions = new Map<string, SavedPermissions>();
  for (const [path, { mode, uid, gid }] of Object.entries(json.permissions)) {
    permissions.set(path, { mode: parseMode(mode) as number, uid, gid });
  }
  return { aggregators: json.aggregators.map(({ id, spec }) => ({ id, spec })), permissions };
}

/** One aggregator or entry per line: readable, and small diffs between saves. */
export function serializeState(state: SavedState): string {
  const aggregators = [...state.aggregators].sort((a, b) => a.id - b.id)
    .map(({ id, spec }) => `    ${JSON.stringify({ id, spec })}`);
  const permissions = [...state.permissions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, { mode, uid, gid }]) => `    ${JSON.stringify(path)}: ${JSON.stringify({ mode: formatMode(mode), uid, gid })}`);
  const list = (items: string[], open: string, close: string): string =>
    (items.length === 0 ? `${open}${close}` : `${open}\n${items.join(',\n')}\n  ${close}`);
  return `{\n  "version": ${STATE_VERSION},\n  "aggregators": ${list(aggregators, '[', ']')},\n`
    + `  "permissions": ${list(permissions, '{', '}')}\n}\n`;
}

/**
 * Replace the state file atomically and durably, mode 0600 (see replaceFile),
 * after checking its directories again. Synchronous, so that a change is on
 * disk before the operation that made it returns. Throws GpioAggError with
 * the failure's errno (ENOSPC, EROFS, EIO …).
 */
export function saveState(file: string, state: SavedState): void {
  checkDirectories(file, WHAT);
  try {
    replaceFile(file, Buffer.from(serializeState(state)));
  } catch (err) {
    throw fromSystemError(err, `${file}: cannot save the state file`);
  }
}

/**
 * Lock the state file for this process's lifetime (`<file>.lock`, see
 * lockFile): a second gpio-aggfs on the same state file refuses to start
 * (EBUSY) before reading or writing anything. The lock is on a separate
 * file because every save replaces the state file's inode. Once locked,
 * temporary files left by an instance killed while saving are removed.
 */
export function lockState(file: string): FileLock {
  checkDirectories(file, WHAT);
  const lock = lockFile(`${file}.lock`, `the state file ${file}`);
  try {
    for (const name of removeStaleTemporaries(file)) log('removed %s, left by an interrupted save', name);
  } catch (err) {
    lock.release();
    throw fromSystemError(err, `${file}: cannot list the state file's directory`);
  }
  return lock;
}
