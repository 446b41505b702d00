/* rebuy — errors.
 *
 * Every fallible call returns an enum rebuy_status and fills an optional
 * struct rebuy_error. The first error wins: once err->code is not REBUY_OK,
 * later calls to rebuy_error_set leave it alone. Filling it never allocates.
 */
#ifndef REBUY_ERROR_H
#define REBUY_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum rebuy_status {
	REBUY_OK = 0,
	REBUY_EDATA,  /* the input data cannot be used (bad date under --strict, no customer column,
	                 ...) */
	REBUY_EIO,    /* a file could not be opened, read or written */
	REBUY_ENOMEM, /* an allocation failed */
	REBUY_ELIMIT, /* a size limit was reached (row too long, too many columns, ...) */
	REBUY_EARG,   /* an argument or option is invalid */
	REBUY_EINTERNAL, /* a broken invariant inside rebuy: a bug */
	REBUY_STATUS_COUNT
};

#define REBUY_ERROR_MSG_MAX 512

struct rebuy_error {
	enum rebuy_status code;
	char msg[REBUY_ERROR_MSG_MAX]; /* one line, no trailing newline */
};

/* Resets err to REBUY_OK with an empty message. err may be NULL. */
void rebuy_error_clear(struct rebuy_error *err);

/* Fills err (when it holds no error yet) and returns code. err may be NULL.
 * The message is cut to REBUY_ERROR_MSG_MAX - 1 bytes and any newline in it
 * is replaced by a space, so the message is always one line. */
enum rebuy_status rebuy_error_set(struct rebuy_error *err, enum rebuy_status code, const char *fmt,
                                  ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

/* A short, stable name for a status ("data", "io", "nomem", ...). */
const char *rebuy_status_name(enum rebuy_status code);

#ifdef __cplusplus
}
#endif
#endif
