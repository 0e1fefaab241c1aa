/* Fault: FSYNC is never answered (a handler that returns without replying, on the datasync path). Caught by flush-fsync: its deadline names the FSYNC. */
#include "minifs.h"

static int before(const struct fuse_in_header *in, const void *arg)
{
	const struct fuse_fsync_in *f = arg;
	return in->opcode == FUSE_FSYNC && (f->fsync_flags & 1);
}

void install_fault(struct fault_ops *f) { f->before = before; }
