import type { FsOperations } from './operations.js';
import type { Tree } from './tree.js';

/** Who serves the tree to the kernel. */
export const TRANSPORTS = ['direct', 'fuse-native'] as const;
export type TransportName = (typeof TRANSPORTS)[number];
export const DEFAULT_TRANSPORT: TransportName = 'direct';

/** A served mount. */
export interface Mounted {
  unmount(): Promise<void>;
}

/**
 * Mount `tree` at `mountpoint` through the named transport; resolves once
 * the kernel has initialised the mount. Each transport is loaded only when
 * chosen (fuse-native is an optional dependency).
 */
export async function mountTree(transport: TransportName, mountpoint: string, tree: Tree, operations: FsOperations): Promise<Mounted> {
  if (transport === 'fuse-native') {
    const { mountFuseNative } = await import('./fuse-native-transport.js');
    return mountFuseNative(mountpoint, operations);
  }
  const { mountDirect } = await import('./direct-transport.js');
  return mountDirect(mountpoint, tree, operations);
}
