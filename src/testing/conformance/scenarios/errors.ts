/**
 * The errors a filesystem itself must give. The kernel answers many
 * mistakes on its own (EISDIR for unlink of a directory, ENOTDIR below a
 * file, EEXIST when its cache already knows the name): those never reach
 * a FUSE server and are not asked here. What does reach it is a name that
 * another client created or removed since the kernel last looked, or a
 * check only the filesystem can make (is the directory empty?).
 */
import { Opcode } from '../../../protocol';
import type { Scenario } from '../kit';
import { O_CREAT, O_EXCL, O_RDWR, S_IFIFO } from './common';

export const errnos: Scenario = {
  name: 'errnos',
  uses: ['symlink', 'mknod', 'link'],
  description: 'the errors only the filesystem can give, and nothing changed by a refused request: ENOENT for names that are gone, EEXIST for names that are taken, ENOTEMPTY, ENAMETOOLONG',
  needs: ['write'],
  async run(t) {
    const v = await t.start();
    await v.mkdir('/d');
    await v.writeFile('/d/f', 'content');
    await v.mkdir('/e');
    t.step('names that are not there');
    const missing = await v.k.request(Opcode.LOOKUP, 1, { name: 'missing' });
    const negative = missing.body?.kind === 'entry' && missing.body.entry.nodeid === 0;
    t.check(missing.error === -2 || negative, 'LOOKUP /missing', 'ENOENT (or a negative entry, node id 0)', missing.error ? String(missing.error) : `node ${missing.body?.kind === 'entry' ? missing.body.entry.nodeid : '?'}`);
    await t.expectError(v.unlink('/missing'), 'ENOENT', 'UNLINK /missing');
    await t.expectError(v.rmdir('/missing'), 'ENOENT', 'RMDIR /missing');
    await t.expectError(v.rename('/missing', '/e/x'), 'ENOENT', 'RENAME /missing → /e/x');
    await t.expectError(v.lookup('/e/x'), 'ENOENT', 'LOOKUP /e/x after a refused RENAME');
    t.step('names that are taken');
    await t.expectError(v.mkdir('/d'), 'EEXIST', 'MKDIR /d (a directory exists there)');
    await t.expectError(v.mkdir('/d/f'), 'EEXIST', 'MKDIR /d/f (a file exists there)');
    await t.expectError(v.create('/d/f', 0o644, O_RDWR | O_CREAT | O_EXCL), 'EEXIST', 'CREATE /d/f with O_EXCL');
    if (t.has('symlink')) await t.expectError(v.symlink('x', '/d/f'), 'EEXIST', 'SYMLINK /d/f');
    if (t.has('mknod')) await t.expectError(v.mknod('/d/f', S_IFIFO | 0o644), 'EEXIST', 'MKNOD /d/f');
    if (t.has('link')) await t.expectError(v.link('/d/f', '/d/f'), 'EEXIST', 'LINK /d/f → /d/f');
    const f = await t.expectOk(v.readFile('/d/f'), 'READ /d/f after every refused create over it');
    t.check(f?.toString() === 'content', '/d/f after refused creates over it', '"content"', JSON.stringify(f?.toString()));
    const d = await v.getattr('/d');
    t.check((d.mode & 0o170000) === 0o040000 && d.nlink === 2, '/d after a refused MKDIR over it', 'a directory, nlink 2', `mode 0${d.mode.toString(8)}, nlink ${d.nlink}`);
    t.step('directories that are not empty');
    await t.expectError(v.rmdir('/d'), ['ENOTEMPTY', 'EEXIST'], 'RMDIR /d (it holds f)');
    await t.expectError(v.rename('/e', '/d'), ['ENOTEMPTY', 'EEXIST'], 'RENAME /e over /d (it holds f)');
    const still = await t.expectOk(v.readFile('/d/f'), 'READ /d/f after the refused RMDIR and RENAME');
    t.check(still?.toString() === 'content', '/d/f after a refused RMDIR of /d', '"content"', JSON.stringify(still?.toString()));
    await v.unlink('/d/f');
    await t.expectOk(v.rmdir('/d'), 'RMDIR /d once empty');
    t.step('names longer than 255 bytes');
    const long = 'n'.repeat(256);
    await t.expectError(v.mkdir(`/${long}`), 'ENAMETOOLONG', 'MKDIR of a 256-byte name');
    await t.expectError(v.create(`/${long}`, 0o644, O_RDWR | O_CREAT), 'ENAMETOOLONG', 'CREATE of a 256-byte name');
    await v.writeFile('/short', 's');
    await t.expectError(v.rename('/short', `/${long}`), 'ENAMETOOLONG', 'RENAME to a 256-byte name');
    await t.expectOk(v.lookup('/short'), 'LOOKUP /short after a refused RENAME');
    const l = await v.k.request(Opcode.LOOKUP, 1, { name: long });
    t.check(l.error === -36 || l.error === -2 || (l.body?.kind === 'entry' && l.body.entry.nodeid === 0), 'LOOKUP of a 256-byte name', 'ENAMETOOLONG or ENOENT', l.error ? String(l.error) : 'success');
  },
};
