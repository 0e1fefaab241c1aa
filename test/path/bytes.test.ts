/**
 * Names that are not UTF-8 through the path API: the helpers of
 * src/path/bytes.ts against Node's fs on the host, and the path passthrough
 * keeping names, symlink targets and xattr names byte for byte (what the
 * kit's odd-names scenarios do not cover: xattr names, statfs of an odd
 * path, what lands on the host).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fsPath, pathByteLength, pathBytes, pathFromBytes } from '../../src/path';
import { pathPassthrough } from '../../src/examples/path-passthrough';
import { start } from './helpers';

/** bytes ff fe, a space, ü in UTF-8, and a NUL-free byte that starts a UTF-8 sequence (c3) left alone. */
const RAW = Buffer.from([0x6f, 0xff, 0xfe, 0x20, 0xc3, 0xbc, 0x2d, 0xc3]);

test('fsPath, pathBytes, pathFromBytes, pathByteLength: the bytes of a name, for Node fs and for sizes', { timeout: 30_000 }, () => {
  const name = pathFromBytes(RAW);
  assert.equal(name, 'o\udcff\udcfe ü-\udcc3');
  assert.ok(pathBytes(name).equals(RAW));
  assert.equal(pathByteLength(name), RAW.length);
  assert.equal(pathFromBytes(new Uint8Array(RAW)), name, 'a Uint8Array too');
  // The common case costs nothing: the string itself.
  assert.equal(fsPath('/a/ümlaut b'), '/a/ümlaut b');
  assert.ok(Buffer.isBuffer(fsPath(`/${name}`)));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-bytes-'));
  try {
    fs.writeFileSync(fsPath(`${dir}/${name}`), 'x');
    const listed = fs.readdirSync(dir, { encoding: 'buffer' });
    assert.deepEqual(listed.map((b) => b.toString('hex')), [RAW.toString('hex')], 'the file has exactly those bytes on the host');
    assert.equal(pathFromBytes(listed[0]!), name);
    // What fsPath avoids: the string given to fs as it is names another file (U+FFFD for each escaped byte).
    assert.throws(() => fs.statSync(`${dir}/${name}`), { code: 'ENOENT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the path passthrough keeps odd names, targets and xattr names byte for byte on the host', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-bytes-'));
  const { v } = await start(pathPassthrough(dir));
  try {
    const name = pathFromBytes(RAW);
    await v.mkdir(`/${name}`);
    await v.writeFile(`/${name}/${name}`, 'data');
    const host = Buffer.concat([Buffer.from(`${dir}/`), RAW, Buffer.from('/'), RAW]);
    assert.equal(fs.readFileSync(host, 'utf8'), 'data', 'made on the host under exactly its bytes');
    assert.deepEqual((await v.readdir(`/${name}`)).map((e) => e.name).filter((n) => n !== '.' && n !== '..'), [name]);

    await v.symlink(name, `/${name}/link`);
    assert.ok(fs.readlinkSync(Buffer.concat([host.subarray(0, host.length - RAW.length), Buffer.from('link')]), { encoding: 'buffer' }).equals(RAW));
    assert.equal(await v.readlink(`/${name}/link`), name);
    assert.equal((await v.getattr(`/${name}/link`)).size, RAW.length);

    const st = await v.statfs(await v.nodeid(`/${name}`));
    assert.ok(st.blocks > 0, 'statfs of a directory with an odd name');

    const xnames = ['user.ümlaut', `user.${name}`];
    for (const [i, x] of xnames.entries()) await v.setxattr(`/${name}/${name}`, x, `value ${i}`);
    assert.deepEqual((await v.listxattr(`/${name}/${name}`)).filter((x) => x.startsWith('user.')).sort(), [...xnames].sort());
    for (const [i, x] of xnames.entries()) assert.equal((await v.getxattr(`/${name}/${name}`, x)).toString(), `value ${i}`);
    await v.removexattr(`/${name}/${name}`, xnames[1]!);
    assert.deepEqual((await v.listxattr(`/${name}/${name}`)).filter((x) => x.startsWith('user.')), [xnames[0]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
