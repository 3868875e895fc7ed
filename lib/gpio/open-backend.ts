import type { Backend } from './backend.js';
import { loadBoard } from './board.js';
import { GpioAggError } from '../errors.js';
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
  const { LibgpiodBackend } = await importLibgpiod1Backend();
  return { backend: new LibgpiodBackend() };
}

/**
 * The libgpiod 1.6 backend, whose node-libgpiod is an optional dependency (it cannot be built
 * against libgpiod 2.x): a missing or unbuilt package is a clear ENOENT naming it.
 */
async function importLibgpiod1Backend(): Promise<typeof import('./libgpiod-backend.js')> {
  try {
    return await import('./libgpiod-backend.js');
  } catch (err) {
    const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(message).includes('node-libgpiod');
    const unbuilt = String(message).includes('bindings file') || code === 'ERR_DLOPEN_FAILED';
    if (!missing && !unbuilt) throw err;
    throw new GpioAggError('ENOENT',
      `the libgpiod 1.6 backend needs the optional package node-libgpiod, which is ${missing ? 'not installed' : 'not built for this system'} (${String(message).split('\n')[0]})`,
      { cause: err });
  }
}
