import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../lib/config/config-file.js';
import { IdNames } from '../../lib/config/ids.js';
import { fieldPath } from '../../lib/config/validate.js';

const dir = await mkdtemp(join(tmpdir(), 'gpio-aggfs-config-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
await writeFile(join(dir, 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n# comment\ngpio-svc:x:1234:1234::/:/usr/sbin/nologin\n');
await writeFile(join(dir, 'group'), 'root:x:0:\ngpio:x:997:gpio-svc\n');
const ids = new IdNames({ passwd: join(dir, 'passwd'), group: join(dir, 'group') });

let counter = 0;
async function configFile(content: unknown): Promise<string> {
  counter += 1;
  const file = join(dir, `config-${counter}.json`);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

t.test('a full config: names and numbers, modes, lines, control files', async (t) => {
  const file = await configFile({
    aggregators: [
      {
        spec: 'gpiochip0 3-5', id: 4, owner: 'gpio-svc', group: 'gpio', mode: '0750', fileMode: '0660',
        lines: { line0: { owner: 1500, mode: '700' }, line2: { group: '997' } },
      },
      { spec: 'LED0' },
    ],
    control: { new_device: { owner: 'gpio-svc', mode: '0220' } },
  });
  const config = loadConfig(file, ids);
  t.equal(config.file, file);
  t.equal(config.aggregators.length, 2);
  const [first, second] = config.aggregators;
  t.match(first, { field: 'aggregators[0]', spec: 'gpiochip0 3-5', id: 4 });
  t.same(first?.permissions, { uid: 1234, gid: 997, mode: 0o750, fileMode: 0o660 });
  t.same([...(first?.lines ?? [])], [[0, { uid: 1500, mode: 0o700 }], [2, { gid: 997 }]]);
  t.same(second?.permissions, {});
  t.equal(second?.id, undefined);
  t.same([...config.control], [['new_device', { uid: 1234, mode: 0o220 }]]);
});

t.test('an empty object is a config with nothing in it', async (t) => {
  const config = loadConfig(await configFile({}), ids);
  t.same(config.aggregators, []);
  t.equal(config.control.size, 0);
});

t.test('each kind of bad config is refused, naming the file and the field', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['bad JSON', '{"aggregators": [', /: the config file is not valid JSON: at line 1, column 18 \(byte 17\): expected a value$/],
    ['not an object', '[]', /: \(top level\): expected a JSON object/],
    ['unknown top-level field', { aggregator: [] }, /: aggregator: unknown field; expected one of aggregators, control/],
    ['unknown aggregator field', { aggregators: [{ spec: 'LED0', colour: 'red' }] },
      /: aggregators\[0\]\.colour: unknown field; expected one of spec, id, owner, group, mode, fileMode, lines/],
    ['unknown line', { aggregators: [{ spec: 'LED0', lines: { led: {} } }] }, /: aggregators\[0\]\.lines\.led: unknown field; expected line names line0, line1/],
    ['unknown line field', { aggregators: [{ spec: 'LED0', lines: { line0: { value: 1 } } }] }, /: aggregators\[0\]\.lines\.line0\.value: unknown field/],
    ['missing spec', { aggregators: [{ owner: 0 }] }, /: aggregators\[0\]\.spec: missing; expected a line spec/],
    ['spec not a string', { aggregators: [{ spec: 3 }] }, /: aggregators\[0\]\.spec: expected a line spec as written to agg\/new_device.*, got 3/],
    ['bad spec', { aggregators: [{ spec: 'gpiochip0 5-3' }] }, /: aggregators\[0\]\.spec: expected a line spec such as "gpiochip0 3-5": /],
    ['unbalanced quote', { aggregators: [{ spec: '"LED0' }] }, /: aggregators\[0\]\.spec: expected a line spec/],
    ['blank spec', { aggregators: [{ spec: '   ' }] }, /: aggregators\[0\]\.spec: expected a line spec/],
    ['unknown user', { aggregators: [{ spec: 'LED0', owner: 'nobody-here' }] },
      /: aggregators\[0\]\.owner: expected a user name from .*passwd or a uid, got unknown user "nobody-here"/],
    ['unknown group', { aggregators: [{ spec: 'LED0', lines: { line0: { group: 'gpio-users' } } }] },
      /: aggregators\[0\]\.lines\.line0\.group: expected a group name from .*group or a gid, got unknown group "gpio-users"/],
    ['negative uid', { aggregators: [{ spec: 'LED0', owner: -1 }] }, /: aggregators\[0\]\.owner: expected a user name or a uid, got -1/],
    ['bad mode', { aggregators: [{ spec: 'LED0', mode: '0980' }] }, /: aggregators\[0\]\.mode: expected an octal mode string such as "0750".*, got "0980"/],
    ['numeric mode', { aggregators: [{ spec: 'LED0', lines: { line0: { mode: 755 } } }] }, /: aggregators\[0\]\.lines\.line0\.mode: expected an octal mode string/],
    ['bad file mode', { aggregators: [{ spec: 'LED0', fileMode: 'rw-' }] }, /: aggregators\[0\]\.fileMode: expected an octal mode string such as "0660"/],
    ['bad id', { aggregators: [{ spec: 'LED0', id: 1.5 }] }, /: aggregators\[0\]\.id: expected the aggregator number N of gpio-agg\.N/],
    ['duplicate id', { aggregators: [{ spec: 'LED0', id: 1 }, { spec: 'LED1', id: 1 }] },
      /: aggregators\[1\]\.id: expected an id not used by another aggregator, but aggregators\[0\]\.id is 1 too/],
    ['unknown control file', { control: { last_error: { mode: '0400' } } }, /: control\.last_error: unknown field; expected one of new_device, delete_device/],
    ['fileMode on a control file', { control: { new_device: { fileMode: '0220' } } }, /: control\.new_device\.fileMode: unknown field/],
  ];
  for (const [name, content, message] of cases) {
    const file = await configFile(content);
    const escaped = file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    t.throws(() => loadConfig(file, ids), { code: 'EINVAL', message: new RegExp(`^${escaped}${message.source}`) }, name);
  }
});

t.test('a missing config file is an error with its errno', async (t) => {
  t.throws(() => loadConfig(join(dir, 'none.json'), ids), { code: 'ENOENT', message: /none\.json: cannot read the config file/ });
});

t.test('names resolve from the system files by default', async (t) => {
  const system = new IdNames();
  t.equal(system.user('root'), 0);
  t.equal(system.group('root'), 0);
  t.equal(system.user('4321'), 4321);
  t.equal(system.user('no-such-user-here'), undefined);
});

t.test('field paths', async (t) => {
  t.equal(fieldPath(''), '(top level)');
  t.equal(fieldPath('/aggregators/0/lines/line1/mode'), 'aggregators[0].lines.line1.mode');
  t.equal(fieldPath('/permissions/gpio-agg.0~1line0', 'mode'), 'permissions["gpio-agg.0/line0"].mode');
  t.equal(fieldPath('/aggregators/2', 'id'), 'aggregators[2].id');
});
