/* Times `rebuy attribute --paths` in the library, as the command runs it:
 * the paths file's bytes (read once into memory, so that disk and page
 * cache are out of it) are parsed as a table (rebuy_table_read), read as
 * paths (rebuy_attrib_paths_read) and attributed with every model
 * (rebuy_attrib_compute: five heuristics and the exact first-order Markov
 * chain). Each of --repeat runs is timed per phase; prints one JSON line
 * with the medians and the credits of every model (for the peer's check).
 * Built and run by bench/run-attribute.sh.
 *
 * Usage: attribute_bench PATHS.csv [--repeat N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rebuy/attrib.h"
#include "rebuy/table.h"

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

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	size_t k;
	while (buf && (k = fread(buf + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	*n = len;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: attribute_bench PATHS.csv [--repeat N]\n");
		return 2;
	}
	int repeat = 21;
	if (argc == 4 && strcmp(argv[2], "--repeat") == 0)
		repeat = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
	size_t n = 0;
	char *data = slurp(argv[1], &n);
	if (!data) {
		fprintf(stderr, "attribute_bench: cannot read %s\n", argv[1]);
		return 1;
	}
	double *t_table = calloc((size_t)repeat, sizeof(double));
	double *t_paths = calloc((size_t)repeat, sizeof(double));
	double *t_models = calloc((size_t)repeat, sizeof(double));
	double *t_total = calloc((size_t)repeat, sizeof(double));
	struct rebuy_attrib *keep = NULL;
	struct rebuy_attrib_journeys *keep_j = NULL;
	for (int r = 0; r < repeat; r++) {
		struct rebuy_error err = {0};
		struct rebuy_table_options to;
		rebuy_table_options_init(&to);
		to.path = argv[1];
		to.data = data;
		to.data_len = n;
		double t0 = now();
		struct rebuy_table *t = NULL;
		struct rebuy_attrib_journeys *j = NULL;
		struct rebuy_attrib *a = NULL;
		if (rebuy_table_read(&t, &to, &err) != REBUY_OK)
			goto fail;
		double t1 = now();
		if (rebuy_attrib_paths_read(t, NULL, &j, &err) != REBUY_OK)
			goto fail;
		double t2 = now();
		if (rebuy_attrib_compute(j, NULL, &a, &err) != REBUY_OK)
			goto fail;
		double t3 = now();
		t_table[r] = t1 - t0;
		t_paths[r] = t2 - t1;
		t_models[r] = t3 - t2;
		t_total[r] = t3 - t0;
		rebuy_table_free(t);
		if (r == repeat - 1) {
			keep = a;
			keep_j = j;
		} else {
			rebuy_attrib_free(a);
			rebuy_attrib_journeys_free(j);
		}
		continue;
	fail:
		fprintf(stderr, "attribute_bench: %s\n", err.msg);
		return 1;
	}
	printf("{\"tool\": \"rebuy\", \"paths\": %zu, \"touches\": %llu, \"channels\": %zu, "
	       "\"runs\": %d, \"table_s\": %.6f, \"paths_s\": %.6f, \"models_s\": %.6f, "
	       "\"total_s\": %.6f, \"min_total_s\": %.6f, \"credits\": {",
	       keep_j->n_journeys, (unsigned long long)keep_j->n_touches, keep->n_channels, repeat,
	       median(t_table, repeat), median(t_paths, repeat), median(t_models, repeat),
	       median(t_total, repeat),
	       (qsort(t_total, (size_t)repeat, sizeof(double), cmp), t_total[0]));
	for (size_t c = 0; c < keep->n_channels; c++) {
		const struct rebuy_attrib_channel *ch = &keep->channels[c];
		printf("%s\"%s\": [", c ? ", " : "", ch->name);
		for (int m = 0; m < REBUY_ATTRIB_MODEL_COUNT; m++)
			printf("%s%.17g", m ? ", " : "", ch->conversions[m]);
		printf("]");
	}
	printf("}}\n");
	rebuy_attrib_free(keep);
	rebuy_attrib_journeys_free(keep_j);
	free(data);
	free(t_table);
	free(t_paths);
	free(t_models);
	free(t_total);
	return 0;
}
