/**
 * The fd-flag and signal half of a fake DeviceIo (src/server/device/device-io.ts):
 * O_ASYNC as fcntl would keep it, and the SIGIO listener the channel installs.
 * Tests extend it with their own read and write.
 */
import { O_ASYNC, O_NONBLOCK } from '../../src/linux/constants';

export class FakeDeviceFlags {
  flags = 0;
  listener: (() => void) | null = null;

  setAsync(_fd: number, on: boolean): void {
    this.flags = on ? this.flags | O_NONBLOCK | O_ASYNC : this.flags & ~O_ASYNC;
  }
  getFlags(): number {
    return this.flags;
  }
  setFlags(_fd: number, flags: number): number {
    this.flags = flags;
    return 0;
  }
  onSignal(listener: () => void): void {
    this.listener = listener;
  }
  offSignal(): void {
    this.listener = null;
  }
}
