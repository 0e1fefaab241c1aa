/*
 * minifs: see minifs.h. Usage: minifs [-f] /dev/fd/N (any libfuse options).
 * Node ids are table slots; a slot reused gets a new generation; a request
 * for a node that was freed answers ESTALE (so lookup-count bugs show on
 * the wire, deterministically).
 */
#define _GNU_SOURCE
#include "minifs.h"
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXN 4096
#define MAXE 8192
#define MAXDATA (64 << 20)

struct node {
	int used;
	uint64_t gen;
	uint64_t nlookup;
	int open;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	char *data;
	size_t size;
	struct timespec atime, mtime, ctime;
};

struct entry {
	int used;
	fuse_ino_t parent;
	fuse_ino_t ino;
	char name[256];
};

static struct node nodes[MAXN];
static struct entry entries[MAXE];
static struct fault_ops F = { .create_lookups = 1 };
uint64_t minifs_unique;
uint32_t minifs_opcode;
int minifs_fd = -1;

__attribute__((weak)) void install_fault(struct fault_ops *f) { (void) f; }

static struct timespec now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return t;
}

static int err_of(int e) { return F.err ? F.err(minifs_opcode, e) : e; }
static void reply_err(fuse_req_t req, int e) { fuse_reply_err(req, e ? err_of(e) : 0); }

static struct node *live(fuse_ino_t ino)
{
	if (ino == 0 || ino >= MAXN || !nodes[ino].used) return NULL;
	return &nodes[ino];
}

static unsigned links_of(fuse_ino_t ino)
{
	unsigned names = 0, subdirs = 0;
	for (int i = 0; i < MAXE; i++) {
		if (!entries[i].used) continue;
		if (entries[i].ino == ino) names++;
		if (entries[i].parent == ino && S_ISDIR(nodes[entries[i].ino].mode)) subdirs++;
	}
	if (!S_ISDIR(nodes[ino].mode)) return names;
	/* A directory: its name, its own ".", each subdirectory's ".."; the root has "." and ".."; a removed one nothing. */
	if (ino == FUSE_ROOT_ID) return 2 + subdirs;
	return names ? 2 + subdirs : 0;
}

static void maybe_free(fuse_ino_t ino)
{
	struct node *n = &nodes[ino];
	if (ino == FUSE_ROOT_ID || n->nlookup || n->open || links_of(ino)) return;
	free(n->data);
	n->data = NULL;
	n->used = 0;
}

static fuse_ino_t new_node(mode_t mode, const struct fuse_ctx *c)
{
	for (fuse_ino_t i = 2; i < MAXN; i++) {
		if (nodes[i].used) continue;
		uint64_t gen = nodes[i].gen + 1;
		memset(&nodes[i], 0, sizeof nodes[i]);
		nodes[i].used = 1;
		nodes[i].gen = gen;
		nodes[i].mode = mode;
		nodes[i].uid = c ? c->uid : 0;
		nodes[i].gid = c ? c->gid : 0;
		nodes[i].atime = nodes[i].mtime = nodes[i].ctime = now();
		return i;
	}
	return 0;
}

static int find(fuse_ino_t parent, const char *name)
{
	for (int i = 0; i < MAXE; i++)
		if (entries[i].used && entries[i].parent == parent && strcmp(entries[i].name, name) == 0) return i;
	return -1;
}

static int add_entry(fuse_ino_t parent, const char *name, fuse_ino_t ino)
{
	for (int i = 0; i < MAXE; i++) {
		if (entries[i].used) continue;
		entries[i].used = 1;
		entries[i].parent = parent;
		entries[i].ino = ino;
		snprintf(entries[i].name, sizeof entries[i].name, "%s", name);
		return i;
	}
	return -1;
}

static void touch_dir(fuse_ino_t dir)
{
	nodes[dir].mtime = nodes[dir].ctime = now();
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	struct node *n = &nodes[ino];
	memset(st, 0, sizeof *st);
	st->st_ino = ino;
	st->st_mode = n->mode;
	st->st_nlink = links_of(ino);
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_size = n->size;
	st->st_blksize = 4096;
	st->st_blocks = (n->size + 511) / 512;
	st->st_atim = n->atime;
	st->st_mtim = n->mtime;
	st->st_ctim = n->ctime;
}

static void reply_entry(fuse_req_t req, fuse_ino_t ino, int lookups)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof e);
	e.ino = ino;
	e.generation = nodes[ino].gen;
	fill_attr(ino, &e.attr);
	nodes[ino].nlookup += lookups;
	if (F.entry && F.entry(req, minifs_opcode, &e)) return;
	fuse_reply_entry(req, &e);
}

#define NODE_OR_STALE(n, ino) struct node *n = live(ino); if (!n) { reply_err(req, ESTALE); return; }

static void mf_init(void *u, struct fuse_conn_info *conn)
{
	(void) u;
	conn->want |= F.want & conn->capable;
}

static void mf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	NODE_OR_STALE(p, parent);
	if (!S_ISDIR(p->mode)) { reply_err(req, ENOTDIR); return; }
	if (strlen(name) > 255) { reply_err(req, ENAMETOOLONG); return; }
	int e = find(parent, name);
	if (e < 0) { reply_err(req, ENOENT); return; }
	reply_entry(req, entries[e].ino, 1);
}

static void forget1(fuse_ino_t ino, uint64_t n)
{
	struct node *x = live(ino);
	if (!x) return;
	x->nlookup = n > x->nlookup ? 0 : x->nlookup - n;
	maybe_free(ino);
}

static void mf_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	forget1(ino, nlookup);
	fuse_reply_none(req);
}

static void mf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	for (size_t i = 0; i < count; i++) forget1(f[i].ino, f[i].nlookup);
	fuse_reply_none(req);
}

static void mf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) fi;
	NODE_OR_STALE(n, ino);
	(void) n;
	struct stat st;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static int resize(struct node *n, size_t size)
{
	if (size > MAXDATA) return EFBIG;
	char *d = realloc(n->data, size ? size : 1);
	if (!d) return ENOMEM;
	if (size > n->size) memset(d + n->size, 0, size - n->size);
	n->data = d;
	n->size = size;
	return 0;
}

static void mf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	(void) fi;
	NODE_OR_STALE(n, ino);
	struct timespec t = now();
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (S_ISDIR(n->mode)) { reply_err(req, EISDIR); return; }
		int e = resize(n, attr->st_size);
		if (e) { reply_err(req, e); return; }
		n->mtime = t;
	}
	if (to_set & FUSE_SET_ATTR_MODE) n->mode = (n->mode & S_IFMT) | (attr->st_mode & 07777);
	if (to_set & FUSE_SET_ATTR_UID) n->uid = attr->st_uid;
	if (to_set & FUSE_SET_ATTR_GID) n->gid = attr->st_gid;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW) n->atime = t;
	else if (to_set & FUSE_SET_ATTR_ATIME) n->atime = attr->st_atim;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW) n->mtime = t;
	else if (to_set & FUSE_SET_ATTR_MTIME) n->mtime = attr->st_mtim;
	n->ctime = (to_set & FUSE_SET_ATTR_CTIME) ? attr->st_ctim : t;
	struct stat st;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 0);
}

static void mf_readlink(fuse_req_t req, fuse_ino_t ino)
{
	NODE_OR_STALE(n, ino);
	if (!S_ISLNK(n->mode)) { reply_err(req, EINVAL); return; }
	char *s = malloc(n->size + 1);
	memcpy(s, n->data, n->size);
	s[n->size] = 0;
	fuse_reply_readlink(req, s);
	free(s);
}

/* A new name in `parent`: checks, a node, the entry; 0 and the reply's lookup, or an errno. */
static int make(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev, fuse_ino_t *out)
{
	struct node *p = live(parent);
	if (!p) return ESTALE;
	if (!S_ISDIR(p->mode)) return ENOTDIR;
	if (strlen(name) > 255) return ENAMETOOLONG;
	if (find(parent, name) >= 0) return EEXIST;
	fuse_ino_t ino = new_node(mode, fuse_req_ctx(req));
	if (!ino) return ENOSPC;
	nodes[ino].rdev = rdev;
	if (add_entry(parent, name, ino) < 0) {
		nodes[ino].used = 0;
		return ENOSPC;
	}
	touch_dir(parent);
	*out = ino;
	return 0;
}

static void mf_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	fuse_ino_t ino;
	int e = make(req, parent, name, mode, rdev, &ino);
	if (e) reply_err(req, e);
	else reply_entry(req, ino, 1);
}

static void mf_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	mf_mknod(req, parent, name, S_IFDIR | (mode & 07777), 0);
}

static void mf_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	fuse_ino_t ino;
	if (strlen(link) >= 4096) { reply_err(req, ENAMETOOLONG); return; }
	int e = make(req, parent, name, S_IFLNK | 0777, 0, &ino);
	if (e) { reply_err(req, e); return; }
	resize(&nodes[ino], strlen(link));
	memcpy(nodes[ino].data, link, strlen(link));
	reply_entry(req, ino, 1);
}

static int is_empty_dir(fuse_ino_t ino)
{
	for (int i = 0; i < MAXE; i++)
		if (entries[i].used && entries[i].parent == ino) return 0;
	return 1;
}

/* Drops entry `e` (the name only: the node goes when nothing holds it). */
static void drop(int e)
{
	fuse_ino_t ino = entries[e].ino;
	entries[e].used = 0;
	nodes[ino].ctime = now();
	maybe_free(ino);
}

static void mf_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	NODE_OR_STALE(p, parent);
	(void) p;
	int e = find(parent, name);
	if (e < 0) { reply_err(req, ENOENT); return; }
	if (S_ISDIR(nodes[entries[e].ino].mode)) { reply_err(req, EISDIR); return; }
	touch_dir(parent);
	drop(e);
	reply_err(req, 0);
}

static void mf_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	NODE_OR_STALE(p, parent);
	(void) p;
	int e = find(parent, name);
	if (e < 0) { reply_err(req, ENOENT); return; }
	if (!S_ISDIR(nodes[entries[e].ino].mode)) { reply_err(req, ENOTDIR); return; }
	if (!is_empty_dir(entries[e].ino)) { reply_err(req, ENOTEMPTY); return; }
	touch_dir(parent);
	drop(e);
	reply_err(req, 0);
}

static int is_ancestor(fuse_ino_t a, fuse_ino_t d)
{
	for (int hops = 0; d != FUSE_ROOT_ID && hops < MAXN; hops++) {
		if (d == a) return 1;
		int found = 0;
		for (int i = 0; i < MAXE; i++)
			if (entries[i].used && entries[i].ino == d) { d = entries[i].parent; found = 1; break; }
		if (!found) return 0;
	}
	return d == a;
}

static void mf_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	if (flags) { reply_err(req, EINVAL); return; }
	if (!live(parent) || !live(newparent)) { reply_err(req, ESTALE); return; }
	if (strlen(newname) > 255) { reply_err(req, ENAMETOOLONG); return; }
	int e = find(parent, name);
	if (e < 0) { reply_err(req, ENOENT); return; }
	fuse_ino_t ino = entries[e].ino;
	int t = find(newparent, newname);
	if (t == e) { reply_err(req, 0); return; }
	if (S_ISDIR(nodes[ino].mode) && is_ancestor(ino, newparent)) { reply_err(req, EINVAL); return; }
	if (t >= 0) {
		fuse_ino_t victim = entries[t].ino;
		if (victim == ino) { reply_err(req, 0); return; }
		if (S_ISDIR(nodes[ino].mode) && !S_ISDIR(nodes[victim].mode)) { reply_err(req, ENOTDIR); return; }
		if (!S_ISDIR(nodes[ino].mode) && S_ISDIR(nodes[victim].mode)) { reply_err(req, EISDIR); return; }
		if (S_ISDIR(nodes[victim].mode) && !is_empty_dir(victim)) { reply_err(req, ENOTEMPTY); return; }
		drop(t);
	}
	entries[e].parent = newparent;
	snprintf(entries[e].name, sizeof entries[e].name, "%s", newname);
	nodes[ino].ctime = now();
	touch_dir(parent);
	touch_dir(newparent);
	reply_err(req, 0);
}

static void mf_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	NODE_OR_STALE(n, ino);
	NODE_OR_STALE(p, newparent);
	if (S_ISDIR(n->mode)) { reply_err(req, EPERM); return; }
	if (!S_ISDIR(p->mode)) { reply_err(req, ENOTDIR); return; }
	if (strlen(newname) > 255) { reply_err(req, ENAMETOOLONG); return; }
	if (find(newparent, newname) >= 0) { reply_err(req, EEXIST); return; }
	if (add_entry(newparent, newname, ino) < 0) { reply_err(req, ENOSPC); return; }
	n->ctime = now();
	touch_dir(newparent);
	reply_entry(req, ino, 1);
}

static void mf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	NODE_OR_STALE(n, ino);
	if (S_ISDIR(n->mode)) { reply_err(req, EISDIR); return; }
	if (fi->flags & O_TRUNC) {
		resize(n, 0);
		n->mtime = n->ctime = now();
	}
	n->open++;
	fi->fh = ino;
	fuse_reply_open(req, fi);
}

/* CREATE's reply: the node open, its entry counted as F.create_lookups lookups. */
static void reply_create(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	nodes[ino].open++;
	fi->fh = ino;
	struct fuse_entry_param ep;
	memset(&ep, 0, sizeof ep);
	ep.ino = ino;
	ep.generation = nodes[ino].gen;
	fill_attr(ino, &ep.attr);
	nodes[ino].nlookup += F.create_lookups;
	fuse_reply_create(req, &ep, fi);
}

static void mf_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	int e = find(parent, name);
	if (e >= 0 && !(fi->flags & O_EXCL) && live(parent)) {
		/* Another client made it between LOOKUP and CREATE: open what is there. */
		fuse_ino_t ino = entries[e].ino;
		if (S_ISDIR(nodes[ino].mode)) { reply_err(req, EISDIR); return; }
		if (fi->flags & O_TRUNC) resize(&nodes[ino], 0);
		reply_create(req, ino, fi);
		return;
	}
	fuse_ino_t ino;
	int err = make(req, parent, name, S_IFREG | (mode & 07777), 0, &ino);
	if (err) { reply_err(req, err); return; }
	reply_create(req, ino, fi);
}

static void mf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void) fi;
	NODE_OR_STALE(n, ino);
	if (F.read && F.read(req, n->data, n->size, off, size)) return;
	if ((size_t) off >= n->size) { fuse_reply_buf(req, NULL, 0); return; }
	size_t len = n->size - off < size ? n->size - off : size;
	fuse_reply_buf(req, n->data + off, len);
}

static void mf_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void) fi;
	NODE_OR_STALE(n, ino);
	if (off + size > n->size) {
		int e = resize(n, off + size);
		if (e) { reply_err(req, e); return; }
	}
	memcpy(n->data + off, buf, size);
	n->mtime = n->ctime = now();
	fuse_reply_write(req, size);
}

static void mf_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) ino;
	(void) fi;
	reply_err(req, 0);
}

static void mf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void) fi;
	struct node *n = live(ino);
	if (n && n->open) n->open--;
	if (n) maybe_free(ino);
	reply_err(req, 0);
}

static void mf_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void) datasync;
	(void) fi;
	NODE_OR_STALE(n, ino);
	(void) n;
	reply_err(req, 0);
}

static void mf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	NODE_OR_STALE(n, ino);
	if (!S_ISDIR(n->mode)) { reply_err(req, ENOTDIR); return; }
	n->open++;
	fi->fh = ino;
	fuse_reply_open(req, fi);
}

static fuse_ino_t parent_of(fuse_ino_t dir)
{
	for (int i = 0; i < MAXE; i++)
		if (entries[i].used && entries[i].ino == dir) return entries[i].parent;
	return FUSE_ROOT_ID;
}

/* Cookies: 1 after ".", 2 after "..", 3 + slot after each entry (slots never move, so a cookie stays valid across unlinks). */
static void mf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void) fi;
	NODE_OR_STALE(n, ino);
	(void) n;
	char *buf = calloc(1, size);
	size_t pos = 0;
	struct stat st;
	memset(&st, 0, sizeof st);
	if (off < 1) {
		st.st_ino = ino;
		st.st_mode = S_IFDIR;
		size_t l = fuse_add_direntry(req, buf + pos, size - pos, ".", &st, 1);
		if (l > size - pos) goto done;
		pos += l;
	}
	if (off < 2) {
		st.st_ino = parent_of(ino);
		st.st_mode = S_IFDIR;
		size_t l = fuse_add_direntry(req, buf + pos, size - pos, "..", &st, 2);
		if (l > size - pos) goto done;
		pos += l;
	}
	for (int i = off < 3 ? 0 : off - 2; i < MAXE; i++) {
		if (!entries[i].used || entries[i].parent != ino) continue;
		st.st_ino = entries[i].ino;
		st.st_mode = nodes[entries[i].ino].mode & S_IFMT;
		size_t l = fuse_add_direntry(req, buf + pos, size - pos, entries[i].name, &st, 3 + i);
		if (l > size - pos) break;
		pos += l;
	}
done:
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void mf_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	mf_release(req, ino, fi);
}

static void mf_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	mf_fsync(req, ino, datasync, fi);
}

static void mf_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void) ino;
	struct statvfs s;
	memset(&s, 0, sizeof s);
	unsigned used = 0;
	for (int i = 0; i < MAXN; i++) used += nodes[i].used;
	s.f_bsize = s.f_frsize = 4096;
	s.f_blocks = MAXDATA / 4096 * 16;
	s.f_bfree = s.f_bavail = s.f_blocks / 2;
	s.f_files = MAXN;
	s.f_ffree = s.f_favail = MAXN - used;
	s.f_namemax = 255;
	fuse_reply_statfs(req, &s);
}

static const struct fuse_lowlevel_ops ops = {
	.init = mf_init,
	.lookup = mf_lookup,
	.forget = mf_forget,
	.forget_multi = mf_forget_multi,
	.getattr = mf_getattr,
	.setattr = mf_setattr,
	.readlink = mf_readlink,
	.mknod = mf_mknod,
	.mkdir = mf_mkdir,
	.symlink = mf_symlink,
	.unlink = mf_unlink,
	.rmdir = mf_rmdir,
	.rename = mf_rename,
	.link = mf_link,
	.open = mf_open,
	.create = mf_create,
	.read = mf_read,
	.write = mf_write,
	.flush = mf_flush,
	.release = mf_release,
	.fsync = mf_fsync,
	.opendir = mf_opendir,
	.readdir = mf_readdir,
	.releasedir = mf_releasedir,
	.fsyncdir = mf_fsyncdir,
	.statfs = mf_statfs,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	install_fault(&F);
	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
		fprintf(stderr, "usage: %s [-f] /dev/fd/N\n", argv[0]);
		return 2;
	}
	nodes[FUSE_ROOT_ID].used = 1;
	nodes[FUSE_ROOT_ID].mode = S_IFDIR | 0755;
	nodes[FUSE_ROOT_ID].atime = nodes[FUSE_ROOT_ID].mtime = nodes[FUSE_ROOT_ID].ctime = now();
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
	if (!se || fuse_session_mount(se, opts.mountpoint) != 0) return 1;
	minifs_fd = fuse_session_fd(se);
	/* libfuse's own loop, spelled out, so the hooks see each raw request. */
	struct fuse_buf fbuf = { .mem = NULL };
	int ret = 0;
	while (!fuse_session_exited(se)) {
		int res = fuse_session_receive_buf(se, &fbuf);
		if (res == -EINTR) continue;
		if (res <= 0) { ret = res < 0 ? 1 : 0; break; }
		const struct fuse_in_header *in = fbuf.mem;
		minifs_unique = in->unique;
		minifs_opcode = in->opcode;
		if (F.before && F.before(in, in + 1)) continue;
		fuse_session_process_buf(se, &fbuf);
		if (F.after) F.after(in, in + 1);
	}
	free(fbuf.mem);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
