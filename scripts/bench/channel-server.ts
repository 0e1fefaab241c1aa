/**
 * A hello filesystem served through one request-reading design, for
 * bench-channel.ts:
 *
 *   node dist/scripts/bench/channel-server.js --design D --mnt DIR [--clones N]
 *
 * D: blocking | sigio | threadpool | worker-post | worker-sab | clone | sigio-spin [--spin µs]
 *    | uring-block | uring-spin [--taskrun signal|coop|defer]
 *      (FUSE over io_uring: fuse.enable_uring must be on, channel-uring.ts).
 * Entry and attribute timeouts are 0, so each stat of /hello is a LOOKUP
 * and a GETATTR. Prints "READY <pid>" once mounted; ends when unmounted
 * (the blocking design cannot see signals: its event loop never runs).
 */
import { Worker } from 'node:worker_threads';
import { DeviceChannel, Session, helloFs, mount, type Channel } from '../../src';
import { readBufferSize } from '../../src/internal';
import { UringChannel } from './channel-uring';
import { BlockingChannel, PostChannel, SabChannel, SpinChannel, WORKER_SCRIPT, makeBlocking } from './channel-designs';
import { parseArgs } from './util';

export const DESIGNS = ['blocking', 'sigio', 'threadpool', 'worker-post', 'worker-sab', 'clone', 'sigio-spin', 'uring-block', 'uring-spin'] as const;
export type Design = (typeof DESIGNS)[number];

function main(): void {
  const { flags } = parseArgs(process.argv.slice(2), ['clones', 'design', 'mnt', 'spin', 'taskrun']);
  const design = flags.get('design') as Design | undefined;
  const mnt = flags.get('mnt');
  if (!design || !DESIGNS.includes(design) || !mnt) throw new Error(`usage: channel-server --design ${DESIGNS.join('|')} --mnt DIR [--clones N] [--spin µs] [--taskrun signal|coop|defer]`);
  const m = mount(mnt, { fsname: `chan-${design}`, subtype: 'hello' });
  let channel: Channel;
  switch (design) {
    case 'blocking':
      channel = new BlockingChannel(m.fd);
      break;
    case 'sigio':
      channel = new DeviceChannel(m.fd, { mode: 'sigio', ownsFd: false });
      break;
    case 'threadpool':
      makeBlocking(m.fd);
      channel = new DeviceChannel(m.fd, { mode: 'threadpool', ownsFd: false });
      break;
    case 'worker-post':
      channel = new PostChannel(m.fd);
      break;
    case 'worker-sab':
      channel = new SabChannel(m.fd);
      break;
    case 'clone':
      // The main thread answers INIT, then only the clones' workers read.
      channel = new BlockingChannel(m.fd, 1);
      break;
    case 'sigio-spin':
      channel = new SpinChannel(m.fd, Number(flags.get('spin') ?? 50));
      break;
    case 'uring-block':
    case 'uring-spin':
      channel = new UringChannel(m.fd, design === 'uring-block' ? 'block' : 'spin', (flags.get('taskrun') ?? 'signal') as 'signal' | 'coop' | 'defer');
      break;
  }
  const s = new Session(helloFs(), channel, { entryTimeout: 0, attrTimeout: 0 }).start();
  void s.ended.then((end) => {
    if (end.kind === 'error') process.stderr.write(`channel-server: ${end.error.message}\n`);
    m.close();
    process.exit(0);
  });
  if (design === 'clone') {
    const n = Number(flags.get('clones') ?? 2);
    void s.whenInitialized().then(() => {
      let left = n;
      for (let i = 0; i < n; i++) {
        const w = new Worker(WORKER_SCRIPT, { workerData: { design: 'clone', fd: m.fd, size: readBufferSize(1 << 20), minor: s.minor, flags: s.flags } });
        w.on('error', (e) => process.stderr.write(`clone worker: ${e.message}\n`));
        w.on('exit', () => {
          if (--left === 0) {
            m.close();
            process.exit(0);
          }
        });
      }
      process.stdout.write(`READY ${process.pid}\n`);
    });
  } else if (design === 'blocking' || design.startsWith('uring')) {
    // The loop starts on the next turn and never yields: say READY before it.
    process.stdout.write(`READY ${process.pid}\n`);
  } else {
    void s.whenInitialized().then(() => process.stdout.write(`READY ${process.pid}\n`));
  }
}

main();
