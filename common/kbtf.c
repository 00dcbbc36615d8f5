// SPDX-License-Identifier: GPL-2.0
/*
 * Streaming name lookups in /sys/kernel/btf/<name> (see kbtf.h).  Two
 * passes over the file, each through one 64 KiB buffer: the string section
 * gives the offsets of the names asked for, then the type section is
 * walked (every kind's size is known from its header) for FUNC types and
 * enumerators whose name is at one of those offsets.  Strings in BTF are
 * deduplicated whole (no tail merging), so a name has one offset.  A
 * module's names that dedup put in vmlinux's strings are read one at a
 * time when its types point there (scanning vmlinux's 2 MB of strings
 * took seconds under emulation for a name the module lacks).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include "btfcache.h"
#include "kbtf.h"

#ifndef BTF_KIND_ENUM64
#define BTF_KIND_ENUM64 19
#endif

#define CHUNK 65536

struct reader {
	int fd;
	char *buf;
	size_t pos, len;	/* unread bytes: buf[pos..len) */
	off_t start, next, end;	/* the section, and the next file offset to read */
};

static void rd_init(struct reader *r, int fd, char *buf, off_t start, off_t len)
{
	*r = (struct reader){ .fd = fd, .buf = buf, .start = start, .next = start,
			      .end = start + len };
}

/* Offset in the section of the next unread byte. */
static off_t rd_tell(const struct reader *r)
{
	return r->next - r->start - (off_t)(r->len - r->pos);
}

/* At least n (<= CHUNK) contiguous unread bytes; -EINVAL past the end. */
static int rd_need(struct reader *r, size_t n)
{
	if (r->len - r->pos >= n)
		return 0;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	while (r->len < n) {
		size_t want = CHUNK - r->len;
		ssize_t got;

		if ((off_t)want > r->end - r->next)
			want = r->end - r->next;
		if (!want)
			return -EINVAL;
		got = pread(r->fd, r->buf + r->len, want, r->next);
		if (got <= 0)
			return got < 0 ? -errno : -EINVAL;
		r->len += got;
		r->next += got;
	}
	return 0;
}

static int rd_skip(struct reader *r, size_t n)
{
	size_t have = r->len - r->pos;

	if (n <= have) {
		r->pos += n;
		return 0;
	}
	n -= have;
	r->pos = r->len = 0;
	if ((off_t)n > r->end - r->next)
		return -EINVAL;
	r->next += n;
	return 0;
}

static int read_header(int fd, struct btf_header *h)
{
	if (pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h))
		return -EINVAL;
	if (h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h))
		return -EINVAL;
	return 0;
}

/* Offsets (plus base) of the names of q[] not yet placed (off[i] == 0) in
 * the string section [start, start + len) of fd. */
static int scan_strings(int fd, char *buf, off_t start, __u32 len, __u32 base,
			const struct kbtf_query *q, __u32 *off, int n)
{
	struct reader r;
	int i, left = 0, err;

	for (i = 0; i < n; i++)
		left += !off[i];
	rd_init(&r, fd, buf, start, len);
	while (left && rd_tell(&r) < (off_t)len) {
		char *s, *nul;

		if ((err = rd_need(&r, 1)))
			return err;
		s = r.buf + r.pos;
		nul = memchr(s, '\0', r.len - r.pos);
		if (!nul) {
			if (r.next == r.end)
				break;		/* unterminated tail */
			if (r.pos == 0 && r.len == CHUNK)
				return -EINVAL;	/* a 64 KiB string: not BTF */
			if ((err = rd_need(&r, r.len - r.pos + 1)))
				return err;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (!off[i] && s[0] == q[i].name[0] && !strcmp(s, q[i].name)) {
				off[i] = base + (__u32)rd_tell(&r);
				left--;
			}
		}
		r.pos += nul - s + 1;
	}
	return 0;
}

/* A split BTF's view of its base's string section: names of the module's
 * types that live there are read one by one (pread of the name alone)
 * instead of scanning the base's megabytes of strings for every name. */
struct base_strs {
	int fd;			/* -1: not split */
	off_t start;
	__u32 len;
};

static bool wanted(const struct base_strs *b, const struct kbtf_query *q, __u32 *off, int n,
		   enum kbtf_kind kind, __u32 name_off, int *which)
{
	char name[256];
	ssize_t got;
	int i;

	if (!name_off)
		return false;
	for (i = 0; i < n; i++)
		if (off[i] == name_off) {
			*which = i;
			return true;
		}
	if (b->fd < 0 || name_off >= b->len)
		return false;
	for (i = 0; i < n; i++)	/* a name still unplaced could be this one */
		if (!off[i] && q[i].kind == kind)
			break;
	if (i == n)
		return false;
	got = pread(b->fd, name, sizeof(name) - 1, b->start + name_off);
	if (got <= 0)
		return false;
	name[got] = '\0';
	for (i = 0; i < n; i++)
		if (!off[i] && q[i].kind == kind && !strcmp(name, q[i].name)) {
			off[i] = name_off;
			*which = i;
			return true;
		}
	return false;
}

/* The bytes that follow a type's header, for every kind but the enums
 * (their members are read, not skipped); -EINVAL for a kind we cannot size. */
static int members_size(const struct btf_type *t, size_t *extra)
{
	size_t vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		*extra = 4;
		return 0;
	case BTF_KIND_ARRAY:
		*extra = sizeof(struct btf_array);
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		*extra = vlen * sizeof(struct btf_member);
		return 0;
	case BTF_KIND_FUNC_PROTO:
		*extra = vlen * sizeof(struct btf_param);
		return 0;
	case BTF_KIND_DATASEC:
		*extra = vlen * sizeof(struct btf_var_secinfo);
		return 0;
	case BTF_KIND_FUNC:
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		*extra = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

/* What one walk looks for (q[], the offsets of their names, the base's
 * strings for a split BTF). */
struct wanted_set {
	struct kbtf_query *q;
	__u32 *off;
	int n;
	const struct base_strs *b;
};

/* An ENUM/ENUM64's members, read: the first enumerator of each wanted name
 * gives its value. */
static int scan_enum(struct reader *r, const struct btf_type *t, const struct wanted_set *w)
{
	bool e64 = BTF_INFO_KIND(t->info) == BTF_KIND_ENUM64;
	size_t sz = e64 ? 12 : 8;
	int j, i, err;

	for (j = 0; j < (int)BTF_INFO_VLEN(t->info); j++) {
		__u32 m[3];

		if ((err = rd_need(r, sz)))
			return err;
		memcpy(m, r->buf + r->pos, sz);
		r->pos += sz;
		if (!wanted(w->b, w->q, w->off, w->n, KBTF_ENUM_VAL, m[0], &i) ||
		    w->q[i].kind != KBTF_ENUM_VAL || w->q[i].found)
			continue;
		w->q[i].found = true;
		w->q[i].value = e64 ? (long long)(((__u64)m[2] << 32) | m[1]) : (__s32)m[1];
	}
	return 0;
}

/* Walks the type section; first_id: the id of its first type (1, or one
 * past the base's last for a split BTF).  *count: how many types it has. */
static int scan_types(int fd, char *buf, off_t start, __u32 len, const struct wanted_set *w,
		      __u32 first_id, __u32 *count)
{
	struct reader r;
	struct btf_type t;
	__u32 id = first_id;
	int err, i;

	rd_init(&r, fd, buf, start, len);
	for (; rd_tell(&r) < (off_t)len; id++) {
		size_t extra = 0;

		if ((err = rd_need(&r, sizeof(t))))
			return err;
		memcpy(&t, r.buf + r.pos, sizeof(t));
		r.pos += sizeof(t);
		if (BTF_INFO_KIND(t.info) == BTF_KIND_ENUM || BTF_INFO_KIND(t.info) == BTF_KIND_ENUM64) {
			if ((err = scan_enum(&r, &t, w)))
				return err;
			continue;
		}
		if ((err = members_size(&t, &extra)))
			return err;
		if (BTF_INFO_KIND(t.info) == BTF_KIND_FUNC &&
		    wanted(w->b, w->q, w->off, w->n, KBTF_FUNC, t.name_off, &i) &&
		    w->q[i].kind == KBTF_FUNC) {
			w->q[i].found = true;
			w->q[i].id = id;	/* no_id: zeroed by kbtf__lookup */
		}
		if (extra && (err = rd_skip(&r, extra)))
			return err;
	}
	if (count)
		*count = id - first_id;
	return 0;
}

static int open_btf(const char *name, struct btf_header *h)
{
	char path[128];
	int fd, err;

	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_header(fd, h);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* vmlinux's number of types (void not counted), once known: from a
 * lookup in vmlinux (its walk counts them) or a walk for the count alone. */
static __u32 vmlinux_types;

/* vmlinux's type count, walking its type section only when neither a walk
 * in this process nor the cache (btfcache.h) has it.  0 when unreadable. */
static __u32 vmlinux_type_count(int fd, const struct btf_header *h, char *buf)
{
	static const struct base_strs not_split = { .fd = -1 };
	static const struct wanted_set nothing = { .b = &not_split };
	__u32 count;

	if (!vmlinux_types && btfcache__types(h, &count))
		vmlinux_types = count;
	if (!vmlinux_types &&
	    !scan_types(fd, buf, h->hdr_len + h->type_off, h->type_len, &nothing, 1, &count)) {
		vmlinux_types = count;
		btfcache__set_types(count);
	}
	return vmlinux_types;
}

static bool wants_func_ids(const struct kbtf_query *q, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (q[i].kind == KBTF_FUNC && !q[i].no_id)
			return true;
	return false;
}

int kbtf__lookup(const char *btf_name, struct kbtf_query *q, int n)
{
	struct btf_header h, bh;
	struct base_strs base = { .fd = -1 };
	bool split = strcmp(btf_name, "vmlinux") != 0;
	__u32 *off = calloc(n ? n : 1, sizeof(*off)), base_str = 0, first_id = 1, count;
	char *buf = malloc(CHUNK);
	int fd = -1, bfd = -1, err, i;

	for (i = 0; i < n; i++) {
		q[i].found = false;
		q[i].id = 0;
	}
	err = !off || !buf ? -ENOMEM : 0;
	if (!err && split) {
		/* a module's string offsets start after vmlinux's strings */
		bfd = open_btf("vmlinux", &bh);
		err = bfd < 0 ? bfd : 0;
		base_str = err ? 0 : bh.str_len;
	}
	if (!err) {
		fd = open_btf(btf_name, &h);
		err = fd < 0 ? fd : 0;
	}
	if (!err && !split && btfcache__answer(&h, q, n))
		goto out;
	if (!err)
		err = scan_strings(fd, buf, h.hdr_len + h.str_off, h.str_len, base_str, q, off, n);
	if (!err && split)	/* names the module shares with vmlinux: read on demand */
		base = (struct base_strs){ .fd = bfd, .start = bh.hdr_len + bh.str_off,
					   .len = bh.str_len };
	if (!err && split && wants_func_ids(q, n)) {
		__u32 base_types = vmlinux_type_count(bfd, &bh, buf);

		err = base_types ? 0 : -EINVAL;
		first_id = base_types + 1;
	}
	if (!err)
		err = scan_types(fd, buf, h.hdr_len + h.type_off, h.type_len,
				 &(struct wanted_set){ q, off, n, &base }, first_id,
				 split ? NULL : &count);
	if (!err && !split) {
		vmlinux_types = count;
		btfcache__set_types(count);
		btfcache__record(q, n);
	}
	for (i = 0; i < n; i++) {
		q[i].found = q[i].found && !err;
		if (q[i].no_id || !q[i].found)
			q[i].id = 0;
	}
	btfcache__save();
out:
	if (fd >= 0)
		close(fd);
	if (bfd >= 0)
		close(bfd);
	free(buf);
	free(off);
	return err;
}
