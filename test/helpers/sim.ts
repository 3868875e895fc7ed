import { join } from 'node:path';
import { Registry } from '../../lib/aggregator/registry.js';
import { loadBoard } from '../../lib/gpio/board.js';
import { SimBackend } from '../../lib/gpio/sim-backend.js';
import { ROOT } from './daemon.js';

/** An in-process simulated board (fixtures/vm-board.json) with a registry on top. */
export function simRegistry(): { sim: SimBackend; registry: Registry } {
  const sim = new SimBackend(loadBoard(join(ROOT, 'fixtures', 'vm-board.json')));
  return { sim, registry: new Registry(sim) };
}
