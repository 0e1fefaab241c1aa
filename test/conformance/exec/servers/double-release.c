/* Fault: RELEASE is answered twice (a reply in a cleanup path and again at the end). Over /dev/fuse the second write gets ENOENT; a socket takes it, and the kit must judge it. Caught as a protocol violation: a reply to a unique not in flight. */
#include "minifs.h"
#include <unistd.h>

static void after(const struct fuse_in_header *in, const void *arg)
{
	(void) arg;
	if (in->opcode != FUSE_RELEASE) return;
	struct fuse_out_header out = { .len = sizeof out, .error = 0, .unique = in->unique };
	if (write(minifs_fd, &out, sizeof out) < 0) return;
}

void install_fault(struct fault_ops *f) { f->after = after; }
