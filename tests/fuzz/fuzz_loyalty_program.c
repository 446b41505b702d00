/* Fuzz target for loyalty program files (rebuy__program_parse,
 * docs/loyalty.md "Program file"). Besides crashes and sanitizer reports it
 * checks invariants: an error is one printable line "fuzz.program:L:C: ..."
 * and leaves no program; a program's numbers lie in their documented
 * ranges, tier names are unique, and points computed from it for extreme
 * amounts, lines and tier factors are never negative and never overflow.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "loyalty/program.h"
#include "rebuy/loyalty.h"

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "fuzz_loyalty_program: %s:%d: check failed: %s\n", \
			        __FILE__, __LINE__, #cond);                                \
			abort();                                                           \
		}                                                                          \
	} while (0)

static void check_error(enum rebuy_status st, const struct rebuy_error *err,
                        const struct rebuy__program *p)
{
	CHECK(st == REBUY_EARG || st == REBUY_ELIMIT || st == REBUY_ENOMEM);
	CHECK(p == NULL);
	CHECK(err->code == st);
	size_t n = strlen(err->msg);
	CHECK(n > 0 && n < REBUY_ERROR_MSG_MAX);
	CHECK(strncmp(err->msg, "fuzz.program:", 13) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)err->msg[i] >= 0x20 && err->msg[i] != 0x7f);
	if (st == REBUY_EARG) {
		/* file:line:col: */
		unsigned line = 0, col = 0;
		CHECK(sscanf(err->msg + 13, "%u:%u:", &line, &col) == 2);
		CHECK(line >= 1 && col >= 1);
	}
}

static void check_program(const struct rebuy__program *p)
{
	CHECK(p->earn_points >= 0 && p->earn_points <= 1000000);
	CHECK(p->earn_per >= 1);
	CHECK(p->min_redemption >= 1);
	CHECK(p->tier_window_days >= 1 && p->tier_window_days <= 3660);
	CHECK(p->expiry_months >= 0 && p->pending_days >= 0);
	CHECK(p->n_mult <= LP_MAX_RULES && p->n_tiers <= 16 && p->n_bonus <= 16);
	for (size_t i = 0; i < p->n_tiers; i++) {
		CHECK(strlen(p->tier[i].name) >= 1 && strcmp(p->tier[i].name, "none") != 0);
		CHECK(p->tier[i].factor >= 1 && p->tier[i].threshold >= 0);
		for (size_t k = 0; k < i; k++)
			CHECK(strcmp(p->tier[i].name, p->tier[k].name) != 0);
	}
	for (size_t i = 0; i < p->n_mult; i++)
		CHECK(p->mult[i].factor >= 0 && p->mult[i].factor <= 1000 * LP_FACTOR_ONE);
	static const int64_t amounts[] = {0, 1, 9999, 10000, 123456789, INT64_MAX};
	struct rebuy_loyalty_line lines[3];
	for (size_t a = 0; a < sizeof amounts / sizeof *amounts; a++) {
		for (size_t t = 0; t <= p->n_tiers; t++) {
			int64_t f = t < p->n_tiers ? p->tier[t].factor : LP_FACTOR_ONE;
			int64_t v = rebuy__program_points(p, amounts[a], NULL, 0, f);
			CHECK(v >= 0);
			for (size_t k = 0; k < 3; k++) {
				lines[k].product = p->n_mult ? p->mult[0].key : "x";
				lines[k].category = p->n_mult > 1 ? p->mult[1].key : NULL;
				lines[k].quantity = 1;
				lines[k].amount = amounts[a];
			}
			CHECK(rebuy__program_points(p, amounts[a], lines, 3, f) >= 0);
		}
	}
	int tier = rebuy__program_tier(p, INT64_MAX, INT64_MAX);
	CHECK(tier >= -1 && tier < (int)p->n_tiers);
	CHECK(p->n_tiers == 0 || tier == (int)p->n_tiers - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rebuy__program *p = (struct rebuy__program *)&size; /* must be reset */
	struct rebuy_error err;
	rebuy_error_clear(&err);
	enum rebuy_status st =
	        rebuy__program_parse(&p, (const char *)data, size, "fuzz.program", &err);
	if (st != REBUY_OK) {
		check_error(st, &err, p);
		return 0;
	}
	CHECK(err.code == REBUY_OK);
	check_program(p);
	rebuy__free(p);
	return 0;
}
