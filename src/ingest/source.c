/* Byte sources over read(2), with zlib's inflate for gzip content (RFC 1952;
 * windowBits 15 + 16 reads gzip only, and every member of a multi-member
 * file is decoded in turn, as gzip(1) does). */
#include "ingest/source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

#define ZIN_SIZE (1u << 18)

static enum rebuy_status sniff_gzip(struct rebuy__source *s, struct rebuy_error *err);

/* zlib allocates through rebuy's hook too. */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return rebuy__calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	rebuy__free(p);
}

static enum rebuy_status raw_read(struct rebuy__source *s, void *buf, size_t n, size_t *got,
                                  struct rebuy_error *err)
{
	if (s->head_pos < s->head_len) {
		size_t k = s->head_len - s->head_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->head + s->head_pos, k);
		s->head_pos += k;
		*got = k;
		return REBUY_OK;
	}
	if (s->reader) {
		enum rebuy_status st = s->reader(s->reader_ud, buf, n, got, err);
		if (st == REBUY_OK)
			s->raw_read += *got;
		return st;
	}
	if (s->mem) {
		size_t k = s->mem_len - s->mem_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->mem + s->mem_pos, k);
		s->mem_pos += k;
		s->raw_read += k;
		*got = k;
		return REBUY_OK;
	}
	for (;;) {
		ssize_t r = read(s->fd, buf, n);
		if (r >= 0) {
			*got = (size_t)r;
			s->raw_read += (uint64_t)r;
			return REBUY_OK;
		}
		if (errno != EINTR)
			return rebuy_error_set(err, REBUY_EIO, "%s: cannot read: %s", s->name,
			                       strerror(errno));
	}
}

enum rebuy_status rebuy__source_open(struct rebuy__source *s, const char *path,
                                     struct rebuy_error *err)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	if (strcmp(path, "-") == 0) {
		s->fd = 0;
		s->name = "(stdin)";
	} else {
		s->name = path;
		s->fd = open(path, O_RDONLY);
		if (s->fd < 0)
			return rebuy_error_set(err, REBUY_EIO, "%s: cannot open: %s", path,
			                       strerror(errno));
		s->owns_fd = 1;
		struct stat st;
		if (fstat(s->fd, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				rebuy__source_close(s);
				return rebuy_error_set(err, REBUY_EIO,
				                       "%s: is a directory, not a file", path);
			}
			if (S_ISREG(st.st_mode)) {
				s->size = (uint64_t)st.st_size;
				posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
			}
		}
	}
	return sniff_gzip(s, err);
}

enum rebuy_status rebuy__source_open_memory(struct rebuy__source *s, const char *name,
                                            const void *data, size_t len, struct rebuy_error *err)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->name = name;
	s->mem = data;
	s->mem_len = len;
	s->size = len;
	return sniff_gzip(s, err);
}

enum rebuy_status rebuy__source_open_reader(
        struct rebuy__source *s, const char *name,
        enum rebuy_status (*reader)(void *ud, char *buf, size_t n, size_t *got,
                                    struct rebuy_error *err),
        void *ud, struct rebuy_error *err)
{
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->name = name;
	s->reader = reader;
	s->reader_ud = ud;
	return sniff_gzip(s, err);
}

/* Reads the first two bytes and sets up inflate when they are gzip's magic
 * (1f 8b); they are handed out again by the first reads. */
static enum rebuy_status sniff_gzip(struct rebuy__source *s, struct rebuy_error *err)
{
	while (s->mem && s->head_len < 2 && s->mem_pos < s->mem_len) {
		s->head[s->head_len++] = s->mem[s->mem_pos++];
		s->raw_read++;
	}
	while (s->reader && s->head_len < 2) {
		size_t k;
		enum rebuy_status st = s->reader(s->reader_ud, (char *)s->head + s->head_len,
		                                 2 - s->head_len, &k, err);
		if (st) {
			rebuy__source_close(s);
			return st;
		}
		if (k == 0)
			break;
		s->head_len += k;
		s->raw_read += k;
	}
	while (!s->mem && !s->reader && s->head_len < 2) {
		ssize_t r = read(s->fd, s->head + s->head_len, 2 - s->head_len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rebuy_error_set(err, REBUY_EIO, "%s: cannot read: %s", s->name,
			                strerror(errno));
			rebuy__source_close(s);
			return REBUY_EIO;
		}
		if (r == 0)
			break;
		s->head_len += (size_t)r;
		s->raw_read += (uint64_t)r;
	}
	if (s->head_len == 2 && s->head[0] == 0x1f && s->head[1] == 0x8b) {
		s->is_gzip = 1;
		s->zin = rebuy__malloc(ZIN_SIZE);
		if (!s->zin) {
			rebuy__source_close(s);
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		}
		s->zs.zalloc = z_alloc;
		s->zs.zfree = z_free;
		s->zs.opaque = Z_NULL;
		if (inflateInit2(&s->zs, 15 + 16) != Z_OK) {
			rebuy__source_close(s);
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory (zlib)");
		}
		s->z_ready = 1;
	}
	return REBUY_OK;
}

static enum rebuy_status gz_read(struct rebuy__source *s, char *buf, size_t n, size_t *got,
                                 struct rebuy_error *err)
{
	s->zs.next_out = (unsigned char *)buf;
	s->zs.avail_out = n > (1u << 30) ? (1u << 30) : (unsigned)n;
	while (s->zs.avail_out > 0) {
		if (s->zs.avail_in == 0) {
			size_t k;
			enum rebuy_status st = raw_read(s, s->zin, ZIN_SIZE, &k, err);
			if (st)
				return st;
			if (k == 0) {
				if (!s->z_member_done)
					return rebuy_error_set(
					        err, REBUY_EDATA,
					        "%s: the gzip data ends early (truncated file?)",
					        s->name);
				s->at_eof = 1;
				break;
			}
			s->zs.next_in = s->zin;
			s->zs.avail_in = (unsigned)k;
		}
		if (s->z_member_done) {
			/* Another member follows, or trailing zero padding. */
			if (s->zs.next_in[0] == 0) {
				s->zs.avail_in = 0;
				continue;
			}
			if (inflateReset(&s->zs) != Z_OK)
				return rebuy_error_set(err, REBUY_EDATA, "%s: corrupt gzip data",
				                       s->name);
			s->z_member_done = 0;
		}
		int r = inflate(&s->zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			s->z_member_done = 1;
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			return rebuy_error_set(err, REBUY_EDATA, "%s: corrupt gzip data (%s)",
			                       s->name, s->zs.msg ? s->zs.msg : "inflate failed");
		}
	}
	*got = n - s->zs.avail_out;
	return REBUY_OK;
}

enum rebuy_status rebuy__source_read(struct rebuy__source *s, char *buf, size_t n, size_t *got,
                                     struct rebuy_error *err)
{
	*got = 0;
	if (s->at_eof || n == 0)
		return REBUY_OK;
	if (s->is_gzip)
		return gz_read(s, buf, n, got, err);
	size_t total = 0;
	/* Fill the buffer: pipes hand out small pieces. */
	while (total < n) {
		size_t k;
		enum rebuy_status st = raw_read(s, buf + total, n - total, &k, err);
		if (st)
			return st;
		if (k == 0) {
			s->at_eof = 1;
			break;
		}
		total += k;
	}
	*got = total;
	return REBUY_OK;
}

void rebuy__source_close(struct rebuy__source *s)
{
	if (s->z_ready)
		inflateEnd(&s->zs);
	s->z_ready = 0;
	rebuy__free(s->zin);
	s->zin = NULL;
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->owns_fd = 0;
}
