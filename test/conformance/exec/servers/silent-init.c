/* Fault: INIT is never answered (the server waits for something else first). Caught by every scenario: its INIT misses the deadline. */
#include "minifs.h"

static int before(const struct fuse_in_header *in, const void *arg)
{
	(void) arg;
	return in->opcode == FUSE_INIT;
}

void install_fault(struct fault_ops *f) { f->before = before; }
