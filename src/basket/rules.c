/* Association rules from frequent itemsets (Agrawal, Imielinski & Swami
 * 1993; the measures as in Hahsler, Grün & Hornik's arules: support,
 * confidence, lift; leverage after Piatetsky-Shapiro 1991; conviction after
 * Brin, Motwani, Ullman & Tsur 1997).
 *
 * Every frequent itemset Z of two items or more gives the rules Z \ {y} -> y
 * for each y in Z. By downward closure Z \ {y} is frequent too, so its count
 * is in the table of itemsets mined: the itemsets are counted first (cheap,
 * with perfect-extension counting), refused when there are too many to
 * hold, then listed into an arena with a hash table over their item lists.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/basket.h"

void rebuy_rule_options_init(struct rebuy_rule_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->min_confidence = 0.5;
	opts->max_itemsets = 20000000;
}

/* The itemsets: records [len][count lo][count hi][items...] of uint32_t in
 * one growing array; a table of offsets + 1 by hash of the items. */
struct store {
	uint32_t *rec;
	size_t n_rec, cap_rec;
	uint64_t *slot; /* offset + 1, 0 empty */
	size_t mask;
	size_t n;
	int failed;
	uint64_t *single; /* count of each item */
};

struct rebuy__rules_priv {
	uint32_t *items; /* antecedents, back to back */
};

static uint64_t hash_items(const uint32_t *v, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0xFF51AFD7ED558CCDull;
		h ^= h >> 32;
	}
	return h;
}

static int store_item(void *ud, const uint32_t *items, size_t n, uint64_t count)
{
	struct store *s = ud;
	if (n == 1) {
		s->single[items[0]] = count;
		return 0;
	}
	size_t need = s->n_rec + 3 + n;
	if (rebuy__grow((void **)&s->rec, &s->cap_rec, need, sizeof *s->rec, SIZE_MAX)) {
		s->failed = 1;
		return 1;
	}
	size_t at = s->n_rec;
	s->rec[at] = (uint32_t)n;
	s->rec[at + 1] = (uint32_t)count;
	s->rec[at + 2] = (uint32_t)(count >> 32);
	memcpy(s->rec + at + 3, items, n * sizeof *items);
	s->n_rec = need;
	size_t i = hash_items(items, n) & s->mask;
	while (s->slot[i])
		i = (i + 1) & s->mask;
	s->slot[i] = at + 1;
	s->n++;
	return 0;
}

static uint64_t lookup(const struct store *s, const uint32_t *items, size_t n)
{
	if (n == 1)
		return s->single[items[0]];
	size_t i = hash_items(items, n) & s->mask;
	for (; s->slot[i]; i = (i + 1) & s->mask) {
		const uint32_t *r = s->rec + (s->slot[i] - 1);
		if (r[0] == n && memcmp(r + 3, items, n * sizeof *items) == 0)
			return (uint64_t)r[1] | (uint64_t)r[2] << 32;
	}
	return 0;
}

static int cmp_rule(const void *a, const void *b)
{
	const struct rebuy_rule *x = a, *y = b;
	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->n_antecedent != y->n_antecedent)
		return x->n_antecedent < y->n_antecedent ? -1 : 1;
	for (size_t i = 0; i < x->n_antecedent; i++)
		if (x->antecedent[i] != y->antecedent[i])
			return x->antecedent[i] < y->antecedent[i] ? -1 : 1;
	return (x->consequent > y->consequent) - (x->consequent < y->consequent);
}

void rebuy_rules_free(struct rebuy_rules *rules)
{
	if (!rules)
		return;
	if (rules->priv)
		rebuy__free(rules->priv->items);
	rebuy__free(rules->priv);
	rebuy__free(rules->rules);
	rebuy__free(rules);
}

enum rebuy_status rebuy_rules_mine(const struct rebuy_baskets *b,
                                   const struct rebuy_mine_options *mine,
                                   const struct rebuy_rule_options *opts,
                                   struct rebuy_rules **out, struct rebuy_error *err)
{
	*out = NULL;
	if (!(opts->min_confidence >= 0 && opts->min_confidence <= 1))
		return rebuy_error_set(err, REBUY_EARG, "the minimum confidence must be in [0, 1]");
	if (!(opts->min_lift >= 0) || !isfinite(opts->min_lift))
		return rebuy_error_set(err, REBUY_EARG, "the minimum lift must be >= 0");
	struct rebuy_mine_options mo = *mine;
	mo.target = REBUY_ITEMSETS_ALL;
	struct rebuy_mine_result res;
	enum rebuy_status st = rebuy_itemsets_mine(b, &mo, NULL, NULL, &res, err);
	if (st)
		return st;
	if (res.n_itemsets > opts->max_itemsets)
		return rebuy_error_set(
		        err, REBUY_ELIMIT,
		        "a minimum support of %llu baskets gives %llu frequent itemsets; rules need them "
		        "all in memory and the limit is %llu: raise --min-support (or --max-itemsets)",
		        (unsigned long long)mo.min_count, (unsigned long long)res.n_itemsets,
		        (unsigned long long)opts->max_itemsets);
	struct store s = {0};
	size_t cap = 16;
	while (cap < 2 * (size_t)res.n_itemsets + 16)
		cap *= 2;
	s.mask = cap - 1;
	s.slot = rebuy__calloc(cap, sizeof *s.slot);
	s.single = rebuy__calloc(b->n_items ? b->n_items : 1, sizeof *s.single);
	struct rebuy_rules *R = rebuy__calloc(1, sizeof *R);
	if (R)
		R->priv = rebuy__calloc(1, sizeof *R->priv);
	st = REBUY_ENOMEM;
	if (!s.slot || !s.single || !R || !R->priv)
		goto fail;
	struct rebuy_mine_result res2;
	if ((st = rebuy_itemsets_mine(b, &mo, store_item, &s, &res2, err)))
		goto fail;
	st = REBUY_ENOMEM;
	if (s.failed)
		goto fail;
	R->n_baskets = b->n_baskets;
	R->n_itemsets = res.n_itemsets;
	double N = (double)b->n_baskets;
	/* Two passes over the itemsets: count the rules kept, then fill. */
	size_t n_rules = 0, n_ante_items = 0;
	uint32_t tmp[REBUY_ITEMSET_MAX_LEN];
	for (int pass = 0; pass < 2; pass++) {
		size_t k = 0, ai = 0;
		for (size_t at = 0; at < s.n_rec; at += 3 + s.rec[at]) {
			size_t n = s.rec[at];
			uint64_t cz = (uint64_t)s.rec[at + 1] | (uint64_t)s.rec[at + 2] << 32;
			const uint32_t *z = s.rec + at + 3;
			for (size_t j = 0; j < n; j++) {
				size_t m = 0;
				for (size_t i = 0; i < n; i++)
					if (i != j)
						tmp[m++] = z[i];
				uint64_t cx = lookup(&s, tmp, m), cy = s.single[z[j]];
				if (cx == 0 || cy == 0)
					continue; /* cannot happen with a complete miner */
				/* Each measure in one rounding from the counts, so that
				 * X -> y and y -> X get the same lift and leverage. */
				double conf = (double)cz / (double)cx;
				double lift = (double)((long double)cz * N / ((long double)cx * cy));
				if (conf < opts->min_confidence || lift < opts->min_lift)
					continue;
				if (pass == 1) {
					struct rebuy_rule *r = &R->rules[k];
					memcpy(R->priv->items + ai, tmp, m * sizeof *tmp);
					r->antecedent = R->priv->items + ai;
					r->n_antecedent = m;
					r->consequent = z[j];
					r->count = cz;
					r->antecedent_count = cx;
					r->consequent_count = cy;
					r->support = (double)cz / N;
					r->confidence = conf;
					r->lift = lift;
					r->leverage = (double)(((long double)cz * N - (long double)cx * cy) /
					                       ((long double)N * N));
					r->conviction =
					        cz >= cx ? INFINITY
					                 : (double)(((long double)N - cy) * cx /
					                            ((long double)N * (cx - cz)));
				}
				k++;
				ai += m;
			}
		}
		if (pass == 0) {
			n_rules = k;
			n_ante_items = ai;
			R->rules = rebuy__malloc((n_rules ? n_rules : 1) * sizeof *R->rules);
			R->priv->items = rebuy__malloc((n_ante_items ? n_ante_items : 1) * sizeof(uint32_t));
			if (!R->rules || !R->priv->items)
				goto fail;
		}
	}
	R->n_rules = n_rules;
	R->peak_bytes = res2.peak_bytes + s.cap_rec * sizeof *s.rec + cap * sizeof *s.slot +
	                n_rules * sizeof *R->rules + n_ante_items * sizeof(uint32_t);
	qsort(R->rules, n_rules, sizeof *R->rules, cmp_rule);
	if (opts->top && n_rules > opts->top)
		R->n_rules = opts->top;
	rebuy__free(s.rec);
	rebuy__free(s.slot);
	rebuy__free(s.single);
	*out = R;
	return REBUY_OK;
fail:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory deriving rules");
	rebuy__free(s.rec);
	rebuy__free(s.slot);
	rebuy__free(s.single);
	rebuy_rules_free(R);
	return st;
}
