// gpio-aggfs benchmark: latency, throughput, scale, memory and events, each
// measured side by side with its floor in the same run (absolute times drift
// on shared machines; ratios measured together hold).
//
//   npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--profiles-only] [--vm]
//
// Clients are separate processes (test/bench/client.c), never the daemon's
// event loop. Latency: every op is timed; samples of all batches and rounds
// are pooled for the median and p99; rounds interleave the targets.
// Prints a table and writes JSON (default /tmp/gpio-aggfs-bench-<time>.json).
//
// Unless --no-profile: CPU profiles (node --cpu-prof) of the daemon and of the
// floor under a pwrite loop, an open+write+close loop and repeated `ls -lR` of
// a 512-line aggregator, and the FUSE requests each client operation costs,
// counted from libfuse's debug trace. --profiles-only runs just those.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdtempSync, chmodSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile, formatProfile } from './profile-summary.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
const BIN = join(ROOT, 'bin', 'gpio-aggfs');

const options = parseArgs(process.argv.slice(2));
const ROUNDS = options.rounds ?? (options.quick ? 2 : 8);
const SCALE = options.quick ? 0.25 : 1;
// fuse-native passes libfuse's `debug` option when DEBUG contains "*" or is
// exactly ",fuse-bindings," (its test is /\*|(^,)fuse-bindings(,$)/, so plain
// DEBUG=fuse-bindings does not match); gpio-aggfs keeps DEBUG at mount time
// only if it names fuse-bindings. This value passes both tests and enables
// no debug-package namespace but fuse-bindings.
const FUSE_TRACE_DEBUG = ',fuse-bindings,';

const TARGETS = {
  'read ≤ 1.25× floor': { limit: 1.25, unit: '×' },
  'write ≤ 1.25× floor': { limit: 1.25, unit: '×' },
  'open+write+close ≤ 1.5× floor': { limit: 1.5, unit: '×' },
  'new_device 512 lines < 200 ms': { limit: 200, unit: 'ms' },
  'ls -lR 512 lines < 500 ms': { limit: 500, unit: 'ms' },
  'RSS 100×32 lines < 150 MB': { limit: 150, unit: 'MB' },
  'restore 100×32 lines < 5 s': { limit: 5000, unit: 'ms' },
};

const PROFILED = {
  pwrite: 'value write (pwrite, open fd)',
  owc: 'open+write+close of value',
  owcSameDepth: 'open+write+close, same depth (/gpio-agg.0/line0/value)',
  lsLR: 'ls -lR of a 512-line aggregator (floor: the same tree)',
};
const OPCODE_ORDER = ['LOOKUP', 'GETATTR', 'OPEN', 'WRITE', 'READ', 'FLUSH', 'RELEASE', 'OPENDIR', 'READDIR', 'RELEASEDIR', 'GETXATTR', 'LISTXATTR', 'FORGET', 'BATCH_FORGET'];

const cleanups = [];
process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });

try {
  await main();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}

async function main() {
  const started = Date.now();
  if (!options.noBuild) {
    log('building (tsc -p tsconfig.build.json)');
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  }
  const work = mkdtempSync(join(tmpdir(), 'gpio-aggfs-bench-'));
  chmodSync(work, 0o755);
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }));
  const client = join(work, 'client');
  execFileSync('cc', ['-O2', '-Wall', '-o', client, join(HERE, 'client.c')], { stdio: 'inherit' });
  const board = join(work, 'board.json');
  writeFileSync(board, JSON.stringify(benchBoard()));

  const results = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model, cpus: cpus().length, node: process.version, kernel: release(),
      rounds: ROUNDS, quick: Boolean(options.quick),
      method: 'per-op latency in µs, samples pooled over all batches and rounds; rounds interleave targets',
    },
  };

  if (!options.profilesOnly) await measure(work, board, client, results);

  // --- Profiles and FUSE requests per operation ----------------------------------
  if (!options.noProfile) {
    log('profiles: daemon and floor under node --cpu-prof (pwrite, open+write+close, ls -lR)');
    results.profiles = await profiles(work, board, client);
    log('requests: FUSE requests per operation, from libfuse\'s debug trace (gpio-aggfs and floor)');
    results.requests = await requestsPerOperation(work, board, client);
    if (results.latency) timePerRequest(results);
  }

  // --- VM: gpio-aggfs vs legacy sysfs vs libgpiod on a gpio-sim line -----------
  if (options.vm) {
    log('vm: booting (test/vm/run.sh -- bash test/bench/vm-bench.sh)');
    results.vm = runVm();
  }

  results.targets = evaluateTargets(results);
  results.meta.seconds = Math.round((Date.now() - started) / 1000);
  const out = options.out ?? join(tmpdir(), `gpio-aggfs-bench-${results.meta.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
  console.log(`\nJSON: ${out}`);
}

/** Latency, throughput, events, scale, memory and restore. */
async function measure(work, board, client, results) {
  // --- Latency: gpio-aggfs vs the fuse-native floor vs tmpfs -------------------
  const daemon = await startDaemon(work, 'agg', board);
  const floor = await startFloor(work);
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/gpio-aggfs-bench-') : mkdtempSync(join(work, 'tmpfs-'));
  cleanups.push(async () => rmSync(shm, { recursive: true, force: true }));
  writeFileSync(join(shm, 'value'), '1\n');
  await control(daemon.mnt, 'new_device', 'gpiochip0 0-7');
  for (let k = 0; k < 8; k++) await writeFile(join(daemon.mnt, 'gpio-agg.0', `line${k}`, 'direction'), 'out');
  const files = {
    'gpio-aggfs': (k = 0) => join(daemon.mnt, 'gpio-agg.0', `line${k}`, 'value'),
    floor: () => join(floor.mnt, 'value'),
    // The floor's file again, as deep as a gpio-aggfs value file (three path components).
    'floor, same depth': () => join(floor.mnt, 'gpio-agg.0', 'line0', 'value'),
    tmpfs: () => join(shm, 'value'),
  };
  const TPUT_TARGETS = ['gpio-aggfs', 'floor', 'tmpfs'];
  const ops = {
    pread: { label: 'value read (pread, open fd)', batches: 20, size: 250 },
    pwrite: { label: 'value write (pwrite, open fd)', batches: 20, size: 250 },
    owc: { label: 'open+write+close', batches: 10, size: 200 },
    shell: { label: 'shell: echo 1 > value', batches: 2, size: 25 },
  };
  log(`latency: ${Object.keys(ops).join(', ')} × ${Object.keys(files).join(', ')}, ${ROUNDS} rounds`);
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [op, spec] of Object.entries(ops)) {
      const order = rotate(Object.keys(files), round);
      for (const target of order) {
        const batches = Math.max(1, Math.round(spec.batches * SCALE));
        const out = runClient(client, ['lat', op, files[target](), batches, spec.size]);
        ((samples[op] ??= {})[target] ??= []).push(out.trim().split('\n').map(Number));
      }
    }
  }
  results.latency = {};
  for (const [op, spec] of Object.entries(ops)) {
    const row = { label: spec.label };
    for (const target of Object.keys(files)) row[target] = summary(samples[op][target].flat());
    // Paired: the ratio of the two medians of each round (measured minutes apart at most), then their median.
    const paired = (a, b) => round2(median(samples[op][a].map((xs, i) => median(xs) / median(samples[op][b][i]))));
    row.ratioToFloor = paired('gpio-aggfs', 'floor');
    row.ratioToFloorPooled = round2(row['gpio-aggfs'].median / row.floor.median);
    row.ratioToFloorSameDepth = paired('gpio-aggfs', 'floor, same depth');
    row.ratioToTmpfs = paired('gpio-aggfs', 'tmpfs');
    row.floorToTmpfs = paired('floor', 'tmpfs');
    results.latency[op] = row;
  }

  // --- Throughput: 1/2/4/8 concurrent clients ---------------------------------
  const durationMs = options.quick ? 400 : 800;
  const clientCounts = [1, 2, 4, 8];
  log(`throughput: ${clientCounts.join('/')} clients × ${TPUT_TARGETS.join(", ")}, ${durationMs} ms each, ${Math.min(ROUNDS, 3)} rounds`);
  const tput = {};
  for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
    for (const n of clientCounts) {
      for (const target of rotate(TPUT_TARGETS, round)) {
        const total = await concurrentWrites(client, n, (i) => files[target](i % 8), durationMs);
        ((tput[n] ??= {})[target] ??= []).push(total);
      }
    }
  }
  results.throughput = {};
  for (const n of clientCounts) {
    const row = {};
    for (const target of TPUT_TARGETS) row[target] = Math.round(median(tput[n][target]));
    row.ratioToFloor = round2(row['gpio-aggfs'] / row.floor);
    results.throughput[n] = row;
  }

  // --- Events: .sim pull change → event line at a blocked reader --------------
  log('events: pull change to event line');
  await control(daemon.mnt, 'new_device', 'gpiochip0 8');
  await writeFile(join(daemon.mnt, 'gpio-agg.1', 'line0', 'edge'), 'both');
  const eventSamples = { total: [], pullWrite: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const out = runClient(client, ['event', join(daemon.mnt, 'gpio-agg.1', 'line0', 'events'),
      join(daemon.mnt, '.sim', 'gpiochip0', 'sim_gpio8', 'pull'), Math.round(400 * SCALE)]);
    for (const line of out.trim().split('\n')) {
      const [total, pull] = line.split(' ').map(Number);
      eventSamples.total.push(total);
      eventSamples.pullWrite.push(pull);
    }
  }
  results.events = { pullToEvent: summary(eventSamples.total), pullWriteAlone: summary(eventSamples.pullWrite) };

  // --- Scale: new_device of 1/32/512 lines, ls -lR ----------------------------
  log('scale: new_device 1/32/512 lines, ls -lR of 512 lines');
  const creation = { 1: [], 32: [], 512: [] };
  const deletion = { 1: [], 32: [], 512: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of [1, 32, 512]) {
      creation[n].push(await timed(() => control(daemon.mnt, 'new_device', `gpiochip1 0-${n - 1}`)));
      deletion[n].push(await timed(() => control(daemon.mnt, 'delete_device', 'gpio-agg.2')));
    }
  }
  await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
  // The same tree on the fuse-native floor, timed in the same rounds: what
  // `ls -lR` costs through this binding with these mount options.
  const treeFile = join(work, 'tree.json');
  writeFileSync(treeFile, JSON.stringify(treeShape(daemon.mnt, 'gpio-agg.2')));
  const treeFloor = await startFloor(work, { name: 'floor-tree', tree: treeFile });
  const lsTimes = [];
  const lsFloorTimes = [];
  let lsEntries = 0;
  for (let round = 0; round < ROUNDS; round++) {
    lsFloorTimes.push(timeLs(join(treeFloor.mnt, 'gpio-agg.2')));
    const t0 = process.hrtime.bigint();
    const ls = spawnSync('ls', ['-lR', join(daemon.mnt, 'gpio-agg.2')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    lsTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (ls.status !== 0) throw new Error(`ls -lR failed: ${ls.stderr}`);
    lsEntries = ls.stdout.split('\n').filter((l) => /^[-d]/.test(l)).length;
  }
  await treeFloor.stop();
  const lsTmpfs = await lsFloor(shm, lsEntries);
  await control(daemon.mnt, 'delete_device', 'gpio-agg.2');
  results.scale = {
    newDeviceMs: Object.fromEntries(Object.entries(creation).map(([n, t]) => [n, msSummary(t)])),
    deleteDeviceMs: Object.fromEntries(Object.entries(deletion).map(([n, t]) => [n, msSummary(t)])),
    lsLR512: { ...msSummary(lsTimes), entries: lsEntries, tmpfsSameTreeMs: lsTmpfs, floorSameTreeMs: msSummary(lsFloorTimes) },
  };
  await daemon.stop();
  await floor.stop();

  // --- Memory and restore: 100 aggregators of 32 lines -------------------------
  log('memory: 100 aggregators × 32 lines; start-up and restore');
  results.memory = await memoryAndRestore(work, board);
}

// --------------------------------------------------------------------------------

function parseArgs(argv) {
  const parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--out') parsed.out = resolve(argv[++i]);
    else if (arg === '--rounds') parsed.rounds = Number(argv[++i]);
    else if (arg === '--quick') parsed.quick = true;
    else if (arg === '--no-build') parsed.noBuild = true;
    else if (arg === '--no-profile') parsed.noProfile = true;
    else if (arg === '--profiles-only') parsed.profilesOnly = true;
    else if (arg === '--vm') parsed.vm = true;
    else {
      console.error(`bench: unknown argument ${arg}\nusage: npm run bench [-- --out FILE] [--rounds N] [--quick] [--no-build] [--no-profile] [--profiles-only] [--vm]`);
      process.exit(2);
    }
  }
  if (parsed.profilesOnly && parsed.noProfile) {
    console.error('bench: --profiles-only and --no-profile exclude each other');
    process.exit(2);
  }
  return parsed;
}

function log(message) {
  process.stderr.write(`bench: ${message}\n`);
}

async function cleanup() {
  while (cleanups.length > 0) {
    try { await cleanups.pop()(); } catch { /* best effort */ }
  }
}

/** Chip 0: latency and events; chip 1: the 512-line aggregator; chips 2–8: 100 × 32 lines. */
function benchBoard() {
  const chips = [{ label: 'bench-a', lines: 16 }, { label: 'bench-b', lines: 512 }];
  for (let i = 0; i < 7; i++) chips.push({ label: `bench-${i + 2}`, lines: 512 });
  return { chips };
}

/**
 * `debug`: a file that receives the daemon's stderr, with libfuse's debug
 * trace on (one `unique: N, opcode: X (n), nodeid: …, pid: P` line per request).
 */
async function startDaemon(work, name, board, { nodeArgs = [], args = [], debug } = {}) {
  const base = join(work, name);
  mkdirSync(base, { recursive: true });
  const mnt = join(base, 'mnt');
  const t0 = process.hrtime.bigint();
  const { child, stop, output } = spawnServer([...nodeArgs, BIN, 'mount', mnt, '--sim', board, ...args], mnt, debug);
  await waitFor(() => exists(join(mnt, 'agg', 'new_device')), 30000, () => child.exitCode !== null,
    () => `gpio-aggfs did not become ready:\n${output()}`);
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { mnt, child, readyMs, stop, output };
}

/**
 * Start a FUSE server process (gpio-aggfs or the floor) with `node args`;
 * `debug` is a file for libfuse's request trace. stop() ends it (SIGTERM,
 * then SIGKILL after 10 s) and clears its mount; it is also run at exit.
 */
function spawnServer(args, mnt, debug) {
  const traceFd = debug === undefined ? undefined : openSync(debug, 'w');
  const env = { ...process.env, DEBUG: debug === undefined ? '' : FUSE_TRACE_DEBUG };
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', traceFd ?? 'pipe'], env });
  if (traceFd !== undefined) closeSync(traceFd);
  let output = '';
  child.stdout.on('data', (c) => { output += c; });
  child.stderr?.on('data', (c) => { output += c; });
  const exited = new Promise((done) => child.on('exit', done));
  let alive = true;
  const stop = async () => {
    if (!alive) return;
    alive = false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
    spawnSync('fusermount', ['-uz', mnt]);
  };
  cleanups.push(stop);
  return { child, stop, output: () => output };
}

/** `tree`: a [path, mode, size] JSON file served beside /value (see floor-fs.mjs); `debug` as for startDaemon. */
async function startFloor(work, { name = 'floor', nodeArgs = [], tree, debug } = {}) {
  const mnt = join(work, name);
  mkdirSync(mnt, { recursive: true });
  const args = [...nodeArgs, join(HERE, 'floor-fs.mjs'), mnt, ...(tree === undefined ? [] : ['--tree', tree])];
  const { child, stop, output } = spawnServer(args, mnt, debug);
  await waitFor(() => output().includes('ready'), 20000, () => child.exitCode !== null, () => `floor-fs failed:\n${output()}`);
  return { mnt, child, stop };
}

async function waitFor(check, timeoutMs, failed, message) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (failed() || Date.now() > deadline) throw new Error(message());
    await new Promise((r) => setTimeout(r, 5));
  }
}

function exists(path) {
  return stat(path).then(() => true, () => false);
}

async function control(mnt, file, text) {
  try {
    await writeFile(join(mnt, 'agg', file), text);
  } catch (err) {
    const reason = await readFile(join(mnt, 'agg', 'last_error'), 'utf8').catch(() => '');
    throw new Error(`${file} "${text}": ${err.message} ${reason}`);
  }
}

async function timed(action) {
  const t0 = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function runClient(client, args) {
  const result = spawnSync(client, args.map(String), { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.status !== 0) throw new Error(`client ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** N client processes writing for the same wall-clock window; total ops/s. */
async function concurrentWrites(client, n, pathOf, durationMs) {
  const start = BigInt(Date.now() + 150) * 1000000n;
  const runs = [];
  for (let i = 0; i < n; i++) {
    runs.push(new Promise((done, fail) => {
      const child = spawn(client, ['tput', pathOf(i), String(start), String(durationMs * 1e6)]);
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => { out += c; });
      child.stderr.on('data', (c) => { err += c; });
      child.on('exit', (code) => (code === 0 ? done(Number(out.trim())) : fail(new Error(`tput client: ${err}`))));
    }));
  }
  const counts = await Promise.all(runs);
  return counts.reduce((a, b) => a + b, 0) / (durationMs / 1000);
}

/** ls -lR of a tmpfs tree shaped like a 512-line aggregator, for scale. */
async function lsFloor(shm, entries) {
  const dir = join(shm, 'tree');
  for (let k = 0; k < 512; k++) {
    const line = join(dir, `line${k}`);
    mkdirSync(line, { recursive: true });
    for (const f of ['value', 'direction', 'active_low', 'edge', 'bias', 'drive', 'name', 'source', 'events']) writeFileSync(join(line, f), '0\n');
  }
  const times = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  rmSync(dir, { recursive: true, force: true });
  void entries;
  return round2(median(times));
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

function spec32(k) {
  const chip = 2 + Math.floor(k / 16);
  const first = (k % 16) * 32;
  return `gpiochip${chip} ${first}-${first + 31}`;
}

async function memoryAndRestore(work, board) {
  const state = join(work, 'state.json');
  const startups = [];
  let daemon;
  for (let i = 0; i < 3; i++) {
    daemon = await startDaemon(work, `mem${i}`, board, { args: ['--state', state] });
    startups.push(daemon.readyMs);
    if (i < 2) await daemon.stop();
  }
  await new Promise((r) => setTimeout(r, 500));
  const empty = rssKb(daemon.child.pid);
  const createMs = await timed(async () => {
    for (let k = 0; k < 100; k++) await control(daemon.mnt, 'new_device', spec32(k));
  });
  await new Promise((r) => setTimeout(r, 1000));
  const full = rssKb(daemon.child.pid);
  await daemon.stop();

  const memory = {
    startupEmptyMs: msSummary(startups),
    rssEmptyMB: round2(empty.rss / 1024),
    rss100x32MB: round2(full.rss / 1024),
    peakRss100x32MB: round2(full.hwm / 1024),
    create100x32Ms: round2(createMs),
  };
  const saved = existsSync(state) ? readFileSync(state, 'utf8') : '';
  const restorable = saved.includes('gpiochip8');
  if (restorable) {
    const t0 = process.hrtime.bigint();
    const restored = await startDaemon(work, 'restore', board, { args: ['--state', state] });
    await waitFor(async () => (await readFile(join(restored.mnt, 'agg', 'devices'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length >= 100,
      30000, () => restored.child.exitCode !== null, () => `restore did not bring back 100 aggregators:\n${restored.output()}`);
    memory.restoreMs = round2(Number(process.hrtime.bigint() - t0) / 1e6);
    memory.restoreMethod = 'start with --state holding 100×32 lines, until agg/devices lists all 100';
    await restored.stop();
  } else {
    memory.restoreMs = round2(median(startups) + createMs);
    memory.restoreMethod = 'state file not written by this build (--state pending): start-up + 100 new_device writes';
  }
  return memory;
}

// --- profiles and FUSE requests per operation -----------------------------------

/** The client loops profiled and traced: `lat <op> <path> <batches> <size>` runs (batches + 1) × size ops (one warm-up batch). */
function clientLoop(op, path, batches, size) {
  return { args: ['lat', op, path, batches, size], ops: (batches + 1) * size };
}

/** The shape of a tree under a mount, as floor-fs.mjs --tree takes it: [path inside the mount, mode, size]. */
function treeShape(mnt, top) {
  const entries = [];
  const walk = (rel) => {
    const st = lstatSync(join(mnt, rel));
    entries.push([`/${rel}`, st.mode, st.size]);
    if (st.isDirectory()) for (const name of readdirSync(join(mnt, rel)).sort()) walk(`${rel}/${name}`);
  };
  walk(top);
  return entries;
}

function timeLs(dir) {
  const t0 = process.hrtime.bigint();
  const ls = spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ls.status !== 0) throw new Error(`ls -lR ${dir} failed: ${ls.stderr}`);
  return ms;
}

/**
 * CPU profiles (node --cpu-prof) of gpio-aggfs and of the floor, each under
 * a pwrite loop, an open+write+close loop and repeated `ls -lR` of a
 * 512-line aggregator (on the floor: a copy of its shape). One process per
 * filesystem; each loop is summarised over its own time window only.
 */
async function profiles(work, board, client) {
  const lsRuns = options.quick ? 2 : 4;
  const windowOf = (name, ops, action) => {
    const t0 = process.hrtime.bigint();
    action();
    const t1 = process.hrtime.bigint();
    return { name, ops, loopMs: Number(t1 - t0) / 1e6, window: [Number(t0 / 1000n), Number(t1 / 1000n)] };
  };
  const loop = (name, spec) => windowOf(name, spec.ops, () => runClient(client, spec.args));
  const lsLoop = (name, dir) => {
    timeLs(dir); // warm-up, outside the window
    return windowOf(name, lsRuns, () => { for (let i = 0; i < lsRuns; i++) timeLs(dir); });
  };
  const summarise = (dir, who, windows) => {
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) return Object.fromEntries(windows.map((w) => [w.name, { error: `no .cpuprofile written by the ${who}` }]));
    const kept = join(tmpdir(), `gpio-aggfs-bench-${who}-${Date.now()}.cpuprofile`);
    writeFileSync(kept, readFileSync(join(dir, file)));
    const profile = JSON.parse(readFileSync(kept, 'utf8'));
    return Object.fromEntries(windows.map((w) => {
      const summary = summariseProfile(profile, { root: ROOT, top: 15, window: w.window });
      return [w.name, {
        file: kept, ops: w.ops, loopMs: round2(w.loopMs), wallUsPerOp: round2((1000 * w.loopMs) / w.ops),
        busyUsPerOp: round2((1000 * summary.busyMs) / w.ops), ...summary,
      }];
    }));
  };
  const owcBatches = Math.max(1, Math.round(20 * SCALE));

  const aggDir = join(work, 'profile-agg');
  const daemon = await startDaemon(work, 'prof', board, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', aggDir] });
  await control(daemon.mnt, 'new_device', 'gpiochip0 0');
  const value = join(daemon.mnt, 'gpio-agg.0', 'line0', 'value');
  await writeFile(join(daemon.mnt, 'gpio-agg.0', 'line0', 'direction'), 'out');
  const aggWindows = [
    loop('pwrite', clientLoop('pwrite', value, Math.round(200 * SCALE), 500)),
    loop('owc', clientLoop('owc', value, owcBatches, 200)),
  ];
  await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
  const tree = join(work, 'tree-profile.json');
  writeFileSync(tree, JSON.stringify(treeShape(daemon.mnt, 'gpio-agg.1')));
  aggWindows.push(lsLoop('lsLR', join(daemon.mnt, 'gpio-agg.1')));
  await daemon.stop();

  const floorDir = join(work, 'profile-floor');
  const floor = await startFloor(work, { name: 'floor-prof', nodeArgs: ['--cpu-prof', '--cpu-prof-dir', floorDir], tree });
  const floorWindows = [
    loop('pwrite', clientLoop('pwrite', join(floor.mnt, 'value'), Math.round(200 * SCALE), 500)),
    loop('owc', clientLoop('owc', join(floor.mnt, 'value'), owcBatches, 200)),
    loop('owcSameDepth', clientLoop('owc', join(floor.mnt, 'gpio-agg.0', 'line0', 'value'), owcBatches, 200)),
    lsLoop('lsLR', join(floor.mnt, 'gpio-agg.1')),
  ];
  await floor.stop();
  return { 'gpio-aggfs': summarise(aggDir, 'daemon', aggWindows), floor: summarise(floorDir, 'floor', floorWindows) };
}

/**
 * Median latency of each traced operation in the main (untraced) measurements,
 * divided by its requests: the cost of one FUSE round trip.
 */
function timePerRequest(results) {
  for (const row of results.requests.rows) {
    const [section, ...keys] = row.timedAs.split('.');
    const key = keys.join('.');
    const timed = section === 'scale'
      ? { median: 1000 * (key === 'lsLR512' ? results.scale.lsLR512.median : results.scale.lsLR512.floorSameTreeMs.median) }
      : results.latency[keys[0]][keys.slice(1).join('.')];
    row.medianUs = round2(timed.median);
    row.usPerRequest = round2(timed.median / row.total);
  }
}

/** Wait until a growing trace file has stopped growing (libfuse writes it from its own threads). */
async function settled(file) {
  let last = -1;
  let quiet = 0;
  while (quiet < 4) {
    await new Promise((r) => setTimeout(r, 50));
    const size = statSync(file).size;
    quiet = size === last ? quiet + 1 : 0;
    last = size;
  }
  return last;
}

function readFrom(file, offset) {
  const fd = openSync(file, 'r');
  try {
    const length = statSync(file).size - offset;
    const buf = Buffer.alloc(Math.max(0, length));
    let done = 0;
    while (done < length) done += readSync(fd, buf, done, length - done, offset + done);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `action` (which returns the pid of the process it ran) and counts the
 * FUSE requests the trace shows in the meantime: those from that pid, plus
 * those the kernel sends on its own (pid 0: RELEASE after the last close,
 * FORGET…). Requests of any other process are counted apart, not included.
 */
async function traceRequests(trace, ops, action) {
  const from = await settled(trace);
  const pid = action();
  await settled(trace);
  const counts = {};
  let total = 0;
  let otherProcesses = 0;
  for (const m of readFrom(trace, from).matchAll(/^unique: \d+, opcode: (\w+) \(\d+\), nodeid: \d+, insize: \d+, pid: (\d+)/gm)) {
    if (Number(m[2]) !== pid && m[2] !== '0') { otherProcesses++; continue; }
    counts[m[1]] = (counts[m[1]] ?? 0) + 1;
    total++;
  }
  const perOp = Object.fromEntries(Object.entries(counts).map(([op, n]) => [op, round2(n / ops)]));
  return { ops, perOp, total: round2(total / ops), requests: total, otherProcesses };
}

/**
 * FUSE requests per client operation, from libfuse's debug trace (a separate
 * run: the trace slows every request down). gpio-aggfs and the floor,
 * including the floor's file at gpio-aggfs's depth and the floor serving a
 * copy of the 512-line aggregator's tree.
 */
async function requestsPerOperation(work, board, client) {
  const size = 100;
  const runLoop = (spec) => () => {
    const result = spawnSync(client, spec.args.map(String), { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (result.status !== 0) throw new Error(`client ${spec.args.join(' ')} failed: ${result.stderr}`);
    return result.pid;
  };
  const runLs = (dir) => () => {
    const ls = spawnSync('ls', ['-lR', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (ls.status !== 0) throw new Error(`ls -lR ${dir} failed: ${ls.stderr}`);
    return ls.pid;
  };
  const rows = [];
  const row = async (target, operation, path, depth, trace, spec, timedAs) => {
    rows.push({ target, operation, path, depth, timedAs, ...(await traceRequests(trace, spec.ops, runLoop(spec))) });
  };
  const lsRow = async (target, dir, trace, timedAs) => {
    runLs(dir)(); // warm-up: first-use requests (e.g. an unsupported GETXATTR) are not per-operation costs
    const entries = spawnSync('find', [dir], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.trim().split('\n').length;
    const counted = await traceRequests(trace, 1, runLs(dir));
    rows.push({ target, operation: 'ls -lR, 512-line aggregator', path: dir, depth: 1, timedAs, entries, ...counted,
      totalPerEntry: round2(counted.total / entries) });
  };

  const aggTrace = join(work, 'trace-gpio-aggfs.log');
  const daemon = await startDaemon(work, 'trace', board, { debug: aggTrace });
  await control(daemon.mnt, 'new_device', 'gpiochip0 0');
  await writeFile(join(daemon.mnt, 'gpio-agg.0', 'line0', 'direction'), 'out');
  await control(daemon.mnt, 'new_device', 'gpiochip1 0-511');
  const value = join(daemon.mnt, 'gpio-agg.0', 'line0', 'value');
  await row('gpio-aggfs', 'pwrite, open fd', value, 3, aggTrace, clientLoop('pwrite', value, 1, size), 'latency.pwrite.gpio-aggfs');
  await row('gpio-aggfs', 'open+write+close', value, 3, aggTrace, clientLoop('owc', value, 1, size), 'latency.owc.gpio-aggfs');
  await lsRow('gpio-aggfs', join(daemon.mnt, 'gpio-agg.1'), aggTrace, 'scale.lsLR512');
  const tree = join(work, 'tree-trace.json');
  writeFileSync(tree, JSON.stringify(treeShape(daemon.mnt, 'gpio-agg.1')));
  await daemon.stop();

  const floorTrace = join(work, 'trace-floor.log');
  const floor = await startFloor(work, { name: 'floor-trace', tree, debug: floorTrace });
  const rootValue = join(floor.mnt, 'value');
  const deepValue = join(floor.mnt, 'gpio-agg.0', 'line0', 'value');
  await row('floor', 'pwrite, open fd', rootValue, 1, floorTrace, clientLoop('pwrite', rootValue, 1, size), 'latency.pwrite.floor');
  await row('floor', 'open+write+close', rootValue, 1, floorTrace, clientLoop('owc', rootValue, 1, size), 'latency.owc.floor');
  await row('floor', 'open+write+close', deepValue, 3, floorTrace, clientLoop('owc', deepValue, 1, size), 'latency.owc.floor, same depth');
  await lsRow('floor', join(floor.mnt, 'gpio-agg.1'), floorTrace, 'scale.lsLR512.floorSameTreeMs');
  await floor.stop();
  for (const r of rows) r.path = r.path.slice(work.length + 1);
  return {
    method: `libfuse debug trace (DEBUG=${FUSE_TRACE_DEBUG}); requests from the client's pid plus kernel-initiated ones (pid 0), divided by client operations`,
    rows,
  };
}

function runVm() {
  const result = spawnSync('bash', [join(ROOT, 'test', 'vm', 'run.sh'), '--', 'bash', 'test/bench/vm-bench.sh'], {
    cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH-VM-JSON '));
  if (line === undefined) return { error: `vm-bench produced no result (exit ${result.status})` };
  return JSON.parse(line.slice('BENCH-VM-JSON '.length));
}

function evaluateTargets(r) {
  if (r.latency === undefined) return [];
  const values = {
    'read ≤ 1.25× floor': r.latency.pread.ratioToFloor,
    'write ≤ 1.25× floor': r.latency.pwrite.ratioToFloor,
    'open+write+close ≤ 1.5× floor': r.latency.owc.ratioToFloor,
    'new_device 512 lines < 200 ms': r.scale.newDeviceMs[512].median,
    'ls -lR 512 lines < 500 ms': r.scale.lsLR512.median,
    'RSS 100×32 lines < 150 MB': r.memory.rss100x32MB,
    'restore 100×32 lines < 5 s': r.memory.restoreMs,
  };
  return Object.entries(TARGETS).map(([name, { limit, unit }]) => {
    const value = values[name];
    const met = name.includes('≤') ? value <= limit : value < limit;
    return { name, value, limit, unit, met };
  });
}

// --- statistics -------------------------------------------------------------------

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** ns samples → µs summary. */
function summary(ns) {
  return { median: round2(median(ns) / 1000), p99: round2(percentile(ns, 99) / 1000), n: ns.length };
}

function msSummary(ms) {
  return { median: round2(median(ms)), p99: round2(percentile(ms, 99)), n: ms.length };
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

// --- output -----------------------------------------------------------------------

function formatUs(us) {
  if (us === undefined) return '';
  return us >= 10000 ? `${round2(us / 1000)} ms` : `${round2(us)} µs`;
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

function printTable(r) {
  const m = r.meta;
  console.log(`\ngpio-aggfs benchmark — ${m.date}, ${m.cpus}× ${m.cpu}, node ${m.node}, kernel ${m.kernel}, ${m.rounds} rounds${m.quick ? ' (quick)' : ''}`);
  const cell = (s) => `${s.median} / ${s.p99}`;
  if (r.latency) printMeasurements(r, cell);
  printRest(r, cell);
}

function printMeasurements(r, cell) {
  console.log('\nLatency per op, µs: median / p99 (samples pooled over batches and interleaved rounds).');
  console.log('Ratios are paired: per round, median ÷ median of the other target in the same round; the median of those.');
  console.log('"floor" serves /value; "floor, same depth" serves the same file at /gpio-agg.0/line0/value.');
  table(['operation', 'gpio-aggfs', 'floor', 'floor, same depth', 'tmpfs', 'agg/floor', 'agg/floor same depth', 'agg/tmpfs', 'floor/tmpfs', 'n'],
    Object.values(r.latency).map((row) => [row.label, cell(row['gpio-aggfs']), cell(row.floor), cell(row['floor, same depth']), cell(row.tmpfs),
      `${row.ratioToFloor}×`, `${row.ratioToFloorSameDepth}×`, `${row.ratioToTmpfs}×`, `${row.floorToTmpfs}×`, row['gpio-aggfs'].n]));

  console.log('\nThroughput, value writes per second (pwrite, open fd), all clients together');
  table(['clients', 'gpio-aggfs', 'floor', 'tmpfs', 'agg/floor'],
    Object.entries(r.throughput).map(([n, row]) => [n, row['gpio-aggfs'], row.floor, row.tmpfs, `${row.ratioToFloor}×`]));

  console.log('\nEvents, µs: median / p99');
  table(['measurement', 'value', 'n'], [
    ['.sim pull write → event line read by a blocked reader', cell(r.events.pullToEvent), r.events.pullToEvent.n],
    ['  of which: the pull write itself (open+write+close)', cell(r.events.pullWriteAlone), r.events.pullWriteAlone.n],
  ]);

  console.log('\nScale, ms: median / p99');
  const s = r.scale;
  table(['measurement', 'value', 'n'], [
    ['new_device, 1 line', cell(s.newDeviceMs[1]), s.newDeviceMs[1].n],
    ['new_device, 32 lines', cell(s.newDeviceMs[32]), s.newDeviceMs[32].n],
    ['new_device, 512 lines', cell(s.newDeviceMs[512]), s.newDeviceMs[512].n],
    ['delete_device, 512 lines', cell(s.deleteDeviceMs[512]), s.deleteDeviceMs[512].n],
    [`ls -lR of a 512-line aggregator (${s.lsLR512.entries} entries)`, cell(s.lsLR512), s.lsLR512.n],
    ['  same tree on the fuse-native floor', cell(s.lsLR512.floorSameTreeMs), s.lsLR512.floorSameTreeMs.n],
    ['  same tree on tmpfs', s.lsLR512.tmpfsSameTreeMs, ''],
  ]);

  console.log('\nMemory and start-up');
  const mem = r.memory;
  table(['measurement', 'value'], [
    ['start-up, empty state (spawn → agg/new_device exists), ms', cell(mem.startupEmptyMs)],
    ['RSS, no aggregators, MB', mem.rssEmptyMB],
    ['RSS, 100 aggregators × 32 lines, MB', mem.rss100x32MB],
    ['peak RSS (VmHWM), MB', mem.peakRss100x32MB],
    ['creating 100 × 32 lines by new_device, ms', mem.create100x32Ms],
    ['restore of 100 × 32 lines, ms', mem.restoreMs],
    ['  method', mem.restoreMethod],
  ]);
}

function printRest(r, cell) {
  if (r.vm) {
    console.log('\nVM (QEMU TCG, gpio-sim line; absolute times are emulation-bound, compare ratios), µs: median / p99');
    if (r.vm.error) console.log(`  ${r.vm.error}`);
    else {
      table(['value write', 'latency', 'vs legacy sysfs', 'vs fuse-native floor', 'n'],
        Object.entries(r.vm.write).map(([k, v]) => [k, cell(v), `${v.ratioToSysfs}×`, `${v.ratioToFloor}×`, v.n]));
    }
  }

  if (r.profiles) printProfiles(r.profiles);
  if (r.requests) printRequests(r.requests);

  if (r.targets.length > 0) {
    console.log('\nTargets');
    table(['target', 'measured', 'met'], r.targets.map((t) => [t.name, `${t.value}${t.unit === '×' ? '×' : ` ${t.unit}`}`, t.met ? 'yes' : 'NO']));
  }
}

function printProfiles(profiles) {
  console.log('\nProfiles (node --cpu-prof, main JavaScript thread only; libfuse\'s own thread is not sampled).');
  console.log('Per op: wall time of the client loop, and main-thread busy time, both ÷ client operations, under the profiler.');
  const rows = [];
  for (const [who, windows] of Object.entries(profiles)) {
    for (const [name, p] of Object.entries(windows)) {
      if (p.error) { rows.push([who, PROFILED[name], p.error, '', '', '', '', '', '']); continue; }
      const pct = (o) => p.byOrigin.find((x) => x.origin === o)?.pctOfBusy ?? 0;
      const own = who === 'floor' ? pct('benchmark floor (floor-fs.mjs)') : pct('gpio-aggfs');
      rows.push([who, PROFILED[name], p.ops, formatUs(p.wallUsPerOp), formatUs(p.busyUsPerOp),
        `${own}%`, `${pct('fuse-native')}%`, `${pct('node internals / native')}%`, `${round2(pct('program (native, outside JS)') + pct('gc'))}%`]);
    }
  }
  table(['process', 'loop', 'ops', 'wall/op', 'busy/op', 'own code', 'fuse-native', 'node', 'native+gc'], rows);
  for (const [who, windows] of Object.entries(profiles)) {
    for (const [name, p] of Object.entries(windows)) {
      if (p.error) continue;
      console.log(`\n${who}, ${PROFILED[name]}: ${p.ops} ops in ${p.loopMs} ms (${p.file})`);
      console.log(formatProfile(p));
    }
  }
}

function printRequests(requests) {
  console.log('\nFUSE requests per client operation (libfuse debug trace; the client\'s requests plus the kernel\'s own, e.g. RELEASE, FORGET).');
  const seen = new Set(requests.rows.flatMap((r) => Object.keys(r.perOp)));
  const opcodes = [...OPCODE_ORDER.filter((o) => seen.has(o)), ...[...seen].filter((o) => !OPCODE_ORDER.includes(o)).sort()];
  const timed = requests.rows.some((r) => r.usPerRequest !== undefined);
  table(['target', 'operation', 'depth', 'ops', ...opcodes, 'total', 'per entry', ...(timed ? ['median latency', 'per request'] : [])],
    requests.rows.map((r) => [r.target, r.operation, r.depth, r.ops, ...opcodes.map((o) => r.perOp[o] ?? 0), r.total,
      r.totalPerEntry === undefined ? '' : `${r.totalPerEntry} (${r.entries} entries)`,
      ...(timed ? [formatUs(r.medianUs), formatUs(r.usPerRequest)] : [])]));
  if (timed) console.log('  (median latency from the measurements above, without the trace; per request = median latency ÷ total)');
  const others = requests.rows.filter((r) => r.otherProcesses > 0);
  if (others.length > 0) console.log(`  (not counted: ${others.map((r) => `${r.otherProcesses} requests from other processes during ${r.target} ${r.operation}`).join('; ')})`);
}
