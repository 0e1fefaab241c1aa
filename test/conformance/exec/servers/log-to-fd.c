/* Fault: a debug line written to the FUSE fd instead of stderr on MKDIR (a printf to the wrong descriptor). Caught as a protocol violation: a write shorter than fuse_out_header, or a header that names no request. */
#include "minifs.h"
#include <string.h>
#include <unistd.h>

static int before(const struct fuse_in_header *in, const void *arg)
{
	(void) arg;
	static const char line[] = "mkdir\n";
	if (in->opcode == FUSE_MKDIR && write(minifs_fd, line, strlen(line)) < 0) return 0;
	return 0;
}

void install_fault(struct fault_ops *f) { f->before = before; }
