/* Fuzz target for the customer-lifetime inputs: the summary reader (x,
 * t_x, T[, monetary, x_holdout, periods, weights]) and the contracts reader
 * (start, end[, customer]) on the bytes after the first two, then a short
 * fit and the predictions on what was read. Options from the first bytes:
 *   byte 0  bit 0     contracts (else a summary)
 *           bits 1-3  contracts: the period (day .. year); has an as-of day
 *           bits 4-6  the model: bgnbd, mbgnbd, pnbd (summary); sbg (contracts)
 *           bit 7     also Gamma-Gamma spend
 *   byte 1            the as-of day offset (contracts), the fit's iterations
 * Besides crashes and sanitizer reports it checks invariants: a failure is
 * a clean status and a one-line message; read data obey the layout's rules
 * (0 <= t_x <= T, x whole, weights >= 0, sbg periods >= 1); a fit either
 * fails cleanly or gives parameters > 0 and a status; predictions are
 * probabilities in [0, 1] and expectations >= 0 where they are numbers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/clv_int.h"
#include "rebuy/clv.h"
#include "rebuy/table.h"

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_clv: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_error(const struct rebuy_error *err, enum rebuy_status st)
{
	CHECK(st != REBUY_OK);
	CHECK(err->code == st);
	CHECK(err->msg[0] != '\0' && strchr(err->msg, '\n') == NULL);
}

static void check_data(const struct rebuy_clv_data *d)
{
	for (size_t i = 0; i < d->n; i++) {
		CHECK(d->w[i] >= 0 && isfinite(d->w[i]));
		CHECK(d->x[i] >= 0 && d->x[i] == floor(d->x[i]));
		if (d->layout == REBUY_CLV_SURVIVAL) {
			CHECK(d->x[i] >= 1 && (d->t_x[i] == 0 || d->t_x[i] == 1));
		} else {
			CHECK(d->t_x[i] >= 0 && d->t_x[i] <= d->T[i]);
			CHECK(d->x[i] > 0 || d->t_x[i] == 0);
		}
	}
}

static void fit_and_predict(const struct rebuy_clv_data *d, enum rebuy_clv_model model, int spend,
                            int iterations)
{
	struct rebuy_clv_fit_options o;
	rebuy_clv_fit_options_init(&o);
	o.model = model;
	o.spend = spend && d->monetary;
	o.max_iter = iterations;
	o.n_threads = 1;
	struct rebuy_clv_fit f;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_clv_fit(d, &o, &f, &err);
	if (st != REBUY_OK) {
		check_error(&err, st);
		return;
	}
	for (int k = 0; k < f.est.n_params; k++)
		CHECK(f.est.params[k] > 0);
	CHECK(f.est.status[0] != '\0');
	if (model == REBUY_CLV_SBG) {
		for (int t = 0; t < 20; t++) {
			double s = rebuy_clv_survival(&f, t);
			CHECK(!(s < 0) && !(s > 1));
		}
		return;
	}
	if (d->n > 200)
		return;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.n_pmf = 3;
	po.n_threads = 1;
	struct rebuy_clv_prediction *p = malloc((d->n ? d->n : 1) * sizeof *p);
	if (!p)
		return;
	st = rebuy_clv_predict(&f, d, &po, p, &err);
	if (st != REBUY_OK) {
		check_error(&err, st);
	} else {
		for (size_t i = 0; i < d->n; i++) {
			CHECK(!(p[i].p_alive < 0) && !(p[i].p_alive > 1 + 1e-12));
			CHECK(!(p[i].log_p_alive > 1e-12));
			CHECK(!(p[i].expected_purchases < 0));
			CHECK(!(p[i].p_no_purchase < -1e-12) && !(p[i].p_no_purchase > 1 + 1e-12));
		}
	}
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t b0 = data[0], b1 = data[1];
	struct rebuy_table_options topts;
	rebuy_table_options_init(&topts);
	topts.path = "fuzz.csv";
	topts.data = data + 2;
	topts.data_len = size - 2;
	struct rebuy_clv_data *d = NULL;
	struct rebuy_error err = {0};
	enum rebuy_status st;
	int contracts = b0 & 1;
	if (contracts) {
		size_t young = 0;
		int has_as_of = (b0 >> 1) & 1;
		enum rebuy_period period = (enum rebuy_period)(((b0 >> 2) & 7) % 5);
		st = rebuy__clv_read_contracts(&topts, period, has_as_of, 18000 + 40 * (int64_t)b1,
		                               &d, &young, &err);
	} else {
		st = rebuy__clv_read_summary(&topts, &d, &err);
	}
	if (st != REBUY_OK) {
		check_error(&err, st);
		CHECK(d == NULL);
		return 0;
	}
	check_data(d);
	static const enum rebuy_clv_model continuous[] = {REBUY_CLV_BGNBD, REBUY_CLV_MBGNBD,
	                                                  REBUY_CLV_PNBD};
	enum rebuy_clv_model model = contracts ? REBUY_CLV_SBG
	                             : d->layout == REBUY_CLV_DISCRETE
	                                     ? REBUY_CLV_BGBB
	                                     : continuous[((b0 >> 4) & 7) % 3];
	fit_and_predict(d, model, b0 >> 7, 1 + b1 % 16);
	rebuy_clv_data_free(d);
	return 0;
}
