/**
 * The data of a big WRITE left in the channel's splice pipe, as a
 * filesystem's `writeSpliced` receives it (libfuse's write_buf). The
 * server side that produces it is src/server's splice acceleration.
 */
/**
 * WRITE data still in the pipe it was spliced into. A filesystem takes it
 * exactly once, before its write handler returns (the pipe serves the next
 * request): into a file with spliceTo, or as a Buffer with read.
 */
export interface SplicedData {
  /** The number of bytes (fuse_write_in.size). */
  readonly size: number;
  /** Moves all the bytes into `fd` at `offset` (splice(2), no copy through JavaScript); returns how many. */
  spliceTo(fd: number, offset: number): number;
  /** The bytes, read out of the pipe. */
  read(): Buffer;
  /** Taken already (by spliceTo or read). */
  readonly consumed: boolean;
}
