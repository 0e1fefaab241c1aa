/**
 * READ and WRITE on other threads: what a filesystem provides so that data
 * workers (option `workers`, src/server/accel/workers/) can serve its data requests
 * while the main thread serves everything else.
 *
 * A Filesystem object lives on the main thread and cannot be called from a
 * worker, so a filesystem that wants parallel data names a module instead:
 * each worker loads it and calls its `createDataPath(options)` export once.
 * The data path's calls are synchronous (a worker has nothing else to do
 * while a pread runs) and work on the filesystem's handles as the main
 * thread's read/write would: the passthrough's handles are descriptors,
 * which every thread of the process shares. It must give the same results
 * as the filesystem's own read and write, since the kernel hands any READ or
 * WRITE to whichever thread reads it first.
 */

export interface DataPathSpec {
  /** Absolute path of a CommonJS module exporting `createDataPath` (a DataPathFactory). */
  readonly module: string;
  /** Handed to createDataPath in each worker: structured-cloneable data only. */
  readonly options?: unknown;
}

export interface DataPath {
  /**
   * Reads up to `into.length` bytes of handle `fh` at `offset` into `into`.
   * Returns the count (fewer at end of file) or a negative errno.
   */
  read(fh: number, offset: number, into: Buffer): number;
  /**
   * Writes `data` to handle `fh` at `offset`. Returns the count written or a
   * negative errno. `killSuidgid`: as WriteInfo.killSuidgid, which a
   * filesystem with handleKillprivV2 honours here too.
   */
  write(fh: number, offset: number, data: Buffer, killSuidgid: boolean): number;
}

export type DataPathFactory = (options: unknown) => DataPath;
