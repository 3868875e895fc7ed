import createDebug from 'debug';
import { GpioAggError } from '../errors.js';
import type { Backend } from './backend.js';
import { loadBoard } from './board.js';
import { findLibgpiod2, gpioLibraryChoice } from './gpio-library.js';
import { SimBackend } from './sim-backend.js';

const log = createDebug('gpio-aggfs:gpio:open');

export interface OpenedBackend {
  readonly backend: Backend;
  /** Set when the backend is simulated: its control files go under `.sim/`. */
  readonly sim?: SimBackend;
}

export interface BackendOptions {
  /** A board file: the simulated backend instead of real chips. */
  readonly sim?: string | undefined;
  /** `--gpio-library`: 1, 2 or auto (default: GPIO_AGGFS_GPIO_LIBRARY, else auto); see gpio-library.ts. */
  readonly gpioLibrary?: string | undefined;
}

/**
 * The simulated backend for a board file (imitating libgpiod 1.6 with
 * `--gpio-library 1`, else 2.x), else real chips through the libgpiod that
 * gpio-library.ts chooses.
 */
export async function openBackend(options: BackendOptions): Promise<OpenedBackend> {
  const choice = gpioLibraryChoice(options.gpioLibrary);
  if (options.sim !== undefined) {
    const sim = new SimBackend(loadBoard(options.sim), { library: choice === '1' ? '1' : '2' });
    return { backend: sim, sim };
  }
  if (choice !== '1') {
    let v2: Error;
    try {
      const lib = await findLibgpiod2(choice);
      // Loaded only when used, as the 1.6 backend below.
      const { Libgpiod2Backend } = await import('./libgpiod2-backend.js');
      return { backend: new Libgpiod2Backend(lib) };
    } catch (err) {
      if (choice === '2' || !(err instanceof GpioAggError) || err.code !== 'ENOENT') throw err;
      v2 = err;
    }
    log('%s; trying libgpiod 1.6', v2.message);
    try {
      return { backend: await openLibgpiod1() };
    } catch (err) {
      if (err instanceof GpioAggError && err.code === 'ENOENT') {
        throw new GpioAggError('ENOENT', `no libgpiod: ${v2.message}; and ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
  return { backend: await openLibgpiod1() };
}

async function openLibgpiod1(): Promise<Backend> {
  const { LibgpiodBackend } = await importLibgpiod1Backend();
  return new LibgpiodBackend();
}

/** Which library `openBackend` would use, without opening any chip (for `--version`). */
export async function describeGpioLibrary(options: BackendOptions): Promise<string> {
  const choice = gpioLibraryChoice(options.gpioLibrary);
  const failures: string[] = [];
  if (choice !== '1') {
    try {
      const lib = await findLibgpiod2(choice);
      return `libgpiod ${lib.version} (${lib.path})`;
    } catch (err) {
      if (choice === '2') throw err;
      failures.push(err instanceof Error ? err.message : String(err));
    }
  }
  try {
    const { default: gpiod } = await importNodeLibgpiod();
    return `libgpiod ${gpiod.version} (node-libgpiod)`;
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
  }
  return `none (${failures.join('; ')})`;
}

/**
 * Import what needs node-libgpiod, an optional dependency (it cannot be
 * built against libgpiod 2.x): a missing or unbuilt package is a clear
 * ENOENT naming it.
 */
async function withNodeLibgpiod<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
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

const importLibgpiod1Backend = (): Promise<typeof import('./libgpiod1-backend.js')> =>
  withNodeLibgpiod(() => import('./libgpiod1-backend.js'));
const importNodeLibgpiod = (): Promise<typeof import('node-libgpiod')> => withNodeLibgpiod(() => import('node-libgpiod'));
