/** SETATTR field by field, with and without a handle; truncation. */
import { Opcode } from '../../../protocol';
import type { Scenario } from '../kit';

export const setattr: Scenario = {
  name: 'setattr',
  description: 'SETATTR: mode, owner, truncate and extend (zero-filled), times',
  needs: ['write', 'setattr'],
  async run(t) {
    const v = await t.start();
    await v.writeFile('/f', 'hello world');
    const before = await v.getattr('/f');
    const m = await t.expectOk(v.setattr('/f', { mode: 0o100600 }), 'SETATTR mode 0600');
    t.check((m?.mode ?? 0) === 0o100600, 'mode after chmod 0600', '0100600', (m?.mode ?? 0).toString(8));
    t.check(!m || m.ctime > before.ctime || (m.ctime === before.ctime && m.ctimensec >= before.ctimensec), 'ctime after chmod', 'not earlier than before', `${m?.ctime}.${m?.ctimensec}`);
    const o = await t.expectOk(v.setattr('/f', { uid: 1234, gid: 5678 }), 'SETATTR uid/gid (as root)');
    t.check(o?.uid === 1234 && o?.gid === 5678, 'owner after chown', '1234:5678', `${o?.uid}:${o?.gid}`);
    const s = await t.expectOk(v.setattr('/f', { size: 5 }), 'SETATTR size 5');
    t.check(s?.size === 5, 'size after truncate', '5', String(s?.size));
    await v.setattr('/f', { size: 100 });
    const data = await v.readFile('/f');
    t.check(data.length === 100 && data.subarray(0, 5).toString() === 'hello' && data.subarray(5).every((b) => b === 0), 'content after truncate to 5 and extend to 100', '"hello" + 95 zero bytes', `${data.length} bytes: ${JSON.stringify(data.subarray(0, 12).toString())}...`);
    const id = await v.nodeid('/f');
    const arg = { valid: (1 << 4) | (1 << 5), fh: 0, size: 0, lock_owner: 0n, atime: 1000, mtime: 2000, ctime: 0, atimensec: 5, mtimensec: 7, ctimensec: 0, mode: 0, uid: 0, gid: 0 };
    const r = await v.k.request(Opcode.SETATTR, id, { arg });
    const a = r.body?.kind === 'attr' ? r.body.attr.attr : null;
    t.check(!!a && a.atime === 1000 && a.atimensec === 5 && a.mtime === 2000 && a.mtimensec === 7, 'SETATTR atime=1000.000000005 mtime=2000.000000007', 'those times, to the nanosecond', a ? `${a.atime}.${a.atimensec} ${a.mtime}.${a.mtimensec}` : String(r.error));
  },
};
