/** The command line's parser: what it accepts, and that it names what it refuses. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'devfuse.js');

test('positionals, -o in both spellings, valued flags and switches', () => {
  const a = parseArgs(['memfs', '-o', 'ro,debug', '-oallow_other', '--trace', 't.jsonl', '/mnt/x', '--list', '-d'], ['trace'], ['list']);
  assert.deepEqual(a.positional, ['memfs', '/mnt/x']);
  assert.deepEqual(a.options, ['ro,debug', 'allow_other']);
  assert.equal(a.values.get('trace'), 't.jsonl');
  assert.deepEqual([...a.flags].sort(), ['debug', 'list']);
  assert.equal(parseArgs(['--trace=t'], ['trace']).values.get('trace'), 't');
  assert.deepEqual(parseArgs(['--', '--not-a-flag']).positional, ['--not-a-flag']);
});

test('an unknown flag is an error that names it and the flags the command takes', () => {
  assert.throws(() => parseArgs(['--trce', 'x'], ['trace']), /unknown flag --trce \(this command takes --trace, --debug, --help\)/);
  assert.throws(() => parseArgs(['--list=1'], [], ['list']), /--list takes no value/);
  assert.throws(() => parseArgs(['--trace'], ['trace']), /--trace needs a value/);
  assert.throws(() => parseArgs(['-o']), /-o needs a value/);
});

test('devfuse mount with a mistyped flag exits 2 (a usage error) with the message before it tries to mount', () => {
  const r = spawnSync(process.execPath, [BIN, 'mount', 'memfs', '/nonexistent-mountpoint', '--trce', 'x'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^devfuse mount: unknown flag --trce/);
});
