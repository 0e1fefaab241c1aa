/*
 * minifs: a small in-memory FUSE server on libfuse's low-level API, written
 * for the tests of `devfuse conformance --exec`. Correct for what it
 * implements (files, directories, symlinks, hard links, renames without
 * flags, setattr of every field, statfs); everything else answers ENOSYS.
 * Built alone it must pass every scenario it is not skipped for; each
 * fault file beside it (one realistic bug each) links against it and sets
 * the hooks below.
 */
#ifndef MINIFS_H
#define MINIFS_H

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <sys/types.h>

struct fault_ops {
	/* Called with each raw request before libfuse handles it; nonzero: the hook dealt with it (answered it, or chose not to). */
	int (*before)(const struct fuse_in_header *in, const void *arg);
	/* Called after libfuse handled the request (the reply is written). */
	void (*after)(const struct fuse_in_header *in, const void *arg);
	/* READ: nonzero when the hook answered it. */
	int (*read)(fuse_req_t req, const char *data, size_t len, off_t off, size_t size);
	/* Lookups a CREATE reply counts (a correct server: 1). */
	int create_lookups;
	/* Maps the errno an operation is about to answer (a correct server: unchanged). */
	int (*err)(uint32_t opcode, int err);
	/* An entry reply (LOOKUP, MKDIR, CREATE's entry part excepted...): nonzero when the hook answered it. */
	int (*entry)(fuse_req_t req, uint32_t opcode, const struct fuse_entry_param *e);
	/* Capabilities to ask for at INIT besides minifs's own. */
	uint64_t want;
};

/* The request being handled (single-threaded loop), and the session's fd: a hook may write raw replies. */
extern uint64_t minifs_unique;
extern uint32_t minifs_opcode;
extern int minifs_fd;

/* Each fault file defines it; minifs.c alone uses an empty one. */
void install_fault(struct fault_ops *f);

#endif
