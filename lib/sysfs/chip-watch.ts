import { readdir } from 'node:fs/promises';
import createDebug from 'debug';
import type { Backend, ChipInfo } from '../gpio/backend.js';
import type { SimBackend } from '../gpio/sim-backend.js';

const log = createDebug('gpio-aggfs:sysfs:chips');

/** How often /dev is looked at for chips that came or went: within a second, as promised. */
const POLL_MS = 500;
const CHIP_NODE = /^gpiochip(0|[1-9][0-9]*)$/;

export interface ChipWatch {
  /** The chips present now, in chip order. */
  present(): ChipInfo[];
  stop(): void;
}

/**
 * Tells `changed` when chips appear or disappear. The simulated backend says
 * so itself (chips added and removed through `.sim/`); for real chips the
 * `/dev/gpiochipN` nodes are listed every half second (udev and devtmpfs
 * create and remove them; a chip whose node is gone counts as gone even
 * while the backend still holds lines on it).
 */
export function watchChips(backend: Backend, sim: SimBackend | undefined, changed: () => void): ChipWatch {
  if (sim !== undefined) {
    const unsubscribe = sim.onChipsChange(changed);
    return { present: () => sim.listChips(), stop: unsubscribe };
  }
  let nodes: ReadonlySet<string> | undefined;
  let stopped = false;
  let busy = false;
  const present = (): ChipInfo[] => backend.listChips().filter((chip) => nodes === undefined || nodes.has(chip.name));
  const poll = async (): Promise<void> => {
    if (busy || stopped) return;
    busy = true;
    try {
      const found = new Set((await readdir('/dev')).filter((name) => CHIP_NODE.test(name)));
      const before = nodes;
      nodes = found;
      if (before !== undefined && !stopped && !sameSet(before, found)) {
        log('chip nodes now: %s', [...found].join(' '));
        changed();
      }
    } catch (err) {
      log('cannot list /dev: %s', err instanceof Error ? err.message : String(err));
    } finally {
      busy = false;
    }
  };
  void poll();
  const timer = setInterval(() => { void poll(); }, POLL_MS);
  timer.unref();
  return {
    present,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((name) => b.has(name));
}
