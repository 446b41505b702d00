/* Errors: the first one wins, messages are one line, nothing allocates. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rebuy/error.h"

void rebuy_error_clear(struct rebuy_error *err)
{
	if (err) {
		err->code = REBUY_OK;
		err->msg[0] = '\0';
	}
}

enum rebuy_status rebuy_error_set(struct rebuy_error *err, enum rebuy_status code, const char *fmt,
                                  ...)
{
	if (!err || err->code != REBUY_OK || code == REBUY_OK)
		return code;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	for (char *p = err->msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return code;
}

const char *rebuy_status_name(enum rebuy_status code)
{
	static const char *const names[REBUY_STATUS_COUNT] = {
	        [REBUY_OK] = "ok",
	        [REBUY_EDATA] = "data",
	        [REBUY_EIO] = "io",
	        [REBUY_ENOMEM] = "nomem",
	        [REBUY_ELIMIT] = "limit",
	        [REBUY_EARG] = "arg",
	        [REBUY_EINTERNAL] = "internal",
	};
	return (unsigned)code < REBUY_STATUS_COUNT ? names[code] : "unknown";
}
