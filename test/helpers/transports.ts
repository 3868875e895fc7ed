/**
 * What each FUSE transport can do. A test that needs a capability runs only
 * where the table says it exists (and says so in its name), never skipped
 * for a missing prerequisite.
 */
export type TransportName = 'direct' | 'fuse-native';

export interface TransportCapabilities {
  /** poll/select/epoll on `value` and `events` (fuse-native cannot answer FUSE_POLL). */
  readonly poll: boolean;
  /** Each request's uid/gid/pid reaches the tree. */
  readonly caller: boolean;
  /** Positive cache timeouts with invalidation on create/delete/chmod/chown. */
  readonly invalidation: boolean;
  /** An INTERRUPT ends only the interrupted request (fuse-native fails every waiting read). */
  readonly interruptPerRequest: boolean;
  /** A non-root user mounts through fusermount3. */
  readonly nonRootMount: boolean;
  /** A read waiting for an event holds no thread (fuse-native's libfuse holds one per request). */
  readonly threadlessWaits: boolean;
}

export const CAPABILITIES: Readonly<Record<TransportName, TransportCapabilities>> = {
  direct: { poll: true, caller: true, invalidation: true, interruptPerRequest: true, nonRootMount: true, threadlessWaits: true },
  'fuse-native': { poll: false, caller: false, invalidation: false, interruptPerRequest: false, nonRootMount: false, threadlessWaits: false },
};

/** The transport the daemons of this test run use: GPIO_AGGFS_TRANSPORT, else the default (direct). */
export const TRANSPORT: TransportName = transportFromEnvironment(process.env.GPIO_AGGFS_TRANSPORT);

export function transportFromEnvironment(value: string | undefined): TransportName {
  if (value === undefined || value === '') return 'direct';
  if (value === 'direct' || value === 'fuse-native') return value;
  throw new Error(`GPIO_AGGFS_TRANSPORT=${value}: expected direct or fuse-native`);
}

/** The capabilities of the transport in use. */
export const CAN: TransportCapabilities = CAPABILITIES[TRANSPORT];
