/**
 * The `-o` table and its one parser (src/server/options): every name in the
 * table parses, each lands in the mount or the session options, and a name
 * nobody knows is refused by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MountOptionError } from '../../src/server/options/mount';
import { parseOptions } from '../../src/server/options/parse';
import { OPTIONS } from '../../src/server/options/table';

/** A value each kind of option accepts: none (flags), a number, or readdirplus's word. */
function parses(name: string): boolean {
  for (const item of [name, `${name}=1`, `${name}=auto`]) {
    try {
      parseOptions(item);
      return true;
    } catch (e) {
      assert.doesNotMatch(String(e), /unknown option/, `${item}: in the table, so never unknown`);
    }
  }
  return false;
}

test('every name in the table parses, into the mount or the session options', () => {
  const refusedOnPurpose = new Set(['blkdev', 'fd', 'user_id', 'group_id']);
  for (const [name, def] of Object.entries(OPTIONS)) {
    if (refusedOnPurpose.has(name)) {
      assert.throws(() => parseOptions(`${name}=1`), MountOptionError, name);
      continue;
    }
    assert.ok(parses(name), `-o ${name} parses`);
    assert.ok(def.target === 'mount' || def.target === 'session');
  }
});

test('mount and session options are split by the table; a later repeat wins', () => {
  const { mount, session } = parseOptions(['ro,attr_timeout=1.5,no_splice', 'workers=2,fsname=x,busy_poll=0,attr_timeout=2,passthrough']);
  assert.equal(mount.ro, true);
  assert.equal(mount.fsname, 'x');
  assert.deepEqual(session, { splice: false, workers: 2, busyPoll: 0, attrTimeout: 2, passthrough: true });
});

test('unknown names are refused by name, those of Object.prototype too', () => {
  assert.throws(() => parseOptions('bogus=1'), /^Error: unknown option -o bogus=1$/);
  assert.throws(() => parseOptions('attr_timeout=1,frob'), /unknown option -o frob/);
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) assert.throws(() => parseOptions(name), /unknown option/, name);
  // A mount-level problem is reported first, wherever it stands.
  assert.throws(() => parseOptions('bogus,ro=1'), MountOptionError);
});

test('session values are checked with the name in the message', () => {
  assert.throws(() => parseOptions('busy_poll=soon'), /-o busy_poll: expected a number, got "soon"/);
  assert.throws(() => parseOptions('entry_timeout'), /-o entry_timeout: expected a number, got nothing/);
  assert.throws(() => parseOptions('writeback_cache=1'), /-o writeback_cache takes no value/);
  assert.throws(() => parseOptions('readdirplus=maybe'), /-o readdirplus takes yes, no or auto/);
});
