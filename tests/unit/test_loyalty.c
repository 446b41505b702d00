/* Unit tests for the loyalty ledger (include/rebuy/loyalty.h,
 * docs/loyalty.md) on SQLite files in a temporary directory: accrual with
 * multipliers, the Nth-order and birthday bonuses, tiers, redemption, FIFO
 * lots, expiry, pending points, partial refunds and debt, idempotency at both
 * levels, API keys, paging, verify catching tampering, forget, and threads
 * sending duplicates at once. Every expected number is worked out by hand in
 * the comment next to it (points round down).
 */
#include "testutil.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/mem.h"
#include "loyalty/program.h"
#include "rebuy/date.h"
#include "rebuy/loyalty.h"

#define U 10000 /* one currency unit in money units */

static char dir[256];
static int db_counter;

static const char program_text[] = "# the test program\n"
                                   "earn 1 per 1\n"
                                   "multiplier category shoes 2\n"
                                   "multiplier product SKU-9 3\n"
                                   "order_bonus 2 50\n"
                                   "birthday_bonus 100\n"
                                   "tier silver spend 500 multiplier 1.5 perk free_shipping\n"
                                   "tier gold points 2000 multiplier 2 perk \"early access\"\n"
                                   "min_redemption 100\n"
                                   "expiry_months 12\n";

static int64_t at(int y, unsigned m, unsigned d)
{
	return rebuy_days_from_civil(y, m, d) * 86400 + 12 * 3600;
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof dir, "/tmp/rebuy-loyalty-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A new ledger file with the program text; returns its path (static). */
static const char *new_db(const char *program)
{
	static char path[320];
	char prog[320];
	snprintf(prog, sizeof prog, "%s/program-%d.txt", dir, ++db_counter);
	FILE *f = fopen(prog, "w");
	assert_non_null(f);
	fputs(program, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/ledger-%d.db", dir, db_counter);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_init(path, prog, &err) != REBUY_OK)
		fail_msg("init: %s", err.msg);
	return path;
}

static struct rebuy_loyalty *open_db(const char *path)
{
	struct rebuy_loyalty *l = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_open(&l, path, &err) != REBUY_OK)
		fail_msg("open: %s", err.msg);
	return l;
}

static struct rebuy_loyalty *fresh(void)
{
	return open_db(new_db(program_text));
}

/* The integer after "key": in a JSON reply (the first occurrence). */
static int64_t num(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	if (!p)
		fail_msg("no %s in %s", key, json);
	return strtoll(p + strlen(pat), NULL, 10);
}

static struct rebuy_loyalty_reply order_lines(struct rebuy_loyalty *l, const char *key,
                                              const char *customer, const char *id, int64_t t,
                                              const struct rebuy_loyalty_line *lines, size_t n,
                                              int64_t amount, const char *birthday)
{
	struct rebuy_loyalty_request req = {key, {0}};
	if (key) {
		/* the body digest: here a function of the order's fields */
		snprintf((char *)req.body_digest, sizeof req.body_digest, "%s|%lld", id,
		         (long long)amount);
	}
	struct rebuy_loyalty_order o = {customer, id, t, amount, lines, n, birthday};
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_accrue(l, key ? &req : NULL, &o, &r, &err) != REBUY_OK)
		fail_msg("accrue: %s", err.msg);
	return r;
}

static struct rebuy_loyalty_reply order(struct rebuy_loyalty *l, const char *customer,
                                        const char *id, int64_t t, int64_t amount)
{
	return order_lines(l, NULL, customer, id, t, NULL, 0, amount, NULL);
}

/* Accrues and checks the status and the points; returns the points. */
static int64_t accrue_ok(struct rebuy_loyalty *l, const char *customer, const char *id, int64_t t,
                         int64_t amount)
{
	struct rebuy_loyalty_reply r = order(l, customer, id, t, amount);
	assert_int_equal(r.status, 201);
	int64_t p = num(r.body, "points");
	rebuy_loyalty_reply_release(&r);
	return p;
}

static struct rebuy_loyalty_reply customer(struct rebuy_loyalty *l, const char *id, int64_t now)
{
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_customer(l, id, now, &r, &err) != REBUY_OK)
		fail_msg("customer: %s", err.msg);
	return r;
}

static int64_t available(struct rebuy_loyalty *l, const char *id, int64_t now)
{
	struct rebuy_loyalty_reply r = customer(l, id, now);
	assert_int_equal(r.status, 200);
	int64_t v = num(r.body, "available");
	rebuy_loyalty_reply_release(&r);
	return v;
}

static struct rebuy_loyalty_reply redeem(struct rebuy_loyalty *l, const char *customer_id,
                                         const char *id, int64_t t, int64_t points)
{
	struct rebuy_loyalty_redemption x = {customer_id, id, t, points, "voucher"};
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_redeem(l, NULL, &x, &r, &err) != REBUY_OK)
		fail_msg("redeem: %s", err.msg);
	return r;
}

static struct rebuy_loyalty_reply refund(struct rebuy_loyalty *l, const char *customer_id,
                                         const char *id, const char *order_id, int64_t t,
                                         int64_t amount)
{
	struct rebuy_loyalty_refund x = {customer_id, id, order_id, t, amount, NULL, 0};
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_refund(l, NULL, &x, &r, &err) != REBUY_OK)
		fail_msg("refund: %s", err.msg);
	return r;
}

static void verify_ok(struct rebuy_loyalty *l)
{
	struct rebuy_loyalty_verify_report rep;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_verify(l, &rep, &err) != REBUY_OK)
		fail_msg("verify: %s", err.msg);
}

static int64_t expire(struct rebuy_loyalty *l, int64_t now, const char *what)
{
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_expire(l, now, &r, &err) != REBUY_OK)
		fail_msg("expire: %s", err.msg);
	int64_t v = num(r.body, what);
	rebuy_loyalty_reply_release(&r);
	return v;
}

/* ---- accrual and rules ---- */

static void test_loyalty__accrual_rounds_down(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	/* 123.45 at 1 point per unit: 123 */
	assert_int_equal(accrue_ok(l, "c1", "o1", at(2025, 1, 10), 1234500), 123);
	assert_int_equal(available(l, "c1", at(2025, 1, 11)), 123);
	struct rebuy_loyalty_reply r = customer(l, "nobody", at(2025, 1, 11));
	assert_int_equal(r.status, 404);
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__multipliers_by_product_then_category(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_line lines[] = {
	        {"SKU-1", "shoes", 1, 100 * U}, /* category x2: 200 */
	        {"SKU-9", "shoes", 2, 10 * U},  /* the product's x3 wins: 30 */
	        {"SKU-5", "socks", 1, 55000},   /* 5.5 at x1: 5 */
	};
	struct rebuy_loyalty_reply r =
	        order_lines(l, NULL, "c1", "o1", at(2025, 1, 10), lines, 3, 1155000, NULL);
	assert_int_equal(r.status, 201);
	assert_int_equal(num(r.body, "points"), 235);
	rebuy_loyalty_reply_release(&r);
	/* times and amounts out of range: 400 */
	r = order_lines(l, NULL, "c1", "o3", INT64_MAX, NULL, 0, U, NULL);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	r = order_lines(l, NULL, "c1", "o3", at(2025, 1, 10), NULL, 0, INT64_MAX, NULL);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	r = customer(l, "c1", INT64_MIN);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	/* lines that do not add up to the amount: 400 */
	r = order_lines(l, NULL, "c1", "o2", at(2025, 1, 10), lines, 3, 1000, NULL);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__second_order_bonus(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	assert_int_equal(accrue_ok(l, "c1", "o1", at(2025, 1, 10), 10 * U), 10);
	struct rebuy_loyalty_reply r = order(l, "c1", "o2", at(2025, 2, 10), 20 * U);
	assert_int_equal(r.status, 201);
	/* 20 base + 50 for the second order */
	assert_int_equal(num(r.body, "points"), 70);
	assert_non_null(strstr(r.body, "\"rule\":\"order_bonus:2\""));
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(accrue_ok(l, "c1", "o3", at(2025, 3, 10), 5 * U), 5);
	assert_int_equal(available(l, "c1", at(2025, 3, 11)), 85);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__birthday_bonus_once_a_year(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_reply r =
	        order_lines(l, NULL, "c1", "o1", at(2025, 2, 10), NULL, 0, 10 * U, "03-15");
	assert_int_equal(num(r.body, "points"), 10); /* February: no bonus */
	rebuy_loyalty_reply_release(&r);
	/* March: 10 + 50 (second order) + 100 (birthday month) */
	assert_int_equal(accrue_ok(l, "c1", "o2", at(2025, 3, 2), 10 * U), 160);
	assert_int_equal(accrue_ok(l, "c1", "o3", at(2025, 3, 20), 10 * U), 10); /* once a year */
	assert_int_equal(accrue_ok(l, "c1", "o4", at(2026, 3, 1), 10 * U), 110); /* next year */
	r = order_lines(l, NULL, "c2", "o5", at(2025, 3, 1), NULL, 0, 10 * U, "02-30");
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__tier_by_rolling_spend(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	accrue_ok(l, "c1", "o1", at(2025, 1, 10), 300 * U); /* 300, no tier */
	assert_int_equal(accrue_ok(l, "c1", "o2", at(2025, 2, 10), 250 * U), 300); /* 250+50 */
	struct rebuy_loyalty_reply r = customer(l, "c1", at(2025, 2, 11));
	assert_non_null(strstr(r.body, "\"tier\":{\"name\":\"silver\",\"multiplier\":\"1.5\""));
	assert_non_null(strstr(r.body, "\"perks\":[\"free_shipping\"]"));
	/* next: gold by points, 600 of 2000 */
	assert_non_null(strstr(r.body, "\"next_tier\":{\"name\":\"gold\",\"basis\":\"points\","
	                               "\"threshold\":2000,\"needed\":1400,\"progress\":\"0.3\"}"));
	rebuy_loyalty_reply_release(&r);
	/* silver from 550 spent in the 12 months before: 100 at x1.5 = 150 */
	r = order(l, "c1", "o3", at(2025, 3, 10), 100 * U);
	assert_int_equal(num(r.body, "points"), 150);
	assert_non_null(strstr(r.body, "\"tier\":\"silver\""));
	rebuy_loyalty_reply_release(&r);
	/* 13 months after February the window holds only March's 100: no tier */
	assert_int_equal(accrue_ok(l, "c1", "o4", at(2026, 3, 1), 100 * U), 100);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__redemption_minimum_and_balance(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	accrue_ok(l, "c1", "o1", at(2025, 1, 10), 150 * U);
	struct rebuy_loyalty_reply r = redeem(l, "c1", "r1", at(2025, 1, 11), 50);
	assert_int_equal(r.status, 422);
	assert_non_null(strstr(r.body, "below_minimum"));
	rebuy_loyalty_reply_release(&r);
	r = redeem(l, "c1", "r2", at(2025, 1, 11), 151);
	assert_int_equal(r.status, 422);
	assert_non_null(strstr(r.body, "insufficient_points"));
	rebuy_loyalty_reply_release(&r);
	r = redeem(l, "c1", "r3", at(2025, 1, 11), 120);
	assert_int_equal(r.status, 201);
	assert_int_equal(num(r.body, "available"), 30);
	rebuy_loyalty_reply_release(&r);
	r = redeem(l, "nobody", "r4", at(2025, 1, 11), 120);
	assert_int_equal(r.status, 404);
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__fifo_lots_and_expiry(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	accrue_ok(l, "c1", "o1", at(2025, 1, 10), 100 * U); /* lot 1: 100, expires 2026-01-10 */
	accrue_ok(l, "c1", "o2", at(2025, 6, 10), 150 * U); /* lot 2: 150 + lot 3: 50 (bonus) */
	struct rebuy_loyalty_reply r = redeem(l, "c1", "r1", at(2025, 7, 1), 120);
	assert_int_equal(r.status, 201);
	rebuy_loyalty_reply_release(&r);
	/* FIFO: lot 1 gives 100, lot 2 gives 20, so nothing of lot 1 is left to expire */
	assert_int_equal(expire(l, at(2026, 1, 11), "expired"), 0);
	assert_int_equal(available(l, "c1", at(2026, 1, 11)), 180);
	/* 2026-06-10: lots 2 (130 left) and 3 (50) expire */
	r = customer(l, "c1", at(2026, 5, 20));
	assert_int_equal(num(r.body, "expiring_points"), 180);
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(expire(l, at(2026, 6, 10), "expired"), 180);
	assert_int_equal(available(l, "c1", at(2026, 6, 11)), 0);
	assert_int_equal(expire(l, at(2026, 6, 10), "expired"), 0); /* twice: nothing more */
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__pending_points_are_released(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = open_db(new_db("earn 1 per 2\npending_days 14\n"));
	struct rebuy_loyalty_reply r = order(l, "c1", "o1", at(2025, 1, 1), 99 * U);
	assert_int_equal(num(r.body, "points"), 49); /* 99 / 2 rounded down */
	assert_int_equal(num(r.body, "pending"), 49);
	assert_int_equal(num(r.body, "available"), 0);
	rebuy_loyalty_reply_release(&r);
	r = redeem(l, "c1", "r1", at(2025, 1, 10), 10);
	assert_int_equal(r.status, 422); /* still pending */
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(expire(l, at(2025, 1, 15), "released"), 49);
	assert_int_equal(available(l, "c1", at(2025, 1, 16)), 49);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__partial_refunds_and_debt(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	accrue_ok(l, "c1", "o1", at(2025, 1, 10), 200 * U); /* 200 */
	accrue_ok(l, "c1", "o2", at(2025, 1, 11), 99 * U);  /* 99 + 50 bonus */
	struct rebuy_loyalty_reply r = refund(l, "c1", "f1", "o2", at(2025, 1, 12), 33 * U);
	assert_int_equal(r.status, 201);
	/* a third of the order: floor(99 * 33 / 99) = 33 of base, the bonus stays */
	assert_int_equal(num(r.body, "points_reversed"), 33);
	rebuy_loyalty_reply_release(&r);
	r = refund(l, "c1", "f2", "o2", at(2025, 1, 12), 67 * U);
	assert_int_equal(r.status, 422); /* 33 + 67 > 99 */
	rebuy_loyalty_reply_release(&r);
	r = refund(l, "c1", "f3", "o2", at(2025, 1, 12), 66 * U);
	/* the rest: 66 of base and the 50 of the bonus */
	assert_int_equal(num(r.body, "points_reversed"), 116);
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(available(l, "c1", at(2025, 1, 13)), 200);
	/* spend it all, then refund o1 in full: 200 points of debt */
	r = redeem(l, "c1", "r1", at(2025, 1, 14), 200);
	assert_int_equal(r.status, 201);
	rebuy_loyalty_reply_release(&r);
	r = refund(l, "c1", "f4", "o1", at(2025, 1, 15), 200 * U);
	assert_int_equal(num(r.body, "debt_added"), 200);
	assert_int_equal(num(r.body, "available"), -200);
	rebuy_loyalty_reply_release(&r);
	/* the next earnings repay the debt first */
	accrue_ok(l, "c1", "o3", at(2025, 1, 16), 50 * U);
	r = customer(l, "c1", at(2025, 1, 17));
	assert_int_equal(num(r.body, "available"), -150);
	assert_int_equal(num(r.body, "debt"), 150);
	rebuy_loyalty_reply_release(&r);
	r = refund(l, "c1", "f5", "nope", at(2025, 1, 15), U);
	assert_int_equal(r.status, 404);
	rebuy_loyalty_reply_release(&r);
	r = refund(l, "c2", "f6", "o3", at(2025, 1, 15), U);
	assert_int_equal(r.status, 422);
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static void test_loyalty__refund_of_lines_reverses_their_points(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_line lines[] = {
	        {"SKU-1", "shoes", 1, 100 * U}, /* x2: 200 */
	        {"SKU-5", "socks", 1, 50 * U},  /* x1: 50 */
	};
	struct rebuy_loyalty_reply r =
	        order_lines(l, NULL, "c1", "o1", at(2025, 1, 10), lines, 2, 150 * U, NULL);
	assert_int_equal(num(r.body, "points"), 250);
	rebuy_loyalty_reply_release(&r);
	/* the shoes come back: their 200 points, not a third of 250 */
	struct rebuy_loyalty_refund x = {"c1", "f1", "o1", at(2025, 1, 12), 100 * U, lines, 1};
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_refund(l, NULL, &x, &r, &err), REBUY_OK);
	assert_int_equal(r.status, 201);
	assert_int_equal(num(r.body, "points_reversed"), 200);
	rebuy_loyalty_reply_release(&r);
	/* the same refund id again: the first answer, nothing more reversed */
	assert_int_equal(rebuy_loyalty_refund(l, NULL, &x, &r, &err), REBUY_OK);
	assert_int_equal(r.status, 200);
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(available(l, "c1", at(2025, 1, 13)), 50);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

static struct rebuy_loyalty_reply adjust(struct rebuy_loyalty *l, const char *customer_id,
                                         const char *id, int64_t points)
{
	struct rebuy_loyalty_adjustment x = {customer_id, id, at(2025, 2, 1), points, "goodwill"};
	struct rebuy_loyalty_reply r;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	if (rebuy_loyalty_adjust(l, NULL, &x, &r, &err) != REBUY_OK)
		fail_msg("adjust: %s", err.msg);
	return r;
}

static void test_loyalty__adjustments_both_ways(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_reply r = adjust(l, "c9", "a1", 300); /* a new customer */
	assert_int_equal(r.status, 201);
	assert_int_equal(num(r.body, "available"), 300);
	rebuy_loyalty_reply_release(&r);
	r = adjust(l, "c9", "a2", -120);
	assert_int_equal(r.status, 201);
	assert_int_equal(num(r.body, "available"), 180);
	rebuy_loyalty_reply_release(&r);
	r = adjust(l, "c9", "a3", -181);
	assert_int_equal(r.status, 422);
	rebuy_loyalty_reply_release(&r);
	r = adjust(l, "c9", "a4", 0);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	r = adjust(l, "c9", "a1", 300); /* the same adjustment id: its first answer */
	assert_int_equal(r.status, 200);
	assert_int_equal(num(r.body, "available"), 300);
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(available(l, "c9", at(2025, 2, 2)), 180);
	struct rebuy_loyalty_stats s;
	assert_int_equal(rebuy_loyalty_stats(l, &s, NULL), REBUY_OK);
	assert_int_equal(s.points_outstanding, 180);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

/* ---- idempotency ---- */

static void test_loyalty__idempotent_retries(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_reply a =
	        order_lines(l, "k1", "c1", "o1", at(2025, 1, 10), NULL, 0, 42 * U, NULL);
	assert_int_equal(a.status, 201);
	/* same key, same body: the same bytes and status */
	struct rebuy_loyalty_reply b =
	        order_lines(l, "k1", "c1", "o1", at(2025, 1, 10), NULL, 0, 42 * U, NULL);
	assert_int_equal(b.status, 201);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.body, b.body, a.len);
	rebuy_loyalty_reply_release(&b);
	/* same key, another body: 409 */
	b = order_lines(l, "k1", "c1", "o1", at(2025, 1, 10), NULL, 0, 43 * U, NULL);
	assert_int_equal(b.status, 409);
	rebuy_loyalty_reply_release(&b);
	/* a new key for the same order: the first answer, 200, nothing accrued */
	b = order_lines(l, "k2", "c1", "o1", at(2025, 1, 10), NULL, 0, 42 * U, NULL);
	assert_int_equal(b.status, 200);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.body, b.body, a.len);
	rebuy_loyalty_reply_release(&b);
	/* and its retry replays that 200 */
	b = order_lines(l, "k2", "c1", "o1", at(2025, 1, 10), NULL, 0, 42 * U, NULL);
	assert_int_equal(b.status, 200);
	rebuy_loyalty_reply_release(&b);
	rebuy_loyalty_reply_release(&a);
	assert_int_equal(available(l, "c1", at(2025, 1, 11)), 42);
	struct rebuy_loyalty_stats s;
	assert_int_equal(rebuy_loyalty_stats(l, &s, NULL), REBUY_OK);
	assert_int_equal(s.orders, 1);
	assert_int_equal(s.transactions, 1);
	assert_int_equal(s.points_outstanding, 42);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

/* ---- API keys ---- */

static void test_loyalty__api_keys(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	char key[128];
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_key_create(l, "shop", REBUY_SCOPE_READ | REBUY_SCOPE_WRITE,
	                                          key, sizeof key, &err),
	                 REBUY_OK);
	assert_int_equal(strncmp(key, "rbk_", 4), 0);
	assert_int_equal(rebuy_loyalty_key_check(l, key, strlen(key)),
	                 REBUY_SCOPE_READ | REBUY_SCOPE_WRITE);
	char bad[128];
	snprintf(bad, sizeof bad, "%s", key);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(rebuy_loyalty_key_check(l, bad, strlen(bad)), 0);
	assert_int_equal(rebuy_loyalty_key_check(l, "rbk_", 4), 0);
	assert_int_equal(rebuy_loyalty_key_check(l, key, strlen(key) - 1), 0);
	rebuy_error_clear(&err);
	assert_int_equal(
	        rebuy_loyalty_key_create(l, "shop", REBUY_SCOPE_READ, key, sizeof key, &err),
	        REBUY_EARG);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_key_revoke(l, "shop", &err), REBUY_OK);
	assert_int_equal(rebuy_loyalty_key_check(l, key, strlen(key)), 0);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_key_revoke(l, "shop", &err), REBUY_EARG);
	rebuy_loyalty_close(l);
}

static double mono_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* A handle trusts a key it found valid for a second (KEY_TRUST_S in
 * ledger.c): revoked through the same handle it is refused at once;
 * revoked through another handle (as `rebuy loyalty key revoke` beside a
 * running server) it is refused once the second is over, not before the
 * revocation was read. A wrong secret with the same id is never trusted. */
static void test_loyalty__revoked_elsewhere_is_refused_within_a_second(void **state)
{
	(void)state;
	const char *path = new_db(program_text);
	struct rebuy_loyalty *server = open_db(path), *shell = open_db(path);
	char key[128];
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(
	        rebuy_loyalty_key_create(shell, "shop", REBUY_SCOPE_READ, key, sizeof key, &err),
	        REBUY_OK);
	assert_int_equal(rebuy_loyalty_key_check(server, key, strlen(key)), REBUY_SCOPE_READ);
	double trusted = mono_seconds(); /* the trust began before this */
	char bad[128];
	snprintf(bad, sizeof bad, "%s", key);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(rebuy_loyalty_key_check(server, bad, strlen(bad)), 0);
	assert_int_equal(rebuy_loyalty_key_revoke(shell, "shop", &err), REBUY_OK);
	/* A check that starts more than a second after the trust began must
	 * refuse; how long the machine takes to get there does not matter. */
	unsigned scopes;
	for (;;) {
		double asked = mono_seconds();
		scopes = rebuy_loyalty_key_check(server, key, strlen(key));
		if (asked > trusted + 1.0)
			assert_int_equal(scopes, 0);
		if (scopes == 0)
			break;
		struct timespec nap = {0, 10 * 1000 * 1000};
		nanosleep(&nap, NULL);
	}
	assert_int_equal(scopes, 0);
	/* and through the server's own handle at once */
	assert_int_equal(
	        rebuy_loyalty_key_create(shell, "shop2", REBUY_SCOPE_WRITE, key, sizeof key, &err),
	        REBUY_OK);
	assert_int_equal(rebuy_loyalty_key_check(server, key, strlen(key)), REBUY_SCOPE_WRITE);
	assert_int_equal(rebuy_loyalty_key_revoke(server, "shop2", &err), REBUY_OK);
	assert_int_equal(rebuy_loyalty_key_check(server, key, strlen(key)), 0);
	rebuy_loyalty_close(shell);
	rebuy_loyalty_close(server);
}

/* ---- reads ---- */

static void test_loyalty__ledger_pages(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "o%d", i);
		accrue_ok(l, "c1", id, at(2025, 1, 1 + (unsigned)i), 10 * U);
	}
	/* 5 base + 1 bonus = 6 transactions, newest first, 4 then 2 */
	struct rebuy_loyalty_reply r;
	assert_int_equal(rebuy_loyalty_ledger(l, "c1", NULL, 4, &r, NULL), REBUY_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"transactions\":[{\"id\":6,"));
	assert_non_null(strstr(r.body, "\"next_cursor\":\"3\""));
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(rebuy_loyalty_ledger(l, "c1", "3", 4, &r, NULL), REBUY_OK);
	assert_non_null(strstr(r.body, "[{\"id\":2,"));
	assert_non_null(strstr(r.body, "\"next_cursor\":null"));
	rebuy_loyalty_reply_release(&r);
	assert_int_equal(rebuy_loyalty_ledger(l, "c1", "x", 4, &r, NULL), REBUY_OK);
	assert_int_equal(r.status, 400);
	rebuy_loyalty_reply_release(&r);
	rebuy_loyalty_close(l);
}

/* ---- verify ---- */

static void tamper(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("tamper: %s", msg);
	assert_int_equal(sqlite3_changes(db) > 0 || strncmp(sql, "DELETE", 6) == 0, 1);
	sqlite3_close(db);
}

static void expect_broken(const char *sql, const char *want)
{
	const char *path = new_db(program_text);
	char copy[320];
	snprintf(copy, sizeof copy, "%s", path);
	struct rebuy_loyalty *l = open_db(copy);
	accrue_ok(l, "c1", "o1", at(2025, 1, 10), 100 * U);
	accrue_ok(l, "c1", "o2", at(2025, 1, 11), 30 * U);
	accrue_ok(l, "c2", "o3", at(2025, 1, 11), 70 * U);
	verify_ok(l);
	rebuy_loyalty_close(l);
	tamper(copy, sql);
	l = open_db(copy);
	struct rebuy_loyalty_verify_report rep;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_verify(l, &rep, &err), REBUY_EDATA);
	if (!strstr(err.msg, want))
		fail_msg("verify said '%s', expected it to name '%s'", err.msg, want);
	rebuy_loyalty_close(l);
}

static void test_loyalty__verify_catches_tampering(void **state)
{
	(void)state;
	/* a posting changed on both sides, and the transaction's points with it,
	 * still breaks the hash */
	expect_broken("UPDATE postings SET amount = amount + 5 WHERE tx = 2 AND account > 0;"
	              "UPDATE postings SET amount = amount - 5 WHERE tx = 2 AND account < 0;"
	              "UPDATE txs SET points = points + 5 WHERE id = 2;",
	              "transaction 2: hash");
	/* without the points: they disagree */
	expect_broken("UPDATE postings SET amount = amount + 5 WHERE tx = 2 AND account > 0;"
	              "UPDATE postings SET amount = amount - 5 WHERE tx = 2 AND account < 0;",
	              "transaction 2: its points say 30, its customer postings 35");
	/* a posting changed on one side */
	expect_broken("UPDATE postings SET amount = 999 WHERE tx = 1 AND account > 0",
	              "transaction 1: postings sum to");
	/* a hash */
	expect_broken("UPDATE txs SET hash = '00' || substr(hash, 3) WHERE id = 3",
	              "transaction 3: hash");
	/* a balance row */
	expect_broken("UPDATE accounts SET balance = balance + 1 WHERE id = 2",
	              "account 2 (customer 1 available): balance");
	/* a lot */
	expect_broken("UPDATE lots SET remaining = remaining - 1 WHERE id = 1", "lot 1:");
	/* a transaction removed */
	expect_broken("DELETE FROM txs WHERE id = 2", "transaction 3 follows 1");
	/* an order's points re-labelled as another accrual of the same order */
	expect_broken("UPDATE txs SET ref = 'o1', rule = 'base' WHERE id = 3",
	              "transaction 3: hash");
}

static void test_loyalty__schema_versions(void **state)
{
	(void)state;
	const char *path = new_db("earn 1 per 1\n");
	char db[320];
	snprintf(db, sizeof db, "%s", path);
	/* a ledger from a newer rebuy is refused, not misread */
	tamper(db, "INSERT INTO schema_version (version) VALUES (99)");
	struct rebuy_loyalty *l = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_open(&l, db, &err), REBUY_EDATA);
	assert_null(l);
	assert_non_null(strstr(err.msg, "schema version 99 is newer than this rebuy (1)"));
	/* a file that is not a ledger */
	char other[340];
	snprintf(other, sizeof other, "%s.other", db);
	sqlite3 *x;
	assert_int_equal(sqlite3_open(other, &x), SQLITE_OK);
	assert_int_equal(sqlite3_exec(x, "CREATE TABLE t (a)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(x);
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_open(&l, other, &err), REBUY_EDATA);
	assert_non_null(strstr(err.msg, "not a rebuy ledger"));
}

/* ---- forget ---- */

static int count_rows(void *ctx, const struct rebuy_loyalty_export_row *r)
{
	int *n = ctx;
	if (strcmp(r->customer, "c1") == 0)
		n[0]++;
	if (strncmp(r->customer, "forgotten:", 10) == 0)
		n[1]++;
	return 0;
}

static void test_loyalty__forget_keeps_the_chain(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	struct rebuy_loyalty_reply r =
	        order_lines(l, "k1", "c1", "o1", at(2025, 3, 10), NULL, 0, 100 * U, "03-01");
	rebuy_loyalty_reply_release(&r);
	accrue_ok(l, "c2", "o2", at(2025, 3, 10), 100 * U);
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_loyalty_forget(l, "c1", &r, &err), REBUY_OK);
	assert_int_equal(r.status, 200);
	rebuy_loyalty_reply_release(&r);
	r = customer(l, "c1", at(2025, 3, 11));
	assert_int_equal(r.status, 404);
	rebuy_loyalty_reply_release(&r);
	int n[2] = {0, 0};
	assert_int_equal(rebuy_loyalty_export(l, count_rows, n, &err), REBUY_OK);
	assert_int_equal(n[0], 0);
	assert_int_equal(n[1], 4); /* base and birthday: two postings each */
	/* the replayed answer no longer names the customer */
	r = order_lines(l, "k2", "c1", "o1", at(2025, 3, 10), NULL, 0, 100 * U, NULL);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "c1"));
	rebuy_loyalty_reply_release(&r);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

/* ---- threads ---- */

#define THREADS 8
#define PER_THREAD 400
#define DISTINCT 1000

struct worker {
	struct rebuy_loyalty *l;
	int seed;
	char sent[DISTINCT]; /* the orders this thread sent */
	int n201, n200;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned s = (unsigned)w->seed * 2654435761u + 1;
	for (int i = 0; i < PER_THREAD; i++) {
		s = s * 1103515245u + 12345u;
		int k = (int)((s >> 8) % DISTINCT); /* orders overlap between threads */
		char id[32], cust[32], key[48];
		snprintf(id, sizeof id, "o%d", k);
		snprintf(cust, sizeof cust, "c%d", k % 97);
		/* half the retries reuse the order's key, half come with a new one */
		snprintf(key, sizeof key, (s >> 20) & 1 ? "key-%d" : "key-%d-%d-%d", k, w->seed, i);
		struct rebuy_loyalty_request req = {key, {0}};
		snprintf((char *)req.body_digest, sizeof req.body_digest, "%d", k);
		struct rebuy_loyalty_order o = {
		        cust, id, at(2025, 1, 1) + k, (int64_t)(k % 50 + 1) * U, NULL, 0, NULL};
		struct rebuy_loyalty_reply r;
		struct rebuy_error err;
		rebuy_error_clear(&err);
		if (rebuy_loyalty_accrue(w->l, &req, &o, &r, &err) != REBUY_OK) {
			print_error("accrue: %s\n", err.msg);
			return (void *)1;
		}
		w->sent[k] = 1;
		if (num(r.body, "points") != k % 50 + 1) {
			print_error("order %d: %d %s\n", k, r.status, r.body);
			rebuy_loyalty_reply_release(&r);
			return (void *)1;
		}
		if (r.status == 201) {
			w->n201++;
		} else if (r.status == 200) {
			w->n200++;
		} else {
			rebuy_loyalty_reply_release(&r);
			return (void *)1;
		}
		rebuy_loyalty_reply_release(&r);
	}
	return NULL;
}

static void test_loyalty__threads_with_duplicates(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = open_db(new_db("earn 1 per 1\n"));
	pthread_t t[THREADS];
	static struct worker w[THREADS];
	for (int i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].l = l;
		w[i].seed = i + 1;
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	int64_t sent = 0;
	for (int i = 0; i < THREADS; i++) {
		void *ret;
		pthread_join(t[i], &ret);
		assert_null(ret);
		sent += w[i].n201 + w[i].n200;
	}
	assert_int_equal(sent, THREADS * PER_THREAD);
	/* every distinct order sent accrued once: its points are k % 50 + 1 */
	int64_t orders = 0, points = 0;
	for (int k = 0; k < DISTINCT; k++) {
		int any = 0;
		for (int i = 0; i < THREADS; i++)
			any |= w[i].sent[k];
		orders += any;
		points += any ? k % 50 + 1 : 0;
	}
	struct rebuy_loyalty_stats s;
	assert_int_equal(rebuy_loyalty_stats(l, &s, NULL), REBUY_OK);
	assert_int_equal(s.orders, orders);
	assert_int_equal(s.transactions, orders);
	assert_int_equal(s.points_outstanding, points);
	assert_true(orders < THREADS * PER_THREAD); /* there were duplicates */
	assert_true(s.commit_groups <= s.commits);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

/* ---- allocation failures ---- */

static void test_loyalty__allocation_failures_undo_the_call(void **state)
{
	(void)state;
	struct rebuy_loyalty *l = fresh();
	accrue_ok(l, "c1", "o0", at(2025, 1, 1), 10 * U);
	int64_t accrued = 0;
	int failed = 0, passed = 0;
	for (long n = 0; n < 60; n++) {
		char id[16];
		snprintf(id, sizeof id, "o%ld", n + 1);
		struct rebuy_loyalty_order o = {"c1", id, at(2025, 1, 2), 10 * U, NULL, 0, NULL};
		struct rebuy_loyalty_request req = {id, {0}};
		struct rebuy_loyalty_reply r = {0, NULL, 0};
		struct rebuy_error err;
		rebuy_error_clear(&err);
		tu_fail_after(n);
		enum rebuy_status st = rebuy_loyalty_accrue(l, &req, &o, &r, &err);
		tu_fail_after(-1);
		if (st == REBUY_OK) {
			assert_true(r.status == 201);
			accrued += num(r.body, "points");
			rebuy_loyalty_reply_release(&r);
			passed++;
		} else {
			failed++;
			assert_int_equal(st, REBUY_ENOMEM);
			assert_null(r.body);
			assert_true(strlen(err.msg) > 0);
		}
	}
	print_message("allocation failures: %d calls failed, %d passed\n", failed, passed);
	assert_true(failed >= 2 && passed > 5); /* a few allocations per call go through the hook */
	/* what failed left nothing behind: the balance is what the 201s said */
	/* (the second order's bonus is in the points of whichever order came second) */
	assert_int_equal(available(l, "c1", at(2025, 1, 3)), 10 + accrued);
	verify_ok(l);
	rebuy_loyalty_close(l);
}

/* ---- a writer killed mid-load ---- */

struct crash_worker {
	struct rebuy_loyalty *l;
	int id, fd;
};

static void *crash_run(void *arg)
{
	struct crash_worker *w = arg;
	for (int i = 0;; i++) {
		int k = i * 4 + w->id;
		char id[32], key[32];
		snprintf(id, sizeof id, "o%d", k);
		snprintf(key, sizeof key, "k%d", k);
		struct rebuy_loyalty_request req = {key, {0}};
		struct rebuy_loyalty_order o = {"c1", id, at(2025, 1, 1) + k, U, NULL, 0, NULL};
		struct rebuy_loyalty_reply r;
		if (rebuy_loyalty_accrue(w->l, &req, &o, &r, NULL) != REBUY_OK)
			_exit(3);
		rebuy_loyalty_reply_release(&r);
		/* acknowledged: the order is durable now */
		if (write(w->fd, &k, sizeof k) != (ssize_t)sizeof k)
			_exit(4);
	}
	return NULL;
}

struct seen {
	char *order;
	int n;
};

static int mark_order(void *ctx, const char *customer, const char *order_id, int64_t time,
                      int64_t amount)
{
	(void)customer;
	(void)time;
	(void)amount;
	struct seen *s = ctx;
	long k = strtol(order_id + 1, NULL, 10);
	if (k >= 0 && k < 1 << 20)
		s->order[k] = 1;
	s->n++;
	return 0;
}

static void test_loyalty__killed_writer_loses_nothing_acknowledged(void **state)
{
	(void)state;
	const char *path = new_db("earn 1 per 1\n");
	char db[320];
	snprintf(db, sizeof db, "%s", path);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		struct rebuy_loyalty *l = NULL;
		if (rebuy_loyalty_open(&l, db, NULL) != REBUY_OK)
			_exit(2);
		pthread_t t[4];
		static struct crash_worker w[4];
		for (int i = 0; i < 4; i++) {
			w[i] = (struct crash_worker){l, i, p[1]};
			pthread_create(&t[i], NULL, crash_run, &w[i]);
		}
		pthread_join(t[0], NULL);
		_exit(0);
	}
	close(p[1]);
	static char acked[1 << 20];
	memset(acked, 0, sizeof acked);
	int n_acked = 0, k;
	/* let it write for a while, then kill it without warning */
	while (n_acked < 400 && read(p[0], &k, sizeof k) == (ssize_t)sizeof k) {
		acked[k] = 1;
		n_acked++;
	}
	kill(pid, SIGKILL);
	while (read(p[0], &k, sizeof k) == (ssize_t)sizeof k) {
		acked[k] = 1;
		n_acked++;
	}
	close(p[0]);
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	struct rebuy_loyalty *l = open_db(db);
	verify_ok(l);
	struct seen s = {calloc(1 << 20, 1), 0};
	assert_int_equal(rebuy_loyalty_orders(l, mark_order, &s, NULL), REBUY_OK);
	for (int i = 0; i < 1 << 20; i++)
		if (acked[i] && !s.order[i])
			fail_msg("order o%d was acknowledged but is not in the ledger", i);
	assert_true(s.n >= n_acked);
	/* the points are the orders': one each */
	assert_int_equal(available(l, "c1", at(2026, 1, 1)), s.n);
	free(s.order);
	rebuy_loyalty_close(l);
}

/* ---- the program file ---- */

static void expect_program_error(const char *text, const char *want)
{
	struct rebuy__program *p = NULL;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy__program_parse(&p, text, strlen(text), "p.txt", &err), REBUY_EARG);
	assert_null(p);
	if (strcmp(err.msg, want) != 0)
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void test_loyalty__program_errors(void **state)
{
	(void)state;
	expect_program_error("earn 1 per 1\nbonus 2 3\n",
	                     "p.txt:2:1: unknown rule 'bonus' (earn, multiplier, order_bonus, "
	                     "birthday_bonus, tier, tier_window_days, min_redemption, "
	                     "expiry_months, pending_days)");
	expect_program_error("earn 1 per 0\n",
	                     "p.txt:1:12: the amount per points must be a decimal in "
	                     "0.0001..100000000000 with at most 4 places, not '0'");
	expect_program_error("earn 1 per 1\ntier gold bananas 5\n",
	                     "p.txt:2:11: a tier qualifies by 'spend' or 'points'");
	expect_program_error("earn 1 per 1\nmultiplier category \"shoes 2\n",
	                     "p.txt:2:21: a quoted word without its closing quote");
	expect_program_error("# nothing\n",
	                     "p.txt:1:1: the program has no 'earn POINTS per AMOUNT' rule");
	expect_program_error("earn 1 per 1\nexpiry_months\n",
	                     "p.txt:2:14: expected: expiry_months N");
	struct rebuy__program *p = NULL;
	const char *ok = "earn 5 per 100.00\ntier vip points 10 multiplier 1.25\n";
	assert_int_equal(rebuy__program_parse(&p, ok, strlen(ok), "p.txt", NULL), REBUY_OK);
	/* 399.99 at 5 per 100: floor(19.9995) = 19; at x1.25: floor(24.999375) = 24 */
	assert_int_equal(rebuy__program_points(p, 3999900, NULL, 0, 10000), 19);
	assert_int_equal(rebuy__program_points(p, 3999900, NULL, 0, 12500), 24);
	rebuy__free(p);
}

static void test_loyalty__add_months_clamps(void **state)
{
	(void)state;
	assert_int_equal(rebuy__add_months(at(2025, 1, 31), 1), at(2025, 2, 28));
	assert_int_equal(rebuy__add_months(at(2024, 1, 31), 1), at(2024, 2, 29));
	assert_int_equal(rebuy__add_months(at(2025, 11, 15), 14), at(2027, 1, 15));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_loyalty__accrual_rounds_down),
	        cmocka_unit_test(test_loyalty__multipliers_by_product_then_category),
	        cmocka_unit_test(test_loyalty__second_order_bonus),
	        cmocka_unit_test(test_loyalty__birthday_bonus_once_a_year),
	        cmocka_unit_test(test_loyalty__tier_by_rolling_spend),
	        cmocka_unit_test(test_loyalty__redemption_minimum_and_balance),
	        cmocka_unit_test(test_loyalty__fifo_lots_and_expiry),
	        cmocka_unit_test(test_loyalty__pending_points_are_released),
	        cmocka_unit_test(test_loyalty__partial_refunds_and_debt),
	        cmocka_unit_test(test_loyalty__refund_of_lines_reverses_their_points),
	        cmocka_unit_test(test_loyalty__adjustments_both_ways),
	        cmocka_unit_test(test_loyalty__idempotent_retries),
	        cmocka_unit_test(test_loyalty__api_keys),
	        cmocka_unit_test(test_loyalty__revoked_elsewhere_is_refused_within_a_second),
	        cmocka_unit_test(test_loyalty__ledger_pages),
	        cmocka_unit_test(test_loyalty__verify_catches_tampering),
	        cmocka_unit_test(test_loyalty__schema_versions),
	        cmocka_unit_test(test_loyalty__forget_keeps_the_chain),
	        cmocka_unit_test(test_loyalty__threads_with_duplicates),
	        cmocka_unit_test(test_loyalty__allocation_failures_undo_the_call),
	        cmocka_unit_test(test_loyalty__killed_writer_loses_nothing_acknowledged),
	        cmocka_unit_test(test_loyalty__program_errors),
	        cmocka_unit_test(test_loyalty__add_months_clamps),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
