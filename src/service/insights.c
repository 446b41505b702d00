/* placeholder until the analytics are wired */
#include "core/mem.h"
#include "service/service_int.h"

void rebuy__svc_insights_reply(struct rebuy_service *s, const char *customer, int64_t now,
                               struct svc_response *rs)
{
	rebuy__svc_error(rs, 501, "not_implemented", "insights");
}
void rebuy__svc_report_reply(struct rebuy_service *s, int64_t now, struct svc_response *rs)
{
	rebuy__svc_error(rs, 501, "not_implemented", "report");
}
void rebuy__svc_insights_free(struct svc_insights *in)
{
	(void)in;
}
