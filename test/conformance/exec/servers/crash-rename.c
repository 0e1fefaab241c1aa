/* Fault: a directory moved to another parent crashes the server (a NULL parent pointer dereferenced). Caught by rename-directories: the server was killed by SIGSEGV. */
#include "minifs.h"
#include <signal.h>

static int before(const struct fuse_in_header *in, const void *arg)
{
	const struct fuse_rename_in *r = arg;
	if ((in->opcode == FUSE_RENAME || in->opcode == FUSE_RENAME2) && r->newdir != in->nodeid) {
		volatile int *nowhere = 0;
		(void) *nowhere;
		raise(SIGSEGV);
	}
	return 0;
}

void install_fault(struct fault_ops *f) { f->before = before; }
