/* rebuy — a repeat-sales engine. This header includes the whole public API.
 *
 * Pipeline: input (input.h, db.h) -> orders table (orders.h) -> per-customer
 * summary (customers.h) -> measures (summary.h, cohorts.h, rfm.h) -> writers
 * (doc.h).
 * Models and actions: lifetime models (clv.h), features (features.h),
 * audiences (audiences.h), propensity (propensity.h), clusters (cluster.h),
 * baskets and recommendations (basket.h, recommend.h), campaigns (uplift.h),
 * surveys (survey.h), attribution (attrib.h), forecasts (forecast.h), the
 * report and its charts (report.h, chart.h), the loyalty ledger (loyalty.h)
 * and its HTTP service (service.h).
 * Errors: error.h. Allocation hook: alloc.h. Dates: date.h. Money: money.h.
 * Synthetic data: gen.h.
 */
#ifndef REBUY_REBUY_H
#define REBUY_REBUY_H

#include "rebuy/alloc.h"
#include "rebuy/attrib.h"
#include "rebuy/audiences.h"
#include "rebuy/basket.h"
#include "rebuy/chart.h"
#include "rebuy/cluster.h"
#include "rebuy/clv.h"
#include "rebuy/cohorts.h"
#include "rebuy/customers.h"
#include "rebuy/date.h"
#include "rebuy/db.h"
#include "rebuy/doc.h"
#include "rebuy/error.h"
#include "rebuy/features.h"
#include "rebuy/forecast.h"
#include "rebuy/gen.h"
#include "rebuy/input.h"
#include "rebuy/money.h"
#include "rebuy/loyalty.h"
#include "rebuy/orders.h"
#include "rebuy/propensity.h"
#include "rebuy/recommend.h"
#include "rebuy/report.h"
#include "rebuy/rfm.h"
#include "rebuy/service.h"
#include "rebuy/summary.h"
#include "rebuy/survey.h"
#include "rebuy/table.h"
#include "rebuy/uplift.h"

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *rebuy_version(void);

#endif
