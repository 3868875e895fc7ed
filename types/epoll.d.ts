// The part of epoll 4.0.2 that gpio-aggfs uses (the package ships no types).
// The package is CommonJS and assigns module.exports at run time, so Node's
// ESM loader offers it only as a default import.
declare module 'epoll' {
  /** Called on the main thread; `err` is set only when epoll_wait itself failed. */
  type EpollCallback = (err: Error | null, fd: number, events: number) => void;

  class Epoll {
    constructor(callback: EpollCallback);
    add(fd: number, events: number): this;
    modify(fd: number, events: number): this;
    remove(fd: number): this;
    close(): null;
    readonly closed: boolean;
    static readonly EPOLLIN: number;
    static readonly EPOLLERR: number;
    static readonly EPOLLHUP: number;
    static readonly EPOLLONESHOT: number;
  }

  const epoll: { Epoll: typeof Epoll };
  export default epoll;
  export type { Epoll, EpollCallback };
}
