/* Fault: READ answers everything from the offset to the end of the file, whatever size was asked. Caught by read-bounds: a reply larger than the request. */
#include "minifs.h"

static int read_all(fuse_req_t req, const char *data, size_t len, off_t off, size_t size)
{
	(void) size;
	if ((size_t) off >= len) return 0;
	fuse_reply_buf(req, data + off, len - off);
	return 1;
}

void install_fault(struct fault_ops *f) { f->read = read_all; }
