/* M4 Weekly with rebuy's automatic ARIMA (or, with --ets, exponential
 * smoothing chosen by AICc): reads the M4 train/test files (quoted CSV: id,
 * then values, rows of unequal length), forecasts each series 13 steps as
 * non-seasonal (m = 1, as the M4 benchmark code treats weekly data), and
 * prints sMAPE, MASE and OWA (relative to Naive2, which for m = 1 is the
 * naive forecast) with the time of the forecasting loop alone. Usage:
 * forecast_bench [--ets] TRAIN TEST [ORDERS_OUT] (ORDERS_OUT: the ARIMA
 * orders or the ETS models chosen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebuy/forecast.h"

#define H 13

struct row {
	char id[32];
	double *v;
	size_t n;
};

static size_t read_rows(const char *path, struct row **out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		exit(1);
	}
	size_t cap = 1 << 20, n_rows = 0, rcap = 512;
	char *line = malloc(cap);
	struct row *rows = malloc(rcap * sizeof *rows);
	int first = 1;
	while (fgets(line, (int)cap, f)) {
		if (first) {
			first = 0;
			continue;
		}
		if (n_rows == rcap)
			rows = realloc(rows, (rcap *= 2) * sizeof *rows);
		struct row *r = &rows[n_rows++];
		r->n = 0;
		r->v = malloc(sizeof(double) * 4096);
		char *s = line, *tok;
		int col = 0;
		while ((tok = strsep(&s, ",")) != NULL) {
			char *q = tok;
			if (*q == '"')
				q++;
			char *e = strchr(q, '"');
			if (e)
				*e = '\0';
			if (col++ == 0) {
				snprintf(r->id, sizeof r->id, "%s", q);
				continue;
			}
			if (*q == '\0' || *q == '\n' || strcmp(q, "NA") == 0)
				continue;
			r->v[r->n++] = strtod(q, NULL);
		}
	}
	fclose(f);
	free(line);
	*out = rows;
	return n_rows;
}

/* Forecasts row r H steps into f by automatic ETS, the model into ord;
 * returns 1 when it failed (f is then the naive forecast). */
static int forecast_ets(const struct row *r, double *f, FILE *ord)
{
	struct rebuy_error err = {0};
	struct rebuy_ets_auto_options o;
	rebuy_ets_auto_options_init(&o);
	struct rebuy_ets *fit = NULL;
	int failed = 0;
	if (rebuy_ets_auto(r->v, r->n, &o, &fit, &err) != REBUY_OK ||
	    rebuy_ets_forecast(fit, H, 0.95, f, NULL, NULL, &err) != REBUY_OK) {
		failed = 1;
		rebuy_snaive_forecast(r->v, r->n, 1, H, 0.95, f, NULL, NULL, &err);
	}
	if (ord && fit) {
		char name[32];
		rebuy_ets_name(&fit->model, name, sizeof name);
		fprintf(ord, "%s,%s\n", r->id, name);
	}
	rebuy_ets_free(fit);
	return failed;
}

/* The same by automatic ARIMA (m = 1), the order into ord. */
static int forecast_arima(const struct row *r, double *f, FILE *ord)
{
	struct rebuy_error err = {0};
	struct rebuy_arima *fit = NULL;
	struct rebuy_arima_auto_options o;
	rebuy_arima_auto_options_init(&o);
	o.m = 1;
	int failed = 0;
	if (rebuy_arima_auto(r->v, r->n, &o, &fit, &err) != REBUY_OK ||
	    rebuy_arima_forecast(fit, H, 0.95, f, NULL, NULL, &err) != REBUY_OK) {
		failed = 1;
		rebuy_snaive_forecast(r->v, r->n, 1, H, 0.95, f, NULL, NULL, &err);
	}
	if (ord && fit)
		fprintf(ord, "%s,\"%d,%d,%d\"\n", r->id, fit->order.p, fit->order.d, fit->order.q);
	rebuy_arima_free(fit);
	return failed;
}

int main(int argc, char **argv)
{
	int ets = argc > 1 && strcmp(argv[1], "--ets") == 0;
	if (ets)
		argv++, argc--;
	if (argc < 3) {
		fprintf(stderr, "usage: forecast_bench [--ets] TRAIN TEST [ORDERS_OUT]\n");
		return 2;
	}
	struct row *tr, *te;
	size_t n = read_rows(argv[1], &tr), nt = read_rows(argv[2], &te);
	if (n != nt) {
		fprintf(stderr, "train has %zu series, test %zu\n", n, nt);
		return 1;
	}
	FILE *ord = argc > 3 ? fopen(argv[3], "w") : NULL;
	if (ord)
		fprintf(ord, ets ? "id,model\n" : "id,order_p_d_q_P_D_Q_m\n");
	double s_a = 0, m_a = 0, s_n = 0, m_n = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t failed = 0;
	for (size_t i = 0; i < n; i++) {
		double f[H], fn[H];
		struct rebuy_error err = {0};
		if (ets)
			failed += forecast_ets(&tr[i], f, ord);
		else
			failed += forecast_arima(&tr[i], f, ord);
		rebuy_snaive_forecast(tr[i].v, tr[i].n, 1, H, 0.95, fn, NULL, NULL, &err);
		struct rebuy_accuracy a, b;
		rebuy_forecast_accuracy(tr[i].v, tr[i].n, 1, te[i].v, f, H, &a);
		rebuy_forecast_accuracy(tr[i].v, tr[i].n, 1, te[i].v, fn, H, &b);
		s_a += a.smape, m_a += a.mase, s_n += b.smape, m_n += b.mase;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	s_a /= (double)n, m_a /= (double)n, s_n /= (double)n, m_n /= (double)n;
	printf("series %zu failed %zu seconds %.3f\n", n, failed, secs);
	printf("Naive2 sMAPE %.6f MASE %.6f OWA 1\n", s_n, m_n);
	printf("rebuy %s sMAPE %.6f MASE %.6f OWA %.6f\n", ets ? "ets" : "auto.arima", s_a, m_a,
	       0.5 * (s_a / s_n + m_a / m_n));
	if (ord)
		fclose(ord);
	return 0;
}
