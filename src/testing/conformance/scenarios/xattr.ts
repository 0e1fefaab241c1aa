/** Extended attributes: the size protocol, values, names, flags. */
import { Errno, Opcode } from '../../../protocol';
import { SkipScenario, type Scenario } from '../kit';
import { code, XATTR_CREATE, XATTR_REPLACE } from './common';

export const xattrs: Scenario = {
  name: 'xattr-protocol',
  description: 'xattrs: the size probe (size 0, then exact), ERANGE, XATTR_CREATE/REPLACE, ENODATA',
  needs: ['write', 'xattr'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', '');
    try {
      await v.setxattr('/f', 'user.k', 'value');
    } catch (e) {
      if (['ENOSYS', 'EOPNOTSUPP', 'ENOTSUP'].includes(code(e))) throw new SkipScenario(`no xattr support (${code(e)})`);
      throw e;
    }
    const id = await v.nodeid('/f');
    const probe = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 0 }, name: 'user.k' });
    t.check(probe.body?.kind === 'xattr_size' && probe.body.size === 5, 'GETXATTR user.k with size 0', 'fuse_getxattr_out size 5', JSON.stringify(probe.body ?? probe.error));
    const small = await v.k.request(Opcode.GETXATTR, id, { arg: { size: 4 }, name: 'user.k' });
    t.check(small.error === -Errno.ERANGE, 'GETXATTR user.k with size 4', 'ERANGE', String(small.error || 'success'));
    const got = await t.expectOk(v.getxattr('/f', 'user.k'), 'GETXATTR user.k');
    t.check(got?.toString() === 'value', 'value of user.k', '"value"', JSON.stringify(got?.toString()));
    const list = await t.expectOk(v.listxattr('/f'), 'LISTXATTR');
    t.check(!!list?.includes('user.k'), 'LISTXATTR', 'includes user.k', JSON.stringify(list));
    const lsmall = await v.k.request(Opcode.LISTXATTR, id, { arg: { size: 1 } });
    t.check(lsmall.error === -Errno.ERANGE, 'LISTXATTR with size 1', 'ERANGE', String(lsmall.error || 'success'));
    await t.expectError(v.setxattr('/f', 'user.k', 'x', XATTR_CREATE), 'EEXIST', 'SETXATTR XATTR_CREATE of an existing name');
    await t.expectError(v.setxattr('/f', 'user.none', 'x', XATTR_REPLACE), 'ENODATA', 'SETXATTR XATTR_REPLACE of a missing name');
    await t.expectError(v.getxattr('/f', 'user.none'), 'ENODATA', 'GETXATTR of a missing name');
    await t.expectOk(v.setxattr('/f', 'user.empty', ''), 'SETXATTR of an empty value');
    const empty = await t.expectOk(v.getxattr('/f', 'user.empty'), 'GETXATTR of an empty value');
    t.check(empty?.length === 0, 'an empty value', '0 bytes', String(empty?.length));
    await t.expectOk(v.removexattr('/f', 'user.k'), 'REMOVEXATTR user.k');
    await t.expectError(v.getxattr('/f', 'user.k'), 'ENODATA', 'GETXATTR after REMOVEXATTR');
  },
};
