/* Fault: RMDIR of a directory that is not empty answers EPERM (ENOTEMPTY expected). Caught by errnos. */
#include "minifs.h"
#include <errno.h>

static int map(uint32_t opcode, int err) { return opcode == FUSE_RMDIR && err == ENOTEMPTY ? EPERM : err; }

void install_fault(struct fault_ops *f) { f->err = map; }
