/* Fault: the server crashes in its cleanup at DESTROY (a double free of its node table, as SIGSEGV). Caught in every scenario, at the end of its session. */
#include "minifs.h"
#include <signal.h>

static int before(const struct fuse_in_header *in, const void *arg)
{
	(void) arg;
	if (in->opcode == FUSE_DESTROY) raise(SIGSEGV);
	return 0;
}

void install_fault(struct fault_ops *f) { f->before = before; }
