/**
 * The codec's layouts and constants against the C compiler's view of the
 * real header.
 *
 * 1. A probe file, one line per item the codec declares (struct, field,
 *    constant), is compiled against the system's <linux/fuse.h>: the lines
 *    that fail name the items this header lacks. (Not the minor version
 *    alone: Debian's 7.38 header lacks fuse_supp_groups, which the kernel
 *    added later under the same minor.)
 * 2. A C program generated from the codec's own field lists (ALL_STRUCTS)
 *    and constant tables prints, for every item the header has, sizeof of
 *    the struct, offsetof, sizeof and C type of each field (padding
 *    included, under its C name), and each constant's value.
 * 3. Every item the header lacks must be pinned below from the kernel's
 *    published 7.45 header, and is checked against the pin; where the
 *    header has a pinned item, the pin is checked against it too.
 *
 * Also: every FUSE_/FOPEN_/FATTR_/CUSE_ name of the header is mirrored,
 * Errno against <errno.h>, DirentType against <dirent.h>.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  ALL_STRUCTS, AttrFlags, CompatSize, CUSE_INIT_INFO_MAX, CuseInitFlags, DEV_IOC_MAGIC, DevIoctl, Dirent, Direntplus,
  DirentType, direntAlign, Errno, ExtType, FattrFlags, FopenFlags, FsyncFlags, GetattrFlags, INIT_DIRECT_IO_RELAX,
  InitFlags, INVALID_UIDGID, IoctlFlags, IOCTL_MAX_IOV, KERNEL_MINOR_VERSION, KERNEL_VERSION, LkFlags, MIN_READ_BUFFER,
  NotifyCode, NotifyInvalEntryFlags, Opcode, OpenInFlags, PollFlags, ReadFlags, ReleaseFlags, ROOT_ID, SetupmappingFlags,
  SetxattrFlags, UNIQUE_RESEND, URING_IN_OUT_HEADER_SZ, URING_OP_IN_OUT_SZ, UringCmd, WriteFlags,
  type FieldInfo,
} from '../../src/protocol';

const INSTALL_HINT = 'run scripts/install-deps.sh (it installs gcc, libc6-dev and linux-libc-dev)';
/** The oldest system header the pins below complete: they pin everything added after 7.38. */
const BASELINE_MINOR = 38;

// ---------------------------------------------------------------------------
// Fields whose name an older header has in another form: the minor in which
// they took the form the codec declares. Below it they count as absent (and
// the pin applies); a test checks the old form really differs.

const RELAID: Record<string, number> = {
  'fuse_init_out.unused': 43, // uint32_t unused[7] at 36 before, uint16_t unused[11] at 42 since
};

// ---------------------------------------------------------------------------
// Pins from the kernel's include/uapi/linux/fuse.h at 7.45: everything added
// after 7.38, and the supplementary-group extension, which the changelog
// puts in 7.38 but which came in Linux 6.3 under the same minor, after the
// 6.1 header Debian ships as 7.38.

/** A field as C sees it: offset, size, and its type (u8..i64 for integers, 'pad' for arrays, or the nested struct's tag). */
type PinField = readonly [name: string, offset: number, size: number, type: string];
interface PinStruct {
  size: number;
  fields: readonly PinField[];
}

const PINNED_STRUCTS: Record<string, PinStruct> = {
  fuse_sx_time: { size: 16, fields: [['tv_sec', 0, 8, 'i64'], ['tv_nsec', 8, 4, 'u32'], ['__reserved', 12, 4, 'i32']] },
  fuse_statx: {
    size: 256,
    fields: [
      ['mask', 0, 4, 'u32'], ['blksize', 4, 4, 'u32'], ['attributes', 8, 8, 'u64'], ['nlink', 16, 4, 'u32'],
      ['uid', 20, 4, 'u32'], ['gid', 24, 4, 'u32'], ['mode', 28, 2, 'u16'], ['__spare0', 30, 2, 'pad'],
      ['ino', 32, 8, 'u64'], ['size', 40, 8, 'u64'], ['blocks', 48, 8, 'u64'], ['attributes_mask', 56, 8, 'u64'],
      ['atime', 64, 16, 'fuse_sx_time'], ['btime', 80, 16, 'fuse_sx_time'], ['ctime', 96, 16, 'fuse_sx_time'],
      ['mtime', 112, 16, 'fuse_sx_time'], ['rdev_major', 128, 4, 'u32'], ['rdev_minor', 132, 4, 'u32'],
      ['dev_major', 136, 4, 'u32'], ['dev_minor', 140, 4, 'u32'], ['__spare2', 144, 112, 'pad'],
    ],
  },
  fuse_statx_in: {
    size: 24,
    fields: [['getattr_flags', 0, 4, 'u32'], ['reserved', 4, 4, 'u32'], ['fh', 8, 8, 'u64'], ['sx_flags', 16, 4, 'u32'], ['sx_mask', 20, 4, 'u32']],
  },
  fuse_statx_out: {
    size: 288,
    fields: [['attr_valid', 0, 8, 'u64'], ['attr_valid_nsec', 8, 4, 'u32'], ['flags', 12, 4, 'u32'], ['spare', 16, 16, 'pad'], ['stat', 32, 256, 'fuse_statx']],
  },
  fuse_backing_map: { size: 16, fields: [['fd', 0, 4, 'i32'], ['flags', 4, 4, 'u32'], ['padding', 8, 8, 'u64']] },
  fuse_uring_ent_in_out: {
    size: 32,
    fields: [['flags', 0, 8, 'u64'], ['commit_id', 8, 8, 'u64'], ['payload_sz', 16, 4, 'u32'], ['padding', 20, 4, 'u32'], ['reserved', 24, 8, 'u64']],
  },
  fuse_uring_req_header: {
    size: 288,
    fields: [['in_out', 0, 128, 'pad'], ['op_in', 128, 128, 'pad'], ['ring_ent_in_out', 256, 32, 'fuse_uring_ent_in_out']],
  },
  fuse_uring_cmd_req: { size: 24, fields: [['flags', 0, 8, 'u64'], ['commit_id', 8, 8, 'u64'], ['qid', 16, 2, 'u16'], ['padding', 18, 6, 'pad']] },
  fuse_supp_groups: { size: 4, fields: [['nr_groups', 0, 4, 'u32']] }, // then uint32_t groups[]
  fuse_copy_file_range_out: { size: 8, fields: [['bytes_copied', 0, 8, 'u64']] },
  fuse_notify_prune_out: { size: 16, fields: [['count', 0, 4, 'u32'], ['padding', 4, 4, 'u32'], ['spare', 8, 8, 'u64']] },
};

/** Fields added to (or relaid in) structs the baseline header already has. */
const PINNED_FIELDS: Record<string, PinField> = {
  'fuse_open_out.backing_id': ['backing_id', 12, 4, 'i32'],
  'fuse_init_out.max_stack_depth': ['max_stack_depth', 36, 4, 'u32'],
  'fuse_init_out.request_timeout': ['request_timeout', 40, 2, 'u16'],
  'fuse_init_out.unused': ['unused', 42, 22, 'pad'],
};

/** Constants newer than the baseline header, by C name. */
const PINNED_CONSTANTS: Record<string, bigint> = {
  FUSE_KERNEL_MINOR_VERSION: 45n,
  FUSE_STATX: 52n,
  FUSE_COPY_FILE_RANGE_64: 53n,
  FUSE_NOTIFY_RESEND: 7n,
  FUSE_NOTIFY_INC_EPOCH: 8n,
  FUSE_NOTIFY_PRUNE: 9n,
  FUSE_EXT_GROUPS: 32n,
  FUSE_CREATE_SUPP_GROUP: 1n << 34n,
  FUSE_DIRECT_IO_ALLOW_MMAP: 1n << 36n,
  FUSE_DIRECT_IO_RELAX: 1n << 36n,
  FUSE_PASSTHROUGH: 1n << 37n,
  FUSE_NO_EXPORT_SUPPORT: 1n << 38n,
  FUSE_HAS_RESEND: 1n << 39n,
  FUSE_ALLOW_IDMAP: 1n << 40n,
  FUSE_OVER_IO_URING: 1n << 41n,
  FUSE_REQUEST_TIMEOUT: 1n << 42n,
  FOPEN_PASSTHROUGH: 1n << 7n,
  FUSE_UNIQUE_RESEND: 1n << 63n,
  FUSE_INVALID_UIDGID: 0xffffffffn,
  FUSE_URING_IN_OUT_HEADER_SZ: 128n,
  FUSE_URING_OP_IN_OUT_SZ: 128n,
  FUSE_IO_URING_CMD_INVALID: 0n,
  FUSE_IO_URING_CMD_REGISTER: 1n,
  FUSE_IO_URING_CMD_COMMIT_AND_FETCH: 2n,
  FUSE_DEV_IOC_BACKING_OPEN: 0x4010e501n, // _IOW(229, 1, struct fuse_backing_map)
  FUSE_DEV_IOC_BACKING_CLOSE: 0x4004e502n, // _IOW(229, 2, uint32_t)
  FUSE_DEV_IOC_SYNC_INIT: 0xe503n, // _IO(229, 3)
};

/** Fields the codec declares signed on purpose where the header says unsigned (the kernel keeps them in time64_t or loff_t). */
const DELIBERATELY_SIGNED = new Set([
  'fuse_attr.atime', 'fuse_attr.mtime', 'fuse_attr.ctime',
  'fuse_setattr_in.atime', 'fuse_setattr_in.mtime', 'fuse_setattr_in.ctime',
  'fuse_file_lock.start', 'fuse_file_lock.end', // loff_t
]);

/** Header macros the codec does not mirror as constants, and why. */
const NOT_MIRRORED: Record<string, string> = {
  FUSE_WRITE_KILL_PRIV: 'obsolete alias of FUSE_WRITE_KILL_SUIDGID',
  FUSE_REC_ALIGN: 'direntAlign()',
  FUSE_DIRENT_ALIGN: 'direntAlign()',
  FUSE_DIRENT_SIZE: 'direntAlign(Dirent.size + namelen)',
  FUSE_DIRENTPLUS_SIZE: 'direntAlign(Direntplus.size + namelen)',
  FUSE_NAME_OFFSET: 'Dirent.size (checked below)',
  FUSE_NAME_OFFSET_DIRENTPLUS: 'Direntplus.size (checked below)',
  FUSE_REMOVEMAPPING_MAX_ENTRY: 'uses the kernel-only PAGE_SIZE; DAX only',
  FUSE_NOTIFY_CODE_MAX: 'kernel-internal bound (removed in 7.45)',
};

// ---------------------------------------------------------------------------
// The constant tables, as C names → codec values.

type Consts = Record<string, number | bigint>;

function enumValues(e: object): Consts {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number')) as Consts;
}

function prefixed(prefix: string, values: Consts, rename: Record<string, string> = {}): Map<string, number | bigint> {
  return new Map(Object.entries(values).map(([k, v]) => [rename[k] ?? prefix + k, v]));
}

const CONSTANT_GROUPS: Record<string, Map<string, number | bigint>> = {
  Opcode: prefixed('FUSE_', enumValues(Opcode), { CUSE_INIT: 'CUSE_INIT', CUSE_INIT_BSWAP_RESERVED: 'CUSE_INIT_BSWAP_RESERVED' }),
  NotifyCode: prefixed('FUSE_NOTIFY_', enumValues(NotifyCode)),
  InitFlags: prefixed('FUSE_', InitFlags),
  CuseInitFlags: prefixed('CUSE_', CuseInitFlags),
  FattrFlags: prefixed('FATTR_', FattrFlags),
  FopenFlags: prefixed('FOPEN_', FopenFlags),
  ReleaseFlags: prefixed('FUSE_RELEASE_', ReleaseFlags),
  GetattrFlags: prefixed('FUSE_GETATTR_', GetattrFlags),
  LkFlags: prefixed('FUSE_LK_', LkFlags),
  WriteFlags: prefixed('FUSE_WRITE_', WriteFlags),
  ReadFlags: prefixed('FUSE_READ_', ReadFlags),
  IoctlFlags: prefixed('FUSE_IOCTL_', IoctlFlags),
  PollFlags: prefixed('FUSE_POLL_', PollFlags),
  FsyncFlags: prefixed('FUSE_FSYNC_', FsyncFlags),
  AttrFlags: prefixed('FUSE_ATTR_', AttrFlags),
  OpenInFlags: prefixed('FUSE_OPEN_', OpenInFlags),
  SetxattrFlags: prefixed('FUSE_SETXATTR_', SetxattrFlags),
  NotifyInvalEntryFlags: prefixed('FUSE_', NotifyInvalEntryFlags),
  ExtType: prefixed('FUSE_', ExtType, { GROUPS: 'FUSE_EXT_GROUPS' }),
  SetupmappingFlags: prefixed('FUSE_SETUPMAPPING_FLAG_', SetupmappingFlags),
  CompatSize: prefixed('FUSE_COMPAT_', CompatSize, {
    ENTRY_OUT: 'FUSE_COMPAT_ENTRY_OUT_SIZE', ATTR_OUT: 'FUSE_COMPAT_ATTR_OUT_SIZE', MKNOD_IN: 'FUSE_COMPAT_MKNOD_IN_SIZE',
    WRITE_IN: 'FUSE_COMPAT_WRITE_IN_SIZE', STATFS: 'FUSE_COMPAT_STATFS_SIZE', SETXATTR_IN: 'FUSE_COMPAT_SETXATTR_IN_SIZE',
    INIT_OUT: 'FUSE_COMPAT_INIT_OUT_SIZE', INIT_OUT_22: 'FUSE_COMPAT_22_INIT_OUT_SIZE',
  }),
  UringCmd: prefixed('FUSE_IO_URING_CMD_', enumValues(UringCmd)),
  DevIoctl: prefixed('FUSE_DEV_IOC_', DevIoctl),
  scalars: new Map<string, number | bigint>([
    ['FUSE_KERNEL_VERSION', KERNEL_VERSION],
    ['FUSE_KERNEL_MINOR_VERSION', KERNEL_MINOR_VERSION],
    ['FUSE_ROOT_ID', ROOT_ID],
    ['FUSE_MIN_READ_BUFFER', MIN_READ_BUFFER],
    ['FUSE_IOCTL_MAX_IOV', IOCTL_MAX_IOV],
    ['CUSE_INIT_INFO_MAX', CUSE_INIT_INFO_MAX],
    ['FUSE_UNIQUE_RESEND', UNIQUE_RESEND],
    ['FUSE_INVALID_UIDGID', INVALID_UIDGID],
    ['FUSE_DIRECT_IO_RELAX', INIT_DIRECT_IO_RELAX],
    ['FUSE_URING_IN_OUT_HEADER_SZ', URING_IN_OUT_HEADER_SZ],
    ['FUSE_URING_OP_IN_OUT_SZ', URING_OP_IN_OUT_SZ],
    ['FUSE_DEV_IOC_MAGIC', DEV_IOC_MAGIC],
  ]),
};

// ---------------------------------------------------------------------------
// C generation

type Struct = (typeof ALL_STRUCTS)[number];
const PRIM_C: Record<string, string> = { u8: 'u8', u16: 'u16', u32: 'u32', i32: 'i32', u64: 'u64', i64: 'i64', u64big: 'u64' };

/** The C type the codec's declaration stands for. */
function expectedCType(s: Struct, f: FieldInfo): string {
  if (f.type === 'pad') return 'pad';
  if (f.type === 'struct') return f.struct!.cName;
  if (DELIBERATELY_SIGNED.has(`${s.cName}.${f.name}`)) return 'u64';
  return PRIM_C[f.type]!;
}

const C_PRELUDE = `#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <dirent.h>
#include <linux/ioctl.h>
#include <linux/fuse.h>
`;

/** Everything the codec declares that the header may or may not have: struct tags, "struct.field" and constant names. */
function allItems(): string[] {
  const items: string[] = [];
  for (const s of ALL_STRUCTS) items.push(s.cName, ...s.fields.map((f) => `${s.cName}.${f.name}`));
  for (const group of Object.values(CONSTANT_GROUPS)) for (const cName of group.keys()) if (!items.includes(cName)) items.push(cName);
  return items;
}

function member(sName: string, fName: string): string {
  return `((struct ${sName} *)0)->${fName}`;
}

/**
 * The existence probe: one line per item, written without macros of our own
 * so that gcc reports an absent item on its own line. The lines that fail
 * to compile name the items the header lacks.
 */
function generateProbe(items: readonly string[]): { source: string; lines: Map<number, string> } {
  const out = C_PRELUDE.split('\n');
  const lines = new Map<number, string>();
  for (const item of items) {
    const [sName, fName] = item.split('.');
    const expr = fName !== undefined ? `sizeof(${member(sName!, fName)})` : /^(fuse_|cuse_)/.test(item) ? `sizeof(struct ${item})` : `sizeof(${item})`;
    out.push(`_Static_assert(${expr} > 0, "${item}");`);
    lines.set(out.length, item);
  }
  return { source: out.join('\n') + '\n', lines };
}

/** The program that prints the header's view of every item it has. */
function generateProgram(present: ReadonlySet<string>): string {
  let c = C_PRELUDE;
  c += '#define KIND(e) _Generic((e), uint8_t: "u8", uint16_t: "u16", uint32_t: "u32", int32_t: "i32", uint64_t: "u64", int64_t: "i64", default: "other")\n';
  c += 'int main(void) {\n';
  c += 'printf("V\\t%d\\n", FUSE_KERNEL_MINOR_VERSION);\n';
  for (const s of ALL_STRUCTS) {
    if (!present.has(s.cName)) continue;
    c += `printf("S\\t${s.cName}\\t%zu\\n", sizeof(struct ${s.cName}));\n`;
    for (const f of s.fields) {
      if (!present.has(`${s.cName}.${f.name}`)) continue;
      const m = member(s.cName, f.name);
      let type: string;
      if (f.type === 'pad') type = '"pad"';
      else if (f.type === 'struct') type = `(__builtin_types_compatible_p(__typeof__(${m}), struct ${f.struct!.cName}) ? "${f.struct!.cName}" : "other")`;
      else type = `KIND(${m})`;
      c += `printf("F\\t${s.cName}\\t${f.name}\\t%zu\\t%zu\\t%s\\n", offsetof(struct ${s.cName}, ${f.name}), sizeof(${m}), ${type});\n`;
    }
  }
  for (const group of Object.values(CONSTANT_GROUPS)) {
    for (const cName of group.keys()) {
      // (1 << 31) is a negative int in C: read 32-bit constants as uint32_t.
      const value = `(sizeof(${cName}) == 4 ? (unsigned long long)(uint32_t)(${cName}) : (unsigned long long)(${cName}))`;
      if (present.has(cName)) c += `printf("C\\t${cName}\\t%llu\\n", ${value});\n`;
    }
  }
  for (const name of Object.keys(Errno)) c += `#ifdef ${name}\nprintf("E\\t${name}\\t%d\\n", ${name});\n#endif\n`;
  for (const name of Object.keys(DirentType)) c += `printf("D\\t${name}\\t%d\\n", DT_${name});\n`;
  c += 'printf("M\\tFUSE_NAME_OFFSET\\t%zu\\n", (size_t)FUSE_NAME_OFFSET);\n';
  c += 'printf("M\\tFUSE_NAME_OFFSET_DIRENTPLUS\\t%zu\\n", (size_t)FUSE_NAME_OFFSET_DIRENTPLUS);\n';
  c += 'for (unsigned long x = 0; x <= 64; x++) printf("A\\t%lu\\t%lu\\n", x, (unsigned long)FUSE_REC_ALIGN(x));\n';
  c += 'return 0;\n}\n';
  return c;
}

// ---------------------------------------------------------------------------
// Compile and run

interface CField {
  offset: number;
  size: number;
  type: string;
}

interface CView {
  minor: number;
  /** Items the header lacks (by name), from the probe. */
  absent: Set<string>;
  structs: Map<string, number>;
  fields: Map<string, CField>;
  /** RELAID fields in the older form this header has them. */
  oldForm: Map<string, CField>;
  constants: Map<string, bigint>;
  errnos: Map<string, number>;
  dtypes: Map<string, number>;
  misc: Map<string, number>;
  align: Map<number, number>;
  /** Macros with the header's prefixes, from gcc -dM. */
  macros: Set<string>;
  /** Enum members of the header text. */
  enumMembers: Set<string>;
}

function run(cmd: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    assert.fail(code === 'ENOENT' ? `${cmd} not found: ${INSTALL_HINT}` : `${cmd}: ${r.error.message}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function collect(dir: string): CView {
  fs.writeFileSync(path.join(dir, 'has.c'), '#include <linux/fuse.h>\n');
  const has = run('gcc', ['-E', '-M', 'has.c'], dir);
  if (has.status !== 0) assert.fail(`<linux/fuse.h> cannot be found or compiled: ${INSTALL_HINT}\n${has.stderr}`);
  const headerPath = has.stdout.split(/\s+/).find((p) => p.endsWith('/linux/fuse.h'))!;
  const headerText = fs.readFileSync(headerPath, 'utf8');

  // 1. Which items does the header have?
  const items = allItems();
  const probe = generateProbe(items);
  fs.writeFileSync(path.join(dir, 'probe.c'), probe.source);
  const pr = run('gcc', ['-std=gnu11', '-fsyntax-only', '-fmax-errors=0', 'probe.c'], dir);
  const errorLines = new Set([...pr.stderr.matchAll(/^probe\.c:(\d+):\d+: error/gm)].map((m) => Number(m[1])));
  const stray = [...errorLines].filter((l) => !probe.lines.has(l));
  if (stray.length > 0 || (pr.status !== 0 && errorLines.size === 0)) assert.fail(`the probe failed outside its item lines (${stray.join(', ')}):\n${pr.stderr}`);
  const absent = new Set([...probe.lines].filter(([line]) => errorLines.has(line)).map(([, item]) => item));
  const present = new Set(items.filter((i) => !absent.has(i)));

  // 2. Their layouts and values.
  fs.writeFileSync(path.join(dir, 'layout.c'), generateProgram(present));
  const cc = run('gcc', ['-std=gnu11', '-Wall', '-Werror', '-o', 'layout', 'layout.c'], dir);
  if (cc.status !== 0) assert.fail(`the generated layout program does not compile against ${headerPath}:\n${cc.stderr}`);
  const exe = run(path.join(dir, 'layout'), [], dir);
  assert.equal(exe.status, 0, exe.stderr);

  const v: CView = {
    minor: -1, absent, structs: new Map(), fields: new Map(), oldForm: new Map(), constants: new Map(), errnos: new Map(),
    dtypes: new Map(), misc: new Map(), align: new Map(), macros: new Set(), enumMembers: new Set(),
  };
  for (const line of exe.stdout.split('\n')) {
    const p = line.split('\t');
    switch (p[0]) {
      case 'V': v.minor = Number(p[1]); break;
      case 'S': v.structs.set(p[1]!, Number(p[2])); break;
      case 'F': v.fields.set(`${p[1]}.${p[2]}`, { offset: Number(p[3]), size: Number(p[4]), type: p[5]! }); break;
      case 'C': v.constants.set(p[1]!, BigInt(p[2]!)); break;
      case 'E': v.errnos.set(p[1]!, Number(p[2])); break;
      case 'D': v.dtypes.set(p[1]!, Number(p[2])); break;
      case 'M': v.misc.set(p[1]!, Number(p[2])); break;
      case 'A': v.align.set(Number(p[1]), Number(p[2])); break;
    }
  }
  for (const [key, minor] of Object.entries(RELAID)) {
    const f = v.fields.get(key);
    if (f && v.minor < minor) {
      v.fields.delete(key);
      v.oldForm.set(key, f);
    }
  }

  // 3. The header's own names, to check nothing is left unmirrored.
  const dm = run('gcc', ['-dM', '-E', 'has.c'], dir);
  for (const m of dm.stdout.matchAll(/^#define ((?:FUSE_|FOPEN_|FATTR_|CUSE_)\w+)/gm)) v.macros.add(m[1]!);
  for (const body of headerText.matchAll(/enum\s+\w+\s*\{([^}]*)\}/g)) {
    for (const m of body[1]!.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/^\s*((?:FUSE_|CUSE_)\w+)/gm)) v.enumMembers.add(m[1]!);
  }
  return v;
}

// ---------------------------------------------------------------------------

let tmp = '';
let C: CView;

function pinnedField(s: Struct, f: FieldInfo): PinField | undefined {
  return PINNED_STRUCTS[s.cName]?.fields.find(([n]) => n === f.name) ?? PINNED_FIELDS[`${s.cName}.${f.name}`];
}

describe('layouts and constants against <linux/fuse.h>', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'devfuse-layout-'));
    C = collect(tmp);
  });
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test(`the system header is at least 7.${BASELINE_MINOR} (the pins cover everything newer)`, () => {
    assert.ok(C.minor >= BASELINE_MINOR, `system <linux/fuse.h> is 7.${C.minor}; the pins start after 7.${BASELINE_MINOR}: ${INSTALL_HINT}`);
  });

  test('every item the system header lacks is pinned from the 7.45 header', () => {
    const pinned = new Set([
      ...Object.keys(PINNED_CONSTANTS),
      ...Object.keys(PINNED_FIELDS),
      ...Object.entries(PINNED_STRUCTS).flatMap(([sName, p]) => [sName, ...p.fields.map(([f]) => `${sName}.${f}`)]),
    ]);
    assert.deepEqual([...C.absent].filter((item) => !pinned.has(item)), [], `these are in neither the 7.${C.minor} header nor the pins`);
    // The probe itself works: the core of the protocol is found.
    for (const item of ['fuse_in_header', 'fuse_in_header.unique', 'fuse_entry_out.attr', 'FUSE_LOOKUP', 'FUSE_ASYNC_READ']) {
      assert.ok(!C.absent.has(item), `the probe says the header lacks ${item}`);
    }
  });

  test('relaid fields: the older form the header has really differs from the pinned one', () => {
    for (const [key, f] of C.oldForm) {
      const [, offset, size] = PINNED_FIELDS[key]!;
      assert.notDeepEqual([f.offset, f.size], [offset, size], `${key} already has its 7.45 form in the 7.${C.minor} header: drop it from RELAID`);
    }
  });

  test('every pin names something the codec declares', () => {
    const names = new Set(allItems());
    for (const key of [...Object.keys(RELAID), ...Object.keys(PINNED_STRUCTS), ...Object.keys(PINNED_FIELDS), ...Object.keys(PINNED_CONSTANTS)]) {
      assert.ok(names.has(key), `${key} is pinned but the codec has no such struct, field or constant`);
    }
  });

  for (const s of ALL_STRUCTS) {
    test(`struct ${s.cName}: size, and offset, size and type of every field (padding included)`, () => {
      const cSize = C.structs.get(s.cName);
      const pin = PINNED_STRUCTS[s.cName];
      assert.ok(cSize !== undefined || pin !== undefined, `struct ${s.cName} is neither in the 7.${C.minor} header nor pinned`);
      if (cSize !== undefined) assert.equal(s.size, cSize, `sizeof(struct ${s.cName})`);
      if (pin) {
        assert.equal(s.size, pin.size, `pinned sizeof(struct ${s.cName})`);
        assert.deepEqual(s.fields.map((f) => f.name), pin.fields.map(([n]) => n), `pinned field list of ${s.cName}`);
      }
      for (const f of s.fields) {
        const where = `${s.cName}.${f.name}`;
        const got = { offset: f.offset, size: f.size, type: expectedCType(s, f) };
        const c = C.fields.get(where);
        const p = pinnedField(s, f);
        assert.ok(c !== undefined || p !== undefined, `${where} is neither in the 7.${C.minor} header nor pinned`);
        if (c) {
          // C cannot tell an array of padding from a scalar named padding: the codec's pad may be either.
          const cType = got.type === 'pad' ? 'pad' : c.type;
          assert.deepEqual(got, { offset: c.offset, size: c.size, type: cType }, `${where} (C: ${JSON.stringify(c)})`);
        }
        if (p) {
          const [, offset, size, type] = p;
          const pinType = got.type === 'pad' ? 'pad' : type;
          assert.deepEqual(got, { offset, size, type: pinType }, `${where} against the 7.45 pin`);
          if (c) assert.deepEqual([c.offset, c.size], [offset, size], `${where}: the pin disagrees with the system header`);
        }
      }
      // Contiguity: the fields cover the struct exactly, so no C field can hide between them.
      let end = 0;
      for (const f of s.fields) {
        assert.equal(f.offset, end, `${s.cName}.${f.name} starts at ${f.offset}, the previous field ends at ${end}`);
        end += f.size;
      }
      assert.equal(end, s.size, `${s.cName}: the fields end at ${end}, the struct is ${s.size}`);
    });
  }

  for (const [group, values] of Object.entries(CONSTANT_GROUPS)) {
    test(`constants: ${group}`, () => {
      for (const [cName, value] of values) {
        const c = C.constants.get(cName);
        const pin = PINNED_CONSTANTS[cName];
        assert.ok(c !== undefined || pin !== undefined, `${cName} is neither in the 7.${C.minor} header nor pinned`);
        if (cName === 'FUSE_KERNEL_MINOR_VERSION') {
          assert.equal(BigInt(value), pin, 'the codec speaks 7.45');
          continue;
        }
        if (c !== undefined) assert.equal(BigInt(value), c, `${group}: ${cName}`);
        if (pin !== undefined) {
          assert.equal(BigInt(value), pin, `${group}: ${cName} against the 7.45 pin`);
          if (c !== undefined) assert.equal(c, pin, `${cName}: the pin disagrees with the system header`);
        }
      }
    });
  }

  test('every FUSE_/FOPEN_/FATTR_/CUSE_ macro and enum member of the header is mirrored by the codec', () => {
    const mirrored = new Set(Object.values(CONSTANT_GROUPS).flatMap((g) => [...g.keys()]));
    const missing = [...C.macros, ...C.enumMembers].filter((n) => !mirrored.has(n) && !(n in NOT_MIRRORED));
    assert.deepEqual(missing, []);
    assert.ok(C.macros.size > 50 && C.enumMembers.size > 50, 'the header scan found the macros and enum members');
  });

  test('FUSE_NAME_OFFSET, FUSE_NAME_OFFSET_DIRENTPLUS and FUSE_REC_ALIGN', () => {
    assert.equal(Dirent.size, C.misc.get('FUSE_NAME_OFFSET'));
    assert.equal(Direntplus.size, C.misc.get('FUSE_NAME_OFFSET_DIRENTPLUS'));
    assert.equal(C.align.size, 65);
    for (const [x, aligned] of C.align) assert.equal(direntAlign(x), aligned, `FUSE_REC_ALIGN(${x})`);
  });

  test('Errno against <errno.h>', () => {
    for (const [name, value] of Object.entries(Errno)) {
      assert.equal(value, C.errnos.get(name), `${name}`);
    }
  });

  test('DirentType against DT_* of <dirent.h>', () => {
    for (const [name, value] of Object.entries(DirentType)) assert.equal(value, C.dtypes.get(name), `DT_${name}`);
  });
});
