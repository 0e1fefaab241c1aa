/* Fault: SYMLINK answers a fuse_entry_out of the 7.8 size (120 bytes, no blksize and padding): a server built against an old header. Caught by symlinks: the reply's length. */
#include "minifs.h"
#include <string.h>

static int entry(fuse_req_t req, uint32_t opcode, const struct fuse_entry_param *e)
{
	if (opcode != FUSE_SYMLINK) return 0;
	struct fuse_entry_out out;
	memset(&out, 0, sizeof out);
	out.nodeid = e->ino;
	out.generation = e->generation;
	out.attr.ino = e->attr.st_ino;
	out.attr.mode = e->attr.st_mode;
	out.attr.nlink = e->attr.st_nlink;
	out.attr.size = e->attr.st_size;
	fuse_reply_buf(req, (const char *) &out, 120);
	return 1;
}

void install_fault(struct fault_ops *f) { f->entry = entry; }
