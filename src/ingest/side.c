/* Small text helpers shared by the readers of side tables (campaigns,
 * surveys, touchpoints, attribution paths); see side.h. */
#include "ingest/side.h"

#include <string.h>

void rebuy__cut_textn(char *dst, size_t size, const char *s, size_t n)
{
	size_t k = n < size - 1 ? n : size - 1;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[k] = '\0';
	if (n > k && size > 4)
		memcpy(dst + size - 4, "...", 4);
}

void rebuy__cut_text(char *dst, size_t size, const char *s)
{
	rebuy__cut_textn(dst, size, s, strlen(s));
}

const char *rebuy__date_kind_name(enum rebuy_date_kind k)
{
	switch (k) {
	case REBUY_DATE_ISO: return "iso";
	case REBUY_DATE_YMD8: return "ymd";
	case REBUY_DATE_MDY: return "mdy";
	case REBUY_DATE_DMY: return "dmy";
	case REBUY_DATE_UNIX: return "unix";
	case REBUY_DATE_UNIX_MS: return "unix_ms";
	case REBUY_DATE_PATTERN: return "pattern";
	default: return "auto";
	}
}
