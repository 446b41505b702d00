/* Times the customer-lifetime model fits and predictions of rebuy's library
 * on an order file: the orders are loaded once, then each fit (Pareto/NBD,
 * BG/NBD) and the predictions for every customer run --repeat times; prints
 * the medians as JSON lines. With --summary-out FILE it also writes the
 * per-customer summary (x, t_x, T) for the peers. Built and run by
 * bench/run-clv.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebuy/clv.h"
#include "rebuy/rebuy.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
	const char *path = NULL, *summary_out = NULL;
	int repeat = 5;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--summary-out") && i + 1 < argc)
			summary_out = argv[++i];
		else
			path = argv[i];
	}
	if (!path || repeat < 1 || repeat > 100) {
		fprintf(stderr, "usage: clv_bench ORDERS.csv [--repeat N] [--summary-out FILE]\n");
		return 2;
	}
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.path = path;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	double t0 = now();
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK) {
		fprintf(stderr, "clv_bench: %s\n", err.msg);
		return 1;
	}
	double t_load = now() - t0;
	t0 = now();
	struct rebuy_clv_data *d = NULL;
	if (rebuy_clv_data_from_orders(o, o->last_day, REBUY_UNIT_WEEK, &d, &err) != REBUY_OK) {
		fprintf(stderr, "clv_bench: %s\n", err.msg);
		return 1;
	}
	double t_data = now() - t0;
	printf("{\"step\": \"load\", \"seconds\": %.3f, \"customers\": %zu}\n", t_load, d->n);
	printf("{\"step\": \"summary\", \"seconds\": %.3f}\n", t_data);
	if (summary_out) {
		FILE *f = fopen(summary_out, "w");
		if (!f) {
			perror(summary_out);
			return 1;
		}
		fprintf(f, "x,t_x,T\n");
		for (size_t i = 0; i < d->n; i++)
			fprintf(f, "%.17g,%.17g,%.17g\n", d->x[i], d->t_x[i], d->T[i]);
		if (fclose(f)) {
			perror(summary_out);
			return 1;
		}
	}
	struct rebuy_clv_prediction *pred = malloc(d->n * sizeof *pred);
	if (!pred)
		return 1;
	static const enum rebuy_clv_model models[] = {REBUY_CLV_PNBD, REBUY_CLV_BGNBD};
	for (int m = 0; m < 2; m++) {
		double fit_s[100], pred_s[100];
		struct rebuy_clv_fit fit;
		for (int k = 0; k < repeat; k++) {
			struct rebuy_clv_fit_options fo;
			rebuy_clv_fit_options_init(&fo);
			fo.model = models[m];
			t0 = now();
			if (rebuy_clv_fit(d, &fo, &fit, &err) != REBUY_OK) {
				fprintf(stderr, "clv_bench: %s\n", err.msg);
				return 1;
			}
			fit_s[k] = now() - t0;
			struct rebuy_clv_predict_options po;
			rebuy_clv_predict_options_init(&po);
			t0 = now();
			if (rebuy_clv_predict(&fit, d, &po, pred, &err) != REBUY_OK) {
				fprintf(stderr, "clv_bench: %s\n", err.msg);
				return 1;
			}
			pred_s[k] = now() - t0;
		}
		printf("{\"step\": \"fit\", \"model\": \"%s\", \"seconds\": %.3f, \"rows\": %zu, "
		       "\"iterations\": %d, \"evaluations\": %d, \"status\": \"%s\", "
		       "\"log_likelihood\": %.6f, \"params\": [%.6g, %.6g, %.6g, %.6g]}\n",
		       rebuy_clv_model_name(models[m]), median(fit_s, repeat), fit.est.n_rows,
		       fit.est.iterations, fit.est.evaluations, fit.est.status,
		       fit.est.log_likelihood, fit.est.params[0], fit.est.params[1],
		       fit.est.params[2], fit.est.params[3]);
		printf("{\"step\": \"predict\", \"model\": \"%s\", \"seconds\": %.3f}\n",
		       rebuy_clv_model_name(models[m]), median(pred_s, repeat));
		fflush(stdout);
	}
	free(pred);
	rebuy_clv_data_free(d);
	rebuy_orders_free(o);
	return 0;
}
