/**
 * The C clients of the benchmarks, compiled with gcc at run time into a
 * temporary directory. They are C, not Node, so that what is measured is
 * the filesystem and not a client's event loop or its thread-pool hops:
 * one syscall per operation, timed with clock_gettime around it.
 *
 *   statloop PATH SECONDS        statx(AT_STATX_FORCE_SYNC) of one file in a
 *                                tight loop: the request round trip
 *   preadloop PATH SECONDS       4 KiB preads of an open file in a tight loop,
 *                                walking its first MiB (open it direct_io so
 *                                that each is a READ): the data round trip
 *   seqio write|read PATH MIB BS_KIB DIRECT DEADLINE_S
 *                                sequential I/O in BS_KIB blocks, stopping at
 *                                MIB or the deadline; write ends with fsync
 *   meta DIR N all|create        create (open O_CREAT|O_EXCL + close), stat,
 *                                unlink of N files, each phase timed
 *   soakclient DIR NOPS SEED OUT [DEADLINE_S]
 *                                a weighted mix of syscalls, the end time and
 *                                latency of each written to OUT
 *
 * Every program prints one JSON object on stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { runOk } from './util';

const COMMON = String.raw`
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, const char *arg) {
  fprintf(stderr, "%s %s: %s\n", what, arg, strerror(errno));
  exit(1);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}
`;

const STATLOOP = String.raw`
/* statloop PATH SECONDS: statx with AT_STATX_FORCE_SYNC, so that every call
   reaches the server (a GETATTR, plus a LOOKUP when entry_timeout is 0),
   whatever the attribute cache holds. 0.2 s of warm-up first. */
int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: statloop PATH SECONDS\n"); return 2; }
  const char *p = argv[1];
  double secs = atof(argv[2]);
  struct statx stx;
  uint64_t warm_end = now_ns() + 200000000ull;
  while (now_ns() < warm_end)
    if (statx(AT_FDCWD, p, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx) != 0) die("statx", p);
  size_t cap = 1 << 20, n = 0;
  uint32_t *lat = malloc(cap * sizeof *lat);
  uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9), t = start;
  while (t < end) {
    uint64_t t0 = t;
    if (statx(AT_FDCWD, p, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &stx) != 0) die("statx", p);
    t = now_ns();
    if (n == cap) { cap *= 2; lat = realloc(lat, cap * sizeof *lat); }
    lat[n++] = (uint32_t)(t - t0 > 0xffffffffull ? 0xffffffffull : t - t0);
  }
  double total = (double)(t - start);
  qsort(lat, n, sizeof *lat, cmp_u32);
  printf("{\"calls\":%zu,\"mean_us\":%.4f,\"p50_us\":%.4f,\"p99_us\":%.4f}\n", n, total / n / 1000.0,
         lat[n / 2] / 1000.0, lat[(size_t)(n * 0.99)] / 1000.0);
  return 0;
}
`;

const PREADLOOP = String.raw`
/* preadloop PATH SECONDS: 4 KiB preads walking the first MiB of PATH (the
   filesystem opens it direct_io, so that each one is a READ). 0.2 s of
   warm-up first. */
int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: preadloop PATH SECONDS\n"); return 2; }
  const char *p = argv[1];
  double secs = atof(argv[2]);
  static char buf[4096];
  int fd = open(p, O_RDONLY);
  if (fd < 0) die("open", p);
  uint64_t i = 0;
  uint64_t warm_end = now_ns() + 200000000ull;
  while (now_ns() < warm_end)
    if (pread(fd, buf, sizeof buf, (off_t)(i++ & 255) * 4096) != sizeof buf) die("pread", p);
  size_t cap = 1 << 20, n = 0;
  uint32_t *lat = malloc(cap * sizeof *lat);
  uint64_t start = now_ns(), end = start + (uint64_t)(secs * 1e9), t = start;
  while (t < end) {
    uint64_t t0 = t;
    if (pread(fd, buf, sizeof buf, (off_t)(i++ & 255) * 4096) != sizeof buf) die("pread", p);
    t = now_ns();
    if (n == cap) { cap *= 2; lat = realloc(lat, cap * sizeof *lat); }
    lat[n++] = (uint32_t)(t - t0 > 0xffffffffull ? 0xffffffffull : t - t0);
  }
  double total = (double)(t - start);
  close(fd);
  qsort(lat, n, sizeof *lat, cmp_u32);
  printf("{\"calls\":%zu,\"mean_us\":%.4f,\"p50_us\":%.4f,\"p99_us\":%.4f}\n", n, total / n / 1000.0,
         lat[n / 2] / 1000.0, lat[(size_t)(n * 0.99)] / 1000.0);
  return 0;
}
`;

const SEQIO = String.raw`
/* seqio write|read PATH MIB BS_KIB DIRECT DEADLINE_S. The write is timed
   from open to after fsync and close, so that a writeback cache is not
   credited with data it has not written yet. */
int main(int argc, char **argv) {
  if (argc < 7) { fprintf(stderr, "usage: seqio write|read PATH MIB BS_KIB DIRECT DEADLINE_S\n"); return 2; }
  int wr = strcmp(argv[1], "write") == 0;
  const char *p = argv[2];
  uint64_t limit = (uint64_t)atoll(argv[3]) << 20;
  size_t bs = (size_t)atoll(argv[4]) << 10;
  int direct = atoi(argv[5]);
  uint64_t deadline = (uint64_t)(atof(argv[6]) * 1e9);
  void *buf;
  if (posix_memalign(&buf, 4096, bs)) die("posix_memalign", "");
  memset(buf, 0x5a, bs);
  int flags = (wr ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | (direct ? O_DIRECT : 0);
  uint64_t t0 = now_ns(), done = 0;
  int fd = open(p, flags, 0644);
  if (fd < 0) die("open", p);
  while (done < limit && now_ns() - t0 < deadline) {
    ssize_t n = wr ? write(fd, buf, bs) : read(fd, buf, bs);
    if (n < 0) die(wr ? "write" : "read", p);
    if (n == 0) break;
    done += (uint64_t)n;
  }
  if (wr && fsync(fd) != 0) die("fsync", p);
  if (close(fd) != 0) die("close", p);
  double s = (now_ns() - t0) / 1e9;
  printf("{\"bytes\":%llu,\"seconds\":%.6f}\n", (unsigned long long)done, s);
  return 0;
}
`;

const META = String.raw`
/* meta DIR N all|create: N files created (open O_CREAT|O_EXCL, close),
   stat-ed, unlinked, in that order, each phase timed. "create" stops after
   the first phase (it populates a directory for ls -l). */
int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: meta DIR N all|create\n"); return 2; }
  const char *d = argv[1];
  int n = atoi(argv[2]);
  int all = strcmp(argv[3], "all") == 0;
  char name[4096];
  struct stat st;
  if (mkdir(d, 0755) != 0 && errno != EEXIST) die("mkdir", d);
  uint64_t t0 = now_ns();
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "%s/f%06d", d, i);
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) die("create", name);
    close(fd);
  }
  uint64_t t1 = now_ns();
  if (!all) { printf("{\"create\":%.6f}\n", (t1 - t0) / 1e9); return 0; }
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "%s/f%06d", d, i);
    if (stat(name, &st) != 0) die("stat", name);
  }
  uint64_t t2 = now_ns();
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "%s/f%06d", d, i);
    if (unlink(name) != 0) die("unlink", name);
  }
  uint64_t t3 = now_ns();
  if (rmdir(d) != 0) die("rmdir", d);
  printf("{\"create\":%.6f,\"stat\":%.6f,\"unlink\":%.6f}\n", (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
  return 0;
}
`;

const SOAKCLIENT = String.raw`
/* soakclient DIR NOPS SEED OUT [DEADLINE_S]: NOPS syscalls (or as many as
   fit before the deadline) on DIR in a weighted mix
   (stat, negative lookup, open/pread/close, open/pwrite/close, a directory
   listing, create/close/unlink), over 64 files of 64 KiB it creates first
   (not counted). Each syscall's end time (CLOCK_MONOTONIC, ns) and latency
   go to OUT: uint64 count, then count uint64 end times, then count uint32
   latencies. The working set is fixed, so a server whose memory grows is
   leaking, not caching. */
#define NFILES 64
static uint64_t *ends; static uint32_t *lats; static size_t n, max;
static uint64_t tstart;
#define REC(call) do { uint64_t _t0 = now_ns(); long _r = (long)(call); uint64_t _t1 = now_ns(); \
  if (_r < 0 && errno != ENOENT) die(#call, dir); \
  if (n < max) { ends[n] = _t1; lats[n] = (uint32_t)(_t1 - _t0 > 0xffffffffull ? 0xffffffffull : _t1 - _t0); n++; } } while (0)
static uint64_t rng;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)rng; }

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: soakclient DIR NOPS SEED OUT [DEADLINE_S]\n"); return 2; }
  double deadline_s = argc > 5 ? atof(argv[5]) : 0;
  const char *dir = argv[1];
  max = (size_t)atoll(argv[2]);
  rng = (uint64_t)atoll(argv[3]) * 0x9E3779B97F4A7C15ull + 1;
  ends = malloc(max * sizeof *ends); lats = malloc(max * sizeof *lats);
  char p[4096], q[4096];
  static char buf[65536];
  memset(buf, 0x33, sizeof buf);
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) die("mkdir", dir);
  for (int i = 0; i < NFILES; i++) {
    snprintf(p, sizeof p, "%s/f%02d", dir, i);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf) die("prepare", p);
    close(fd);
  }
  tstart = now_ns();
  uint64_t stop_at = deadline_s > 0 ? tstart + (uint64_t)(deadline_s * 1e9) : UINT64_MAX;
  struct stat st; int fd; unsigned seq = 0; unsigned long iter = 0;
  while (n < max && ((++iter & 255) != 0 || now_ns() < stop_at)) {
    uint32_t r = rnd() % 100, f = rnd() % NFILES;
    off_t off = (off_t)(rnd() % 16) * 4096;
    snprintf(p, sizeof p, "%s/f%02d", dir, f);
    if (r < 30) {
      REC(stat(p, &st));
    } else if (r < 40) {
      snprintf(q, sizeof q, "%s/missing%u", dir, rnd() % 1000);
      REC(stat(q, &st));
    } else if (r < 60) {
      REC(fd = open(p, O_RDONLY));
      if (fd >= 0) { REC(pread(fd, buf, 4096, off)); REC(close(fd)); }
    } else if (r < 75) {
      REC(fd = open(p, O_WRONLY));
      if (fd >= 0) { REC(pwrite(fd, buf, 4096, off)); REC(close(fd)); }
    } else if (r < 85) {
      DIR *dp; struct dirent *de;
      uint64_t t0 = now_ns();
      dp = opendir(dir);
      if (!dp) die("opendir", dir);
      while ((de = readdir(dp)) != NULL) {}
      closedir(dp);
      uint64_t t1 = now_ns();
      /* opendir, getdents (x2), closedir: recorded as one entry per syscall, the time split evenly. */
      for (int k = 0; k < 4 && n < max; k++) { ends[n] = t1; lats[n] = (uint32_t)((t1 - t0) / 4); n++; }
    } else {
      snprintf(q, sizeof q, "%s/new%u", dir, seq++);
      REC(fd = open(q, O_WRONLY | O_CREAT | O_EXCL, 0644));
      if (fd >= 0) REC(close(fd));
      REC(unlink(q));
    }
  }
  FILE *o = fopen(argv[4], "wb");
  if (!o) die("fopen", argv[4]);
  uint64_t cnt = n;
  fwrite(&cnt, sizeof cnt, 1, o); fwrite(ends, sizeof *ends, n, o); fwrite(lats, sizeof *lats, n, o);
  fclose(o);
  for (int i = 0; i < NFILES; i++) { snprintf(p, sizeof p, "%s/f%02d", dir, i); unlink(p); }
  rmdir(dir);
  printf("{\"ops\":%zu,\"seconds\":%.3f}\n", n, (now_ns() - tstart) / 1e9);
  return 0;
}
`;

export const PROGRAMS = { statloop: STATLOOP, preadloop: PREADLOOP, seqio: SEQIO, meta: META, soakclient: SOAKCLIENT } as const;
export type Program = keyof typeof PROGRAMS;

/** Compiles the named programs into `dir`; returns their paths. */
export function compileTools<P extends Program>(dir: string, names: readonly P[]): Record<P, string> {
  const out = {} as Record<P, string>;
  for (const name of names) {
    const src = path.join(dir, `${name}.c`);
    const bin = path.join(dir, name);
    fs.writeFileSync(src, COMMON + PROGRAMS[name]);
    runOk('gcc', ['-O2', '-Wall', '-o', bin, src]);
    out[name] = bin;
  }
  return out;
}

/**
 * libfuse 3's own low-level passthrough (example/passthrough_ll.c), as
 * Debian ships it in libfuse3-dev's examples: the C low-level passthrough
 * the performance targets are stated against. Compiled, not copied.
 */
export const PASSTHROUGH_LL_SOURCE = '/usr/share/doc/libfuse3-dev/examples/passthrough_ll.c';

export function compilePassthroughLl(dir: string): string {
  const bin = path.join(dir, 'passthrough_ll');
  const flags = runOk('pkg-config', ['--cflags', '--libs', 'fuse3']).trim().split(/\s+/);
  runOk('gcc', ['-O2', '-w', `-I${path.dirname(PASSTHROUGH_LL_SOURCE)}`, '-o', bin, PASSTHROUGH_LL_SOURCE, ...flags, '-lpthread']);
  return bin;
}

export const HELLO_LL_SOURCE = '/usr/share/doc/libfuse3-dev/examples/hello_ll.c';

/**
 * libfuse 3's example/hello_ll.c with its 1 s timeouts set to 0, so that
 * every statx reaches it as LOOKUP + GETATTR, as it does devfuse's servers
 * in bench-async: the C floor of a round trip on this kernel.
 */
export function compileHelloLl(dir: string): string {
  const src = path.join(dir, 'hello_ll0.c');
  fs.writeFileSync(src, fs.readFileSync(HELLO_LL_SOURCE, 'utf8').replace(/\b1\.0\b/g, '0.0'));
  const bin = path.join(dir, 'hello_ll0');
  const flags = runOk('pkg-config', ['--cflags', '--libs', 'fuse3']).trim().split(/\s+/);
  runOk('gcc', ['-O2', '-w', '-o', bin, src, ...flags]);
  return bin;
}
