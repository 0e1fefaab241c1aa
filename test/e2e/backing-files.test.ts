/**
 * Backing files (-o passthrough; the kernel's FUSE_PASSTHROUGH, 6.9+): the passthrough
 * filesystem hands its open descriptors to the kernel as backing files, and
 * the kernel does reads and writes on them without asking the server.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { unwrapDebug } from '../../src/server/core/debug';
import { canMount, withMount } from '../helpers/mounted';

test('-o passthrough: data goes through the backing files; no READ or WRITE reaches the server', { skip: !canMount() && 'needs root and /dev/fuse' }, async () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-fpt-'));
  process.env.DEVFUSE_PASSTHROUGH_SOURCE = src;
  try {
    await withMount('src/fs/passthrough/index.js', 'passthroughFromEnv', { options: 'passthrough', session: { debug: true } }, async ({ dir, stderr }) => {
      assert.match(unwrapDebug(stderr()), /agreed 7\.\d+ .*PASSTHROUGH/, 'FUSE_PASSTHROUGH negotiated');
      const data = crypto.randomBytes(3 << 20);
      fs.writeFileSync(`${dir}/f`, data);
      assert.ok(fs.readFileSync(`${src}/f`).equals(data), 'the bytes reached the source');
      fs.writeFileSync(`${src}/g`, 'written in the source\n');
      assert.equal(fs.readFileSync(`${dir}/g`, 'utf8'), 'written in the source\n');
      const fd = fs.openSync(`${dir}/f`, 'r+');
      fs.writeSync(fd, Buffer.from('patch'), 0, 5, 1000);
      fs.closeSync(fd);
      assert.equal(fs.readFileSync(`${src}/f`).subarray(1000, 1005).toString(), 'patch');
      // The server prints in the order it reads: once a later LOOKUP shows, every line before it has.
      assert.throws(() => fs.statSync(`${dir}/sync-mark`), { code: 'ENOENT' });
      while (!stderr().includes('name="sync-mark"')) await new Promise((r) => setTimeout(r, 10));
      const log = stderr();
      assert.match(log, / (CREATE|OPEN) .*\n← \d+ (CREATE|OPEN) OK/);
      assert.doesNotMatch(log, /→ \d+ (READ|WRITE) /, 'the kernel did the I/O itself');
    });
  } finally {
    delete process.env.DEVFUSE_PASSTHROUGH_SOURCE;
    fs.rmSync(src, { recursive: true, force: true });
  }
});
