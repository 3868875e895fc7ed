// The small part of fuse-native 2.2.6 that gpio-aggfs uses (the package ships no types).
declare module 'fuse-native' {
  type Callback = (code: number, ...results: unknown[]) => void;

  interface FuseStat {
    mode: number; uid: number; gid: number; size: number; nlink: number;
    atime: Date; mtime: Date; ctime: Date;
  }

  interface FuseOperations {
    init?(cb: (code: number) => void): void;
    getattr?(path: string, cb: (code: number, stat?: FuseStat) => void): void;
    fgetattr?(path: string, fd: number, cb: (code: number, stat?: FuseStat) => void): void;
    readdir?(path: string, cb: (code: number, names?: string[]) => void): void;
    readlink?(path: string, cb: (code: number, target?: string) => void): void;
    open?(path: string, flags: number, cb: (code: number, fd?: number) => void): void;
    read?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (result: number) => void): void;
    write?(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (result: number) => void): void;
    release?(path: string, fd: number, cb: (code: number) => void): void;
    truncate?(path: string, size: number, cb: (code: number) => void): void;
    ftruncate?(path: string, fd: number, size: number, cb: (code: number) => void): void;
    chmod?(path: string, mode: number, cb: (code: number) => void): void;
    chown?(path: string, uid: number, gid: number, cb: (code: number) => void): void;
    utimens?(path: string, atime: number, mtime: number, cb: (code: number) => void): void;
    statfs?(path: string, cb: (code: number, statfs?: { bsize: number; namemax: number }) => void): void;
    create?(path: string, mode: number, cb: (code: number, fd?: number) => void): void;
    unlink?(path: string, cb: (code: number) => void): void;
    mkdir?(path: string, mode: number, cb: (code: number) => void): void;
    rmdir?(path: string, cb: (code: number) => void): void;
    rename?(src: string, dest: string, cb: (code: number) => void): void;
    link?(src: string, dest: string, cb: (code: number) => void): void;
    symlink?(src: string, dest: string, cb: (code: number) => void): void;
    mknod?(path: string, mode: number, dev: number, cb: (code: number) => void): void;
  }

  interface FuseOptions {
    allowOther?: boolean;
    defaultPermissions?: boolean;
    fsname?: string;
    subtype?: string;
    entryTimeout?: string | number;
    attrTimeout?: string | number;
    timeout?: number | false | Record<string, number | false>;
    force?: boolean;
    mkdir?: boolean;
    debug?: boolean;
  }

  class Fuse {
    constructor(mountpoint: string, ops: FuseOperations, options?: FuseOptions);
    mount(cb: (err: Error | null) => void): void;
    unmount(cb: (err: Error | null) => void): void;
    static unmount(mountpoint: string, cb: (err: Error | null) => void): void;
  }

  export default Fuse;
}
