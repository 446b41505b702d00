/* Fuzz target for the RFM rules parser (rebuy_rfm_map_parse, docs/rfm.md).
 * The first byte picks the --bins given (none, or 3..10), the rest is the
 * rules text. Besides crashes and sanitizer reports it checks invariants:
 * a map's ranges lie in 1..bins, names are valid and not reserved, every
 * cell classifies into a segment or "other", the coverage count is right,
 * the map written as a rules file reads back to the same map, and an error
 * is one printable line naming the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rebuy/rfm.h"

#define CHECK(cond)                                                                            \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "fuzz_rfm_rules: %s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                                              \
			abort();                                                               \
		}                                                                              \
	} while (0)

static void check_error(enum rebuy_status st, const struct rebuy_error *err,
                        const struct rebuy_rfm_map *map)
{
	CHECK(st == REBUY_EARG || st == REBUY_ELIMIT || st == REBUY_ENOMEM);
	CHECK(map == NULL);
	CHECK(err->code == st);
	size_t n = strlen(err->msg);
	CHECK(n > 0 && n < REBUY_ERROR_MSG_MAX);
	CHECK(strncmp(err->msg, "fuzz.rules", 10) == 0 || strncmp(err->msg, "--bins", 6) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)err->msg[i] >= 0x20 && err->msg[i] != 0x7f);
}

static void check_name(const char *name)
{
	size_t n = strlen(name);
	CHECK(n > 0 && n <= REBUY_RFM_NAME_MAX);
	CHECK(name[0] != ' ' && name[n - 1] != ' ');
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)name[i] >= 0x20 && !strchr(",;\"=+@#*", name[i]));
	CHECK(strcmp(name, "other") != 0 && strcmp(name, "new") != 0);
}

static void check_map(const struct rebuy_rfm_map *m, unsigned bins_given)
{
	const unsigned b = m->bins;
	CHECK(b >= REBUY_RFM_BINS_MIN && b <= REBUY_RFM_BINS_MAX);
	CHECK(!bins_given || b == bins_given);
	CHECK(m->n_rules >= 1 && m->n_rules <= REBUY_RFM_MAX_RULES);
	CHECK(m->n_segments >= 1 && m->n_segments <= REBUY_RFM_MAX_SEGMENTS);
	CHECK(m->n_segments <= m->n_rules);
	for (size_t i = 0; i < m->n_segments; i++) {
		check_name(m->names[i]);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(m->names[i], m->names[k]) != 0);
	}
	int uses_m = 0;
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct rebuy_rfm_rule *x = &m->rules[i];
		CHECK(x->segment < m->n_segments);
		const struct rebuy_rfm_range *rs[3] = {&x->r, &x->f, &x->m};
		for (int k = 0; k < 3; k++)
			CHECK(rs[k]->lo >= 1 && rs[k]->lo <= rs[k]->hi && rs[k]->hi <= b);
		uses_m |= x->m.lo != 1 || x->m.hi != b;
	}
	CHECK(m->uses_m == uses_m);
	/* every cell: the first matching rule's segment, or other */
	size_t uncovered = 0;
	for (unsigned r = 1; r <= b; r++)
		for (unsigned f = 1; f <= b; f++)
			for (unsigned mm = 1; mm <= b; mm++) {
				size_t want = m->n_segments;
				for (size_t i = 0; i < m->n_rules; i++) {
					const struct rebuy_rfm_rule *x = &m->rules[i];
					if (r >= x->r.lo && r <= x->r.hi && f >= x->f.lo &&
					    f <= x->f.hi && mm >= x->m.lo && mm <= x->m.hi) {
						want = x->segment;
						break;
					}
				}
				CHECK(rebuy_rfm_map_classify(m, r, f, mm) == want);
				if (want == m->n_segments && (uses_m || mm == 1))
					uncovered++;
			}
	CHECK(m->n_uncovered == uncovered);
	CHECK(m->has_other == (uncovered > 0));
	CHECK(m->n_cells == (uses_m ? (size_t)b * b * b : (size_t)b * b));
	char buf[4096];
	for (size_t g = 0; g <= m->n_segments; g++) {
		size_t n = rebuy_rfm_map_describe(m, g, buf, sizeof buf);
		CHECK(n > 0);
		CHECK(n >= sizeof buf || strlen(buf) == n);
		CHECK(strlen(rebuy_rfm_map_segment_name(m, g)) > 0);
	}
}

/* The map as a rules file reads back to the same rules, names and cells. */
static void check_round_trip(const struct rebuy_rfm_map *m)
{
	size_t n = rebuy_rfm_map_format(m, NULL, 0);
	char *text = malloc(n + 1);
	CHECK(text != NULL);
	CHECK(rebuy_rfm_map_format(m, text, n + 1) == n);
	CHECK(strlen(text) == n);
	struct rebuy_rfm_map *back = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_rfm_map_parse(&back, text, n, "fuzz.rules", 0, &err);
	if (st == REBUY_ELIMIT) {
		/* 256 rules of long names can write more than 64 KiB */
		CHECK(n > REBUY_RFM_RULES_MAX_BYTES);
		free(text);
		return;
	}
	CHECK(st == REBUY_OK);
	CHECK(back->bins == m->bins);
	CHECK(back->n_rules == m->n_rules && back->n_segments == m->n_segments);
	for (size_t i = 0; i < m->n_segments; i++)
		CHECK(strcmp(back->names[i], m->names[i]) == 0);
	for (size_t i = 0; i < m->n_rules; i++) {
		const struct rebuy_rfm_rule *a = &m->rules[i], *z = &back->rules[i];
		CHECK(a->segment == z->segment);
		CHECK(a->r.lo == z->r.lo && a->r.hi == z->r.hi);
		CHECK(a->f.lo == z->f.lo && a->f.hi == z->f.hi);
		CHECK(a->m.lo == z->m.lo && a->m.hi == z->m.hi);
	}
	CHECK(memcmp(back->cell, m->cell, sizeof m->cell) == 0);
	rebuy_rfm_map_free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* 0: no --bins; otherwise 3..10 */
	unsigned bins = data[0] % 9 == 0 ? 0 : REBUY_RFM_BINS_MIN + (unsigned)(data[0] % 9) - 1;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct rebuy_rfm_map *map = (struct rebuy_rfm_map *)&bins; /* must be reset */
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st = rebuy_rfm_map_parse(&map, text, len, "fuzz.rules", bins, &err);
	if (st != REBUY_OK) {
		check_error(st, &err, map);
		return 0;
	}
	CHECK(err.code == REBUY_OK);
	check_map(map, bins);
	check_round_trip(map);
	rebuy_rfm_map_free(map);
	return 0;
}
