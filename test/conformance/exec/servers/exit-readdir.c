/* Fault: READDIR resumed past the 100th entry makes the server exit (status 3; an off-by-one in its cookie table treated as fatal). Caught by readdir-contents: the server exited before the session ended. */
#include "minifs.h"
#include <stdio.h>
#include <stdlib.h>

static int before(const struct fuse_in_header *in, const void *arg)
{
	const struct fuse_read_in *r = arg;
	if (in->opcode == FUSE_READDIR && r->offset > 100) {
		fprintf(stderr, "minifs: cookie %llu out of range\n", (unsigned long long) r->offset);
		exit(3);
	}
	return 0;
}

void install_fault(struct fault_ops *f) { f->before = before; }
