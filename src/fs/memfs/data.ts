/**
 * The contents of a regular file: sparse, in fixed-size blocks.
 *
 * Only blocks that were written (or allocated by fallocate) exist, in a Map
 * from block index to a BLOCK_SIZE Buffer; a hole is a missing index and
 * reads as zeros. Writing one byte at 1 TiB costs one block, st_blocks
 * counts the blocks that exist, and SEEK_DATA/SEEK_HOLE report them.
 *
 * Invariant: every byte of an existing block at or past `size` is zero
 * (truncation zeroes the tail it cuts off, fallocate beyond EOF allocates
 * zeroed blocks), so growing the size never exposes old data.
 *
 * Memory: a block is its own 4 KiB buffer, or one of the blocks of a run
 * (see allocateRun) sharing one buffer. A run whose blocks are partly freed
 * is compacted (its survivors copied out, the run dropped) at the end of
 * the operation that freed them, so the memory held is always the blocks
 * counted against `size`, never more. Every buffer allocated or dropped is
 * reported to Space.held (docs/memfs-memory.md has the measurements).
 */
import { FuseError } from '../../api/errors';
import { BLOCK_SIZE, MAX_FILE_SIZE } from './constants';

/** Where blocks come from: the filesystem-wide space budget. */
export interface Space {
  /** Takes `n` blocks from the budget; false (taking nothing) when they do not fit. */
  reserve(n: number): boolean;
  release(n: number): void;
  /** File data buffers of `bytes` were allocated (> 0) or dropped (< 0): the memory memfs holds. Optional. */
  held?(bytes: number): void;
}

/** A run of blocks in one buffer: where it starts in the file, how many of its blocks are still in use. */
interface Run {
  first: number;
  live: number;
}

/** Reads that span more blocks than this are copied into one buffer rather than sent as views (IOV_MAX is 1024). */
const MAX_VIEWS = 64;
const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE);
/** Blocks allocated together for one write (see allocateRun). */
const RUN_BLOCKS = 16;

export class FileData {
  size = 0;
  private readonly blocks = new Map<number, Buffer>();
  /** The runs (multi-block buffers) by their ArrayBuffer; a block outside this map is a buffer of its own. */
  private readonly runs = new Map<ArrayBufferLike, Run>();
  /** Runs that lost blocks during the current operation: compacted at its end (see settle). */
  private readonly thinned = new Set<ArrayBufferLike>();

  constructor(private readonly space: Space) {}

  /** Blocks allocated, in 512-byte units as st_blocks counts them. */
  get stBlocks(): number {
    return this.blocks.size * (BLOCK_SIZE / 512);
  }

  get allocatedBlocks(): number {
    return this.blocks.size;
  }

  /** Bytes [offset, offset+length) clipped to the size: short at EOF, empty past it. */
  read(offset: number, length: number): Buffer | Buffer[] {
    const end = Math.min(this.size, offset + length);
    if (offset >= end) return Buffer.alloc(0);
    const pieces: Buffer[] = [];
    for (let pos = offset; pos < end; ) {
      const idx = Math.floor(pos / BLOCK_SIZE);
      const at = pos - idx * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - at, end - pos);
      pieces.push((this.blocks.get(idx) ?? ZERO_BLOCK).subarray(at, at + n));
      pos += n;
    }
    // Views into live blocks are safe: the reply is written before any other request runs (memfs answers synchronously).
    if (pieces.length === 1) return pieces[0]!;
    return pieces.length <= MAX_VIEWS ? pieces : Buffer.concat(pieces, end - offset);
  }

  /**
   * Copies `data` in at `offset`. Returns the bytes written, short when the
   * space budget runs out part way (as write(2) does); ENOSPC when nothing fit.
   */
  write(offset: number, data: Buffer): number {
    if (data.length === 0) return 0;
    if (offset >= MAX_FILE_SIZE) throw new FuseError('EFBIG');
    const end = Math.min(offset + data.length, MAX_FILE_SIZE);
    let pos = offset;
    while (pos < end) {
      const idx = Math.floor(pos / BLOCK_SIZE);
      const at = pos - idx * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - at, end - pos);
      if (at === 0 && n === BLOCK_SIZE && !this.blocks.has(idx)) this.allocateRun(idx, Math.floor((end - pos) / BLOCK_SIZE));
      const block = this.blockForWrite(idx);
      if (!block) break;
      data.copy(block, at, pos - offset, pos - offset + n);
      pos += n;
    }
    const written = pos - offset;
    if (written === 0) throw new FuseError('ENOSPC');
    if (pos > this.size) this.size = pos;
    return written;
  }

  /**
   * Sets the size. Not growing frees the blocks past the new end (blocks
   * fallocate'd past EOF too, as ext4 does) and zeroes the cut-off tail of
   * the last one; growing allocates nothing.
   */
  truncate(newSize: number): void {
    if (newSize > MAX_FILE_SIZE) throw new FuseError('EFBIG');
    if (newSize <= this.size) this.dropFrom(newSize);
    this.size = newSize;
    this.settle();
  }

  /** FALLOC_FL_PUNCH_HOLE|KEEP_SIZE: whole blocks in the range are freed, partial ones zeroed. */
  punchHole(offset: number, length: number): void {
    const end = offset + length;
    const firstWhole = Math.ceil(offset / BLOCK_SIZE);
    const lastWhole = Math.floor(end / BLOCK_SIZE); // exclusive
    if (firstWhole >= lastWhole) {
      // no whole block: one or two partial pieces
      this.forEachBlockIn(offset, end, (idx, at, n) => this.blocks.get(idx)?.fill(0, at, at + n));
      return;
    }
    if (offset < firstWhole * BLOCK_SIZE) this.blocks.get(firstWhole - 1)?.fill(0, offset - (firstWhole - 1) * BLOCK_SIZE);
    if (end > lastWhole * BLOCK_SIZE) this.blocks.get(lastWhole)?.fill(0, 0, end - lastWhole * BLOCK_SIZE);
    // A hole of a terabyte must not cost a loop over every block index in it: walk whichever is smaller.
    if (lastWhole - firstWhole <= this.blocks.size) {
      for (let i = firstWhole; i < lastWhole; i++) this.freeBlock(i);
    } else {
      for (const i of [...this.blocks.keys()]) if (i >= firstWhole && i < lastWhole) this.freeBlock(i);
    }
    this.settle();
  }

  /** fallocate mode 0 / KEEP_SIZE: allocates the missing blocks of the range, all or nothing. */
  allocate(offset: number, length: number, keepSize: boolean): void {
    const end = this.checkRange(offset, length);
    this.reserveMissing(offset, end);
    this.forEachBlockIn(offset, end, (idx) => {
      if (!this.blocks.has(idx)) this.blocks.set(idx, this.newBlock());
    });
    if (!keepSize && end > this.size) this.size = end;
  }

  /** FALLOC_FL_ZERO_RANGE: the range reads as zeros and stays allocated, all or nothing. */
  zeroRange(offset: number, length: number, keepSize: boolean): void {
    const end = this.checkRange(offset, length);
    this.reserveMissing(offset, end);
    this.forEachBlockIn(offset, end, (idx, at, n) => {
      const block = this.blocks.get(idx);
      if (block) block.fill(0, at, at + n);
      else this.blocks.set(idx, this.newBlock());
    });
    if (!keepSize && end > this.size) this.size = end;
  }

  /** lseek SEEK_DATA: the first offset ≥ `offset` inside an allocated block; ENXIO if none before EOF. */
  seekData(offset: number): number {
    if (offset >= this.size) throw new FuseError('ENXIO');
    const from = Math.floor(offset / BLOCK_SIZE);
    let best = Infinity;
    for (const idx of this.blocks.keys()) if (idx >= from && idx < best) best = idx;
    const at = Math.max(offset, best * BLOCK_SIZE);
    if (at >= this.size) throw new FuseError('ENXIO');
    return at;
  }

  /** lseek SEEK_HOLE: the first offset ≥ `offset` in a hole; EOF counts as a hole. ENXIO past EOF. */
  seekHole(offset: number): number {
    if (offset >= this.size) throw new FuseError('ENXIO');
    let idx = Math.floor(offset / BLOCK_SIZE);
    while (idx * BLOCK_SIZE < this.size && this.blocks.has(idx)) idx++;
    return Math.max(offset, Math.min(idx * BLOCK_SIZE, this.size));
  }

  /**
   * copy_file_range: copies up to `length` bytes of `src` from `srcOff` to
   * `dstOff` of this file, keeping holes holes. Same-file ranges must not
   * overlap (the caller checks). Returns the bytes copied: short at the
   * source's EOF or when space runs out.
   */
  copyFrom(src: FileData, srcOff: number, dstOff: number, length: number): number {
    const end = Math.min(src.size, srcOff + length);
    if (srcOff >= end) return 0;
    if (dstOff + (end - srcOff) > MAX_FILE_SIZE) throw new FuseError('EFBIG');
    // Walk the source's allocated blocks in order; the gaps between them are holes, punched in the destination.
    const first = Math.floor(srcOff / BLOCK_SIZE);
    const indices = [...src.blocks.keys()].filter((i) => i >= first && i * BLOCK_SIZE < end).sort((a, b) => a - b);
    let pos = srcOff;
    const hole = (upTo: number): void => {
      if (upTo > pos) this.punchHole(dstOff + (pos - srcOff), upTo - pos);
      pos = Math.max(pos, upTo);
    };
    let stopped = false;
    for (const idx of indices) {
      hole(Math.min(end, idx * BLOCK_SIZE));
      const at = pos - idx * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - at, end - pos);
      let w: number;
      try {
        w = this.write(dstOff + (pos - srcOff), src.blocks.get(idx)!.subarray(at, at + n));
      } catch (e) {
        if (pos > srcOff && e instanceof FuseError && e.code === 'ENOSPC') {
          stopped = true;
          break;
        }
        throw e;
      }
      pos += w;
      if (w < n) {
        stopped = true;
        break;
      }
    }
    if (!stopped) hole(end);
    const done = pos - srcOff;
    if (dstOff + done > this.size) this.size = dstOff + done;
    return done;
  }

  /** Frees every block (the inode is gone). */
  free(): void {
    this.space.release(this.blocks.size);
    const bytes = this.heldBytes;
    this.blocks.clear();
    this.runs.clear();
    this.thinned.clear();
    this.size = 0;
    if (bytes > 0) this.space.held?.(-bytes);
  }

  /** Bytes of buffers this file holds (tests check it against the blocks counted). */
  get heldBytes(): number {
    let bytes = 0;
    for (const b of this.blocks.values()) if (!this.runs.has(b.buffer)) bytes += b.byteLength;
    for (const ab of this.runs.keys()) bytes += ab.byteLength;
    return bytes;
  }

  // ---- internals ------------------------------------------------------------

  private blockForWrite(idx: number): Buffer | null {
    let block = this.blocks.get(idx);
    if (block) return block;
    if (!this.space.reserve(1)) return null;
    block = this.newBlock();
    this.blocks.set(idx, block);
    return block;
  }

  /** A zeroed block of its own; the caller has reserved it. */
  private newBlock(): Buffer {
    this.space.held?.(BLOCK_SIZE);
    return Buffer.alloc(BLOCK_SIZE);
  }

  /**
   * Before a write that covers blocks [idx, idx+count) whole: allocates the
   * missing ones at the start of that run together, in one buffer of up to
   * RUN_BLOCKS blocks, unzeroed since the write fills them. Creating one
   * ArrayBuffer per 4 KiB block costs more than the copy itself; a run
   * costs one. A run that loses some of its blocks is compacted (settle).
   */
  private allocateRun(idx: number, count: number): void {
    let k = 0;
    while (k < Math.min(count, RUN_BLOCKS) && !this.blocks.has(idx + k)) k++;
    if (k < 2 || !this.space.reserve(k)) return;
    const run = Buffer.allocUnsafeSlow(k * BLOCK_SIZE);
    this.space.held?.(run.byteLength);
    this.runs.set(run.buffer, { first: idx, live: k });
    for (let i = 0; i < k; i++) this.blocks.set(idx + i, run.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
  }

  private freeBlock(idx: number): void {
    const b = this.blocks.get(idx);
    if (!b) return;
    this.blocks.delete(idx);
    this.space.release(1);
    const run = this.runs.get(b.buffer);
    if (!run) {
      this.space.held?.(-b.byteLength);
    } else if (--run.live === 0) {
      this.runs.delete(b.buffer);
      this.thinned.delete(b.buffer);
      this.space.held?.(-b.buffer.byteLength);
    } else {
      this.thinned.add(b.buffer);
    }
  }

  /**
   * Compacts the runs that lost blocks and still have some: their survivors
   * are copied into buffers of their own and the run is dropped, so no
   * freed block keeps memory. Runs only at the end of an operation: a
   * truncation that frees whole runs copies nothing.
   */
  private settle(): void {
    for (const ab of this.thinned) {
      const run = this.runs.get(ab);
      if (!run) continue;
      const count = ab.byteLength / BLOCK_SIZE;
      for (let i = run.first; i < run.first + count; i++) {
        const b = this.blocks.get(i);
        if (b?.buffer !== ab) continue;
        const own = Buffer.allocUnsafeSlow(BLOCK_SIZE);
        b.copy(own);
        this.space.held?.(BLOCK_SIZE);
        this.blocks.set(i, own);
      }
      this.runs.delete(ab);
      this.space.held?.(-ab.byteLength);
    }
    this.thinned.clear();
  }

  private checkRange(offset: number, length: number): number {
    if (offset < 0 || length <= 0) throw new FuseError('EINVAL');
    const end = offset + length;
    if (end > MAX_FILE_SIZE) throw new FuseError('EFBIG');
    return end;
  }

  /** Reserves the blocks [offset, end) lacks, or throws ENOSPC having taken none. */
  private reserveMissing(offset: number, end: number): void {
    const first = Math.floor(offset / BLOCK_SIZE);
    const last = Math.ceil(end / BLOCK_SIZE); // exclusive
    let present = 0;
    if (last - first <= this.blocks.size) {
      for (let i = first; i < last; i++) if (this.blocks.has(i)) present++;
    } else {
      for (const i of this.blocks.keys()) if (i >= first && i < last) present++;
    }
    const missing = last - first - present;
    if (missing > 0 && !this.space.reserve(missing)) throw new FuseError('ENOSPC');
  }

  /** Calls f(index, offsetInBlock, bytes) for each block piece of [start, end). */
  private forEachBlockIn(start: number, end: number, f: (idx: number, at: number, n: number) => void): void {
    for (let pos = start; pos < end; ) {
      const idx = Math.floor(pos / BLOCK_SIZE);
      const at = pos - idx * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - at, end - pos);
      f(idx, at, n);
      pos += n;
    }
  }

  /** Frees blocks wholly at or past `offset` and zeroes the rest of the block that holds it. */
  private dropFrom(offset: number): void {
    const keep = Math.ceil(offset / BLOCK_SIZE);
    if (this.blocks.size === 0) return;
    for (const i of [...this.blocks.keys()]) if (i >= keep) this.freeBlock(i);
    const partial = this.blocks.get(Math.floor(offset / BLOCK_SIZE));
    if (partial) partial.fill(0, offset % BLOCK_SIZE);
  }
}
