import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { canMount, withMount } from '../helpers/mounted';

test('hello: a real mount served from another process', { skip: !canMount() && 'needs root and /dev/fuse' }, async () => {
  await withMount('src/examples/hello.js', 'helloFs', {}, async ({ dir }) => {
    assert.deepEqual(fs.readdirSync(dir), ['hello']);
    assert.equal(fs.readFileSync(`${dir}/hello`, 'utf8'), 'Hello, world!\n');
    const st = fs.statSync(`${dir}/hello`);
    assert.equal(st.size, 14);
    assert.equal(st.mode, 0o100444);
    assert.throws(() => fs.statSync(`${dir}/nope`), { code: 'ENOENT' });
    assert.throws(() => fs.writeFileSync(`${dir}/hello`, 'x'), { code: 'EACCES' });
  });
});

test('a READ reply of more buffers than IOV_MAX still goes out as one write', { skip: !canMount() && 'needs root and /dev/fuse' }, async () => {
  await withMount('test/helpers/odd-fs.js', 'manyBuffersFs', { session: { directIo: true } }, async ({ dir }) => {
    const data = fs.readFileSync(`${dir}/many`, 'latin1');
    assert.equal(data.length, 3000);
    assert.equal(data.slice(0, 3), 'ABC');
    assert.equal(data[2999], String.fromCharCode(0x41 + (2999 % 26)));
  });
});
