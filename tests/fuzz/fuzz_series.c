/* Fuzz target for series files (rebuy_series_read, rebuy forecast --series)
 * and the forecasts made from them. The first byte picks options:
 *   bits 0-1  the season: 1, 4, 7 or 12   bit 2  the value column by name "value"
 *   bit 3     also forecast by seasonal naive
 * The rest is read as a table. Besides crashes and sanitizer reports it
 * checks: a failure is a status with one printable line; a series has one
 * value per row, all finite; a series of at most 120 values goes through
 * the automatic ARIMA (which may refuse it cleanly) and its forecast
 * intervals hold the forecast. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/forecast.h"
#include "rebuy/table.h"

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz_series: %s:%d: check failed: %s\n", __FILE__,   \
			        __LINE__, #cond);                                             \
			abort();                                                              \
		}                                                                             \
	} while (0)

static void check_error(const struct rebuy_error *err)
{
	CHECK(err->code != REBUY_OK);
	CHECK(err->msg[0] != '\0');
	CHECK(strchr(err->msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const int seasons[4] = {1, 4, 7, 12};
	int m = seasons[data[0] & 3];
	struct rebuy_table_options to;
	rebuy_table_options_init(&to);
	to.path = "series.csv";
	to.data = data + 1;
	to.data_len = size - 1;
	struct rebuy_error err = {0};
	struct rebuy_table *t = NULL;
	if (rebuy_table_read(&t, &to, &err) != REBUY_OK) {
		check_error(&err);
		return 0;
	}
	struct rebuy_series *s = NULL;
	if (rebuy_series_read(t, (data[0] & 4) ? "value" : NULL, &s, &err) != REBUY_OK) {
		check_error(&err);
		CHECK(s == NULL);
		rebuy_table_free(t);
		return 0;
	}
	CHECK(s->n == t->n_rows);
	for (size_t i = 0; i < s->n; i++) {
		CHECK(isfinite(s->values[i]));
		CHECK(rebuy_series_label(s, i) != NULL);
	}
	if (s->n <= 120) {
		struct rebuy_arima_auto_options o;
		rebuy_arima_auto_options_init(&o);
		o.m = (size_t)m * 2 < s->n ? m : 1;
		struct rebuy_arima *fit = NULL;
		struct rebuy_error e2 = {0};
		if (rebuy_arima_auto(s->values, s->n, &o, &fit, &e2) == REBUY_OK) {
			double f[6], lo[6], hi[6];
			struct rebuy_error e3 = {0};
			if (rebuy_arima_forecast(fit, 6, 0.9, f, lo, hi, &e3) == REBUY_OK) {
				for (int i = 0; i < 6; i++)
					CHECK(!(lo[i] > f[i]) && !(f[i] > hi[i]));
			} else {
				check_error(&e3);
			}
			rebuy_arima_free(fit);
		} else {
			check_error(&e2);
		}
		if ((data[0] & 8) && s->n >= (size_t)m) {
			double f[6];
			CHECK(rebuy_snaive_forecast(s->values, s->n, m, 6, 0.9, f, NULL, NULL, &err) ==
			      REBUY_OK);
		}
	}
	rebuy_series_free(s);
	rebuy_table_free(t);
	return 0;
}
