/* Byte sources: a file, standard input ("-"), either one gzip-compressed
 * (detected by its magic bytes, not its name; concatenated members are read
 * in turn). Reads are plain read(2) calls into the caller's buffer. */
#ifndef REBUY_INGEST_SOURCE_H
#define REBUY_INGEST_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "rebuy/error.h"

struct rebuy__source {
	int fd;
	int owns_fd;
	int is_gzip;
	int at_eof;
	const char *name;   /* for messages; borrowed */
	uint64_t size;      /* of the file on disk, 0 when unknown (a pipe) */
	uint64_t raw_read;  /* bytes read from the file so far */
	unsigned char *zin; /* compressed input buffer (gzip only) */
	size_t zin_len;
	z_stream zs;
	int z_ready, z_member_done;
	const unsigned char *mem; /* an in-memory source, or NULL */
	size_t mem_len, mem_pos;
	/* a reader function, or NULL */
	enum rebuy_status (*reader)(void *ud, char *buf, size_t n, size_t *got,
	                            struct rebuy_error *err);
	void *reader_ud;
	unsigned char head[4]; /* bytes read while sniffing the magic */
	size_t head_len, head_pos;
};

enum rebuy_status rebuy__source_open(struct rebuy__source *s, const char *path,
                                     struct rebuy_error *err);
/* A source over bytes in memory (borrowed until closed); name is for messages. */
enum rebuy_status rebuy__source_open_memory(struct rebuy__source *s, const char *name,
                                            const void *data, size_t len, struct rebuy_error *err);

/* A source over a reader function (rebuy_input_options.read). */
enum rebuy_status rebuy__source_open_reader(
        struct rebuy__source *s, const char *name,
        enum rebuy_status (*reader)(void *ud, char *buf, size_t n, size_t *got,
                                    struct rebuy_error *err),
        void *ud, struct rebuy_error *err);

/* Reads up to n bytes (decompressed); *got = 0 means the end. */
enum rebuy_status rebuy__source_read(struct rebuy__source *s, char *buf, size_t n, size_t *got,
                                     struct rebuy_error *err);

void rebuy__source_close(struct rebuy__source *s);

#endif
