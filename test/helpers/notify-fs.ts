/**
 * A filesystem driven through a control file, for testing notifications on
 * a real kernel: /data is served with long cache timeouts and keep_cache, so
 * the kernel only sees changes the filesystem tells it about. Writing to
 * /ctl:
 *
 *   "set <text>"    changes /data's content and sends NOTIFY_INVAL_INODE
 *   "store <text>"  puts <text> into the kernel's page cache (NOTIFY_STORE) only
 *   "retrieve"      reads the kernel's cache back (NOTIFY_RETRIEVE) into /retrieved
 *   "hide"          removes the name /data and sends NOTIFY_INVAL_ENTRY
 *
 * /done (read uncached) holds how many notifications have been delivered, so
 * a test waits for one instead of for a time.
 */
import { FuseError } from '../../src/api/errors';
import type { Entry, Filesystem, SessionApi } from '../../src/api/filesystem';

const DATA = 2;
const CTL = 3;
const RETRIEVED = 4;
const DONE = 5;

export function notifyFs(): Filesystem {
  let session: SessionApi | null = null;
  let data: Buffer = Buffer.from('old content\n');
  let retrieved: Buffer = Buffer.alloc(0);
  let hidden = false;
  let done = 0;
  const attr = (ino: number) => {
    if (ino === 1) return { ino, mode: 0o040755, nlink: 2 };
    if (ino === DATA) return { ino, mode: 0o100644, size: data.length };
    if (ino === CTL) return { ino, mode: 0o100222, size: 0 };
    if (ino === RETRIEVED) return { ino, mode: 0o100444, size: retrieved.length };
    if (ino === DONE) return { ino, mode: 0o100444, size: 0 };
    throw new FuseError('ENOENT');
  };
  const names: Record<string, number> = { data: DATA, ctl: CTL, retrieved: RETRIEVED, done: DONE };
  const entry = (ino: number): Entry => ({ ino, attr: attr(ino), entryTimeout: 60, attrTimeout: 60 });
  const later = (f: () => Promise<unknown>): void => {
    // After the WRITE to /ctl has been answered: notifications are never sent from inside a handler's reply path.
    setImmediate(() =>
      void f().then(
        () => done++,
        (e: unknown) => process.stderr.write(`notify failed: ${String(e)}\n`),
      ),
    );
  };
  return {
    init(s) {
      session = s;
    },
    lookup(_c, parent, name) {
      const ino = names[name];
      if (parent !== 1 || ino === undefined || (ino === DATA && hidden)) throw new FuseError('ENOENT');
      return entry(ino);
    },
    getattr: (_c, ino) => ({ attr: attr(ino), attrTimeout: 60 }),
    open: (_c, ino) => ({ fh: ino, keepCache: ino === DATA, directIo: ino === DONE }),
    read(_c, ino, _fh, off, size) {
      const src = ino === DATA ? data : ino === RETRIEVED ? retrieved : ino === DONE ? Buffer.from(String(done)) : Buffer.alloc(0);
      return Buffer.from(src.subarray(Math.min(off, src.length), Math.min(off + size, src.length)));
    },
    setattr: (_c, ino) => attr(ino),
    write(_c, ino, _fh, _off, buf) {
      if (ino !== CTL) throw new FuseError('EACCES');
      const cmd = buf.toString();
      const s = session!;
      if (cmd.startsWith('set ')) {
        data = Buffer.from(cmd.slice(4));
        later(() => s.notifyInvalInode(DATA, 0, 0));
      } else if (cmd.startsWith('store ')) {
        later(() => s.notifyStore(DATA, 0, Buffer.from(cmd.slice(6))));
      } else if (cmd === 'retrieve') {
        later(async () => {
          retrieved = await s.notifyRetrieve(DATA, 0, 4096);
        });
      } else if (cmd === 'hide') {
        hidden = true;
        later(() => s.notifyInvalEntry(1, 'data'));
      } else throw new FuseError('EINVAL');
      return buf.length;
    },
  };
}
