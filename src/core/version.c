/* The library's version string, set by the build. */
#include "rebuy/rebuy.h"

const char *rebuy_version(void)
{
	return REBUY_VERSION;
}
