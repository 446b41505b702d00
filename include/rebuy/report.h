/* rebuy — the HTML report: one self-contained file a retention team reads.
 *
 * From an orders table, rebuy_report_build computes everything the data
 * allows (the KPI pack and period metrics, cohorts, RFM, a customer-lifetime
 * model chosen on a holdout, what better retention is worth) and writes
 * one HTML document with inline CSS and inline SVG charts (rebuy/chart.h):
 * no script, no network, readable in light and dark mode, printable. Every
 * section is present when the data allows it and says in one line why not
 * otherwise. Labels, notes and number formats exist in English and Russian.
 *
 * The document depends only on the orders and the options: no clock, no
 * thread count, no randomness (the same input gives the same bytes).
 */
#ifndef REBUY_REPORT_H
#define REBUY_REPORT_H

#include <stdint.h>

#include "rebuy/attrib.h"
#include "rebuy/chart.h"
#include "rebuy/clv.h"
#include "rebuy/date.h"
#include "rebuy/error.h"
#include "rebuy/orders.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_report_options {
	const char *title;    /* NULL: "Repeat sales report" in the language */
	const char *currency; /* shown after money amounts ("$", "₽", "EUR"); NULL: none */
	enum rebuy_lang lang; /* default en */
	enum rebuy_period period; /* of the period charts and cohorts; default month */
	int has_as_of;
	int64_t as_of_day; /* default: the day after the last purchase */
	/* The lifetime model: bgnbd, mbgnbd or pnbd. Default (has_model 0): the
	 * one of BG/NBD and Pareto/NBD with the smaller mean absolute error on a
	 * holdout when one is possible, else the larger likelihood. */
	int has_model;
	enum rebuy_clv_model model;
	/* The calibration period's last day of the holdout check; default: two
	 * thirds into the purchase history when it spans 16 weeks or more. */
	int has_cal_end;
	int64_t cal_end;
	double clv_years;     /* the CLV horizon in years; 0: 3 */
	double margin;        /* share of spend that is profit; 0: 1 */
	double discount_rate; /* per year; < 0: 0.1 */
	double retention_lift; /* the "better retention" points as a fraction; 0: 0.05 */
	/* Attribution results (rebuy/attrib.h), borrowed during the call: the
	 * section "attribution" is shown (before "quality") only when set. */
	const struct rebuy_attrib *attrib;
	unsigned n_threads;   /* 0: one per online CPU; the report does not depend on it */
	/* Progress: called before each step with a short name; may be NULL. */
	void (*progress)(void *ud, const char *step);
	void *progress_ud;
};

void rebuy_report_options_init(struct rebuy_report_options *opts);

/* The names of the report's sections, in order (NULL-terminated): the ids
 * of its <section data-section="..."> elements. */
extern const char *const rebuy_report_sections[];

/* Builds the report of orders into out (appended). REBUY_EDATA when there
 * is no purchase; REBUY_EARG for inconsistent options; REBUY_ENOMEM. A
 * part the data does not allow (a model that cannot be fitted, no amounts
 * for money measures) is not an error: its section says why. */
enum rebuy_status rebuy_report_build(const struct rebuy_orders *orders,
                                     const struct rebuy_report_options *opts,
                                     struct rebuy_sbuf *out, struct rebuy_error *err);

#ifdef __cplusplus
}
#endif
#endif
