/* Not a fault: READ replies are spliced (FUSE_CAP_SPLICE_WRITE, data from a memfd), as servers that move file data without copying do. Over a socket such a reply arrives in several datagrams; the kit must join them and pass what minifs passes. */
#define _GNU_SOURCE
#include "minifs.h"
#include <sys/mman.h>
#include <unistd.h>

static int read_spliced(fuse_req_t req, const char *data, size_t len, off_t off, size_t size)
{
	if ((size_t) off >= len) return 0;
	size_t n = len - off < size ? len - off : size;
	int fd = memfd_create("minifs-read", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data + off, n) != (ssize_t) n) return 0;
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(n);
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = 0;
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	close(fd);
	return 1;
}

void install_fault(struct fault_ops *f)
{
	f->read = read_spliced;
	f->want = FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE;
}
