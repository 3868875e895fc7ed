import type { Backend } from './backend.js';
import { loadBoard } from './board.js';
import { SimBackend } from './sim-backend.js';

export interface OpenedBackend {
  readonly backend: Backend;
  /** Set when the backend is simulated: its control files go under `.sim/`. */
  readonly sim?: SimBackend;
}

/** The simulated backend for a board file, else real chips through libgpiod. */
export async function openBackend(options: { readonly sim?: string | undefined }): Promise<OpenedBackend> {
  if (options.sim !== undefined) {
    const sim = new SimBackend(loadBoard(options.sim));
    return { backend: sim, sim };
  }
  // Loaded only when used, so the simulated backend works where libgpiod is not installed.
  const { LibgpiodBackend } = await import('./libgpiod-backend.js');
  return { backend: new LibgpiodBackend() };
}
