import { readFile } from 'node:fs/promises';
import t, { type Test } from 'tap';
import { BACKEND, startDaemon, stopOrKill } from '../helpers/daemon.js';
import { resetLines } from '../helpers/line-files.js';
import { q, run, sh } from '../helpers/run.js';

/*
 * Many processes at once: writers on different lines and on the same line,
 * readers during the storm, and new_device/delete_device from several
 * processes. gpio-agg.0 is "gpiochip0 0-7", gpio-agg.1 is "gpiochip1 0".
 */

// Every process start is slow under the VM's software emulation.
t.setTimeout(BACKEND === 'libgpiod' ? 1_800_000 : 120_000);

/** Writes per writer; fewer under emulation, where each takes milliseconds. */
const WRITES = BACKEND === 'sim' ? 200 : 50;
const WRITERS = 8;

const daemon = await startDaemon();
t.teardown(async () => {
  // Leave the lines as inputs pulled down for whatever runs next on the same chips.
  await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const)).catch(() => {});
  await resetLines(daemon, 'gpio-agg.1', [['gpiochip1', 0] as const]).catch(() => {});
  await stopOrKill(daemon);
});

const NEW_DEVICE = daemon.path('agg', 'new_device');
const DELETE_DEVICE = daemon.path('agg', 'delete_device');
const DEVICES = daemon.path('agg', 'devices');

for (const spec of ['gpiochip0 0-7', 'gpiochip1 0']) {
  const created = await sh(`echo ${q(spec)} > ${q(NEW_DEVICE)}`);
  if (created.code !== 0) throw new Error(`cannot create ${spec}: ${created.stderr}`);
}

await resetLines(daemon, 'gpio-agg.0', Array.from({ length: 8 }, (_, k) => ['gpiochip0', k] as const));
await resetLines(daemon, 'gpio-agg.1', [['gpiochip1', 0] as const]);

function attr(aggregator: number, line: number, file: string): string {
  return daemon.path(`gpio-agg.${aggregator}`, `line${line}`, file);
}

async function alive(t: Test): Promise<void> {
  t.equal(daemon.process.exitCode, null, 'the daemon is still running');
  t.equal(daemon.process.signalCode, null);
  t.match(await readFile(DEVICES, 'utf8'), /^gpio-agg\.0 gpiochip0 0-7\ngpio-agg\.1 gpiochip1 0\n/, 'and answering');
}

t.test(`${WRITERS} writers × ${WRITES} writes on different lines: no write lost`, async (t) => {
  for (let line = 0; line < WRITERS; line += 1) {
    t.equal((await sh(`echo out > ${q(attr(0, line, 'direction'))}`)).code, 0);
  }
  const started = Date.now();
  // Writer k alternates, ending with k % 2; every write must succeed.
  const results = await Promise.all(Array.from({ length: WRITERS }, (_, k) => sh(`
    for ((i = 0; i < ${WRITES}; i++)); do
      echo $(( (i + ${k} + 1) % 2 )) > ${q(attr(0, k, 'value'))} || { echo "write $i failed" >&2; exit 1; }
    done`, { timeoutMs: 600000 })));
  t.comment(`${WRITERS * WRITES} writes in ${Date.now() - started} ms`);
  results.forEach((result, k) => t.equal(result.code, 0, `writer ${k}: ${result.stderr.trim()}`));
  for (let line = 0; line < WRITERS; line += 1) {
    t.equal(await readFile(attr(0, line, 'value'), 'utf8'), `${line % 2}\n`, `line${line} holds its writer's last value`);
    t.equal(await daemon.lines.level('gpiochip0', line), line % 2, `line${line} drives it`);
  }
  await alive(t);
});

/** A node child that reads `path` `count` times and reports every read that is not "0\n" or "1\n". */
function stormReader(path: string, count: number): Promise<{ reads: number; bad: string[] }> {
  const script = `
    const fs = require('node:fs');
    const bad = [];
    let reads = 0;
    for (let i = 0; i < Number(process.argv[2]); i++) {
      let text;
      try { text = fs.readFileSync(process.argv[1], 'latin1'); } catch (err) { text = 'error ' + err.code; }
      reads++;
      if (text !== '0\\n' && text !== '1\\n') bad.push(text);
    }
    process.stdout.write(JSON.stringify({ reads, bad }));
  `;
  return run([process.execPath, '-e', script, path, String(count)], { timeoutMs: 600000 })
    .then((result) => JSON.parse(result.stdout) as { reads: number; bad: string[] });
}

t.test(`${WRITERS} writers on the same line while others read it`, async (t) => {
  const value = attr(1, 0, 'value');
  t.equal((await sh(`echo low > ${q(attr(1, 0, 'direction'))}`)).code, 0);
  // Different spellings of 0 and 1, all accepted by kstrtol.
  const spellings = ['1', '0', '0x1', '00', '2', '0x0', '-1', '0\n'];
  const writers = Array.from({ length: WRITERS }, (_, k) => sh(`
    for ((i = 0; i < ${WRITES}; i++)); do
      if ((i % 2 == 0)); then printf '%s' ${q(spellings[k] as string)} > ${q(value)}; else echo ${k % 2} > ${q(value)}; fi || exit 1
    done`, { timeoutMs: 600000 }));
  const readers = [stormReader(value, WRITES * 2), stormReader(value, WRITES * 2)];
  const results = await Promise.all(writers);
  results.forEach((result, k) => t.equal(result.code, 0, `writer ${k}: ${result.stderr.trim()}`));
  for (const report of await Promise.all(readers)) {
    t.equal(report.reads, WRITES * 2);
    t.same(report.bad, [], 'every read during the storm was "0\\n" or "1\\n"');
  }
  const final = await readFile(value, 'utf8');
  t.ok(final === '0\n' || final === '1\n', `final value ${JSON.stringify(final)} is one that was written`);
  t.equal(await daemon.lines.level('gpiochip1', 0), Number(final), 'and the line drives it');
  t.equal(await readFile(attr(1, 0, 'direction'), 'utf8'), 'out\n');
  await alive(t);
});

t.test('attribute storms across every writable file of one line keep it consistent', async (t) => {
  const line = 7;
  const path = (file: string): string => attr(0, line, file);
  const scripts = [
    `for ((i = 0; i < ${WRITES}; i++)); do echo $((i % 2)) > ${q(path('active_low'))} || exit 1; done`,
    `for ((i = 0; i < ${WRITES}; i++)); do echo $((i % 2)) > ${q(path('value'))} 2>/dev/null; done; exit 0`,
    `for ((i = 0; i < ${WRITES}; i++)); do if ((i % 2)); then echo open-drain; else echo push-pull; fi > ${q(path('drive'))} || exit 1; done`,
    `for ((i = 0; i < ${WRITES}; i++)); do if ((i % 2)); then echo pull-up; else echo as-is; fi > ${q(path('bias'))} || exit 1; done`,
    `for ((i = 0; i < ${WRITES}; i++)); do cat ${q(path('direction'))} ${q(path('edge'))} > /dev/null || exit 1; done`,
  ];
  const results = await Promise.all(scripts.map((script) => sh(script, { timeoutMs: 600000 })));
  results.forEach((result, k) => t.equal(result.code, 0, `script ${k}: ${result.stderr.trim()}`));
  t.equal(await readFile(path('active_low'), 'utf8'), `${(WRITES - 1) % 2}\n`);
  t.equal(await readFile(path('drive'), 'utf8'), (WRITES - 1) % 2 === 1 ? 'open-drain\n' : 'push-pull\n');
  t.equal(await readFile(path('bias'), 'utf8'), (WRITES - 1) % 2 === 1 ? 'pull-up\n' : 'as-is\n');
  t.equal(await readFile(path('direction'), 'utf8'), 'out\n');
  await alive(t);
});

t.test('concurrent new_device/delete_device: no duplicate ids, no leaked lines', async (t) => {
  const OWNERS = 6;
  const CONTENDERS = 4;
  const ROUNDS = BACKEND === 'sim' ? 25 : 8;
  // Owner k creates and deletes "gpiochip1 k+1" (its own line); contenders fight over gpiochip1 15.
  const findId = (spec: string): string => `
      id=$(grep -x "gpio-agg\\.[0-9]* ${spec}" ${q(DEVICES)} | cut -d' ' -f1)
      [[ $id =~ ^gpio-agg\\.[0-9]+$ ]] || { echo "round $i: not exactly one aggregator for ${spec}: '$id'" >&2; exit 1; }`;
  const owner = (k: number): string => `
    for ((i = 0; i < ${ROUNDS}; i++)); do
      echo 'gpiochip1 ${k + 1}' > ${q(NEW_DEVICE)} || { echo "round $i: create failed" >&2; exit 1; }
      ${findId(`gpiochip1 ${k + 1}`)}
      echo "made $id"
      echo "$id" > ${q(DELETE_DEVICE)} || { echo "round $i: delete $id failed" >&2; exit 1; }
    done`;
  const contender = `
    for ((i = 0; i < ${ROUNDS}; i++)); do
      if error=$( { echo 'gpiochip1 15' > ${q(NEW_DEVICE)}; } 2>&1 ); then
        ${findId('gpiochip1 15')}
        echo "won $id"
        echo "$id" > ${q(DELETE_DEVICE)} || { echo "round $i: delete $id failed" >&2; exit 1; }
      elif [[ $error == *'Device or resource busy'* ]]; then
        echo busy
      else
        echo "round $i: unexpected: $error" >&2; exit 1
      fi
    done`;
  /** Reads devices throughout and reports any id or line listed twice. */
  const watcher = `
    for ((i = 0; i < ${ROUNDS * 4}; i++)); do
      listing=$(cat ${q(DEVICES)}) || exit 1
      ids=$(cut -d' ' -f1 <<< "$listing" | sort | uniq -d)
      lines=$(cut -d' ' -f2- <<< "$listing" | sort | uniq -d)
      [[ -z $ids && -z $lines ]] || { echo "listed twice: $ids $lines" >&2; exit 1; }
    done`;
  const started = Date.now();
  const results = await Promise.all([
    ...Array.from({ length: OWNERS }, (_, k) => sh(owner(k), { timeoutMs: 600000 })),
    ...Array.from({ length: CONTENDERS }, () => sh(contender, { timeoutMs: 600000 })),
    sh(watcher, { timeoutMs: 600000 }),
  ]);
  t.comment(`create/delete storm in ${Date.now() - started} ms`);
  results.forEach((result, k) => t.equal(result.code, 0, `process ${k}: ${result.stderr.trim()}`));

  const made = results.slice(0, OWNERS).flatMap((result) => result.stdout.split('\n').filter((l) => l.startsWith('made ')));
  t.equal(made.length, OWNERS * ROUNDS, 'every owner round created and deleted its aggregator');
  const contenderLines = results.slice(OWNERS, OWNERS + CONTENDERS).flatMap((result) => result.stdout.split('\n').filter((l) => l !== ''));
  t.equal(contenderLines.length, CONTENDERS * ROUNDS);
  const wins = contenderLines.filter((l) => l.startsWith('won '));
  t.ok(wins.length >= 1, `${wins.length} contender rounds won the line, the rest got EBUSY`);
  // Lowest free id: ids 0 and 1 are held throughout; at most OWNERS + 1 more exist at any time.
  for (const entry of [...made, ...wins]) {
    const id = Number(entry.split('.')[1]);
    t.ok(id >= 2 && id < 2 + OWNERS + 1, `${entry} is among the lowest free ids`);
  }

  t.equal(await readFile(DEVICES, 'utf8'), 'gpio-agg.0 gpiochip0 0-7\ngpio-agg.1 gpiochip1 0\n', 'only the first two remain');
  // Nothing leaked: every other line can be taken at once.
  const all = await sh(`echo 'gpiochip1 1-15' > ${q(NEW_DEVICE)}`);
  t.equal(all.code, 0, `all free lines can be taken again: ${all.stderr.trim()}`);
  t.equal(await readFile(daemon.path('gpio-agg.2', 'ngpio'), 'utf8'), '15\n');
  t.equal((await sh(`echo gpio-agg.2 > ${q(DELETE_DEVICE)}`)).code, 0);
  await alive(t);
});
