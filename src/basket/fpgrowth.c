/* Frequent itemsets by FP-growth (Han, Pei & Yin 2000, "Mining frequent
 * patterns without candidate generation", SIGMOD), implemented after
 * Borgelt (2005, "An implementation of the FP-growth algorithm", OSDM'05):
 * items recoded by descending support and infrequent ones dropped, the
 * transactions sorted and the initial FP-tree built top-down from them
 * group by group (no child search), conditional trees projected with the
 * item order kept, and perfect extension pruning (items in every basket of
 * a prefix are set aside: the 2^k sets they make are counted with binomial
 * coefficients, or listed when there is a callback). Where the initial tree
 * would save little over the sorted transactions (sparse data: projecting
 * it follows about as many parent links as the transactions hold items),
 * the first projections read the transactions themselves instead. Closed
 * and maximal sets are checked against the sets found so far, kept in
 * prefix trees projected alongside the FP-trees (the CFI/MFI-trees of
 * Grahne & Zhu 2003, FPclose/FPmax): in the depth-first order used here
 * (items from the least frequent up), the closure or a frequent superset of
 * a set is always found before it. With max_len, closed and maximal keep
 * their plain meaning (no superset of any size) and only the reporting is
 * limited; ALL stops the search at max_len.
 *
 * Invariants: a tree's item codes ascend from the root down every path and
 * follow the parent tree's order; node 0 is the root; NIL ends lists. The
 * calls to the callback come from the calling thread in the search's
 * order; only counting (no callback, target ALL) spreads the items of the
 * initial tree over threads, each with its own scratch, summing counts.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "rebuy/basket.h"

#define NIL UINT32_MAX
#define MAX_DEPTH 100000 /* deeper recursion (closed/maximal only) is refused */

struct node {
	uint32_t item, parent, count;
};

/* An FP-tree over items 0 .. n_items-1 (the tree's own codes), its nodes
 * grouped by item: item x's nodes are nodes[first[x] .. first[x + 1]), so
 * that a node list is read in sequence. */
struct tree {
	uint32_t n_items, maxdepth; /* maxdepth: nodes on the longest path */
	size_t n_nodes, ncap, icap;
	struct node *nodes;
	uint32_t *first;           /* icap + 1 */
	uint32_t *supp, *up, *gid; /* icap: support, code in the parent tree, global code */
	/* The initial tree may instead be kept as its sorted transactions:
	 * each is a weight word (HI set) followed by its codes; occ holds the
	 * position of every code, grouped by code through first[]. */
	uint32_t *tx, *occ;
	size_t n_tx, n_occ;
};

#define HI 0x80000000u

/* A tree being built, nodes in the order made (parents first), with child
 * links; then moved into a struct tree by finish_tree. One per worker. */
struct bnode {
	uint32_t item, parent, count, child, sib;
};

struct builder {
	struct bnode *bn;
	uint32_t *newidx;
	size_t n, bcap;
	uint32_t *rootchild, *nper; /* icap */
	size_t icap;
	uint32_t *prev_item, *prev_node; /* pcap */
	size_t pcap;
};

/* A repository of found closed/maximal sets, projected like the trees:
 * supp is the largest support of the sets through a node; next links the
 * nodes of an item. Children are found through a hash table on (parent,
 * item), as a found set's path may pass nodes with thousands of children. */
struct rnode {
	uint32_t item, parent, next, supp;
};

struct repo {
	struct rnode *nodes;
	size_t n_nodes, ncap, icap;
	uint32_t *head;
	uint32_t *tab; /* node ids, NIL empty; tmask + 1 slots in use of tcap */
	size_t tmask, tcap;
	uint32_t max_size;
};

/* Everything one depth of the recursion needs: the conditional tree T_k
 * (unused at k = 0, where the shared initial tree is), the repository R_k,
 * and the scratch for projecting T_k. */
struct level {
	struct tree t;
	struct repo r;
	size_t icap;
	uint32_t *cnt, *map, *touched, *fitems, *ecodes; /* icap; cnt 0 and map NIL between uses */
	uint64_t *bits; /* n_words >= icap / 64 + 1, zero between uses */
	size_t n_words;
	uint32_t n_ecodes, item;
	size_t pbuf_cap;
	uint32_t *pbuf; /* pass 1 paths: count, length, items (walking up) */
};

struct miner {
	const struct rebuy_baskets *b;
	enum rebuy_itemset_target target;
	uint32_t minsup;
	size_t limit;  /* the longest set reported */
	int len_given; /* max_len != 0: longer sets are left out, not an error */
	rebuy_itemset_fn fn;
	void *ud;
	struct tree t0;
	uint32_t n0;       /* items of the initial tree */
	uint32_t *code2id; /* global code -> item id; the root's extensions follow the n0 */
	size_t n_e0, n_freq;
	atomic_size_t cur, peak;
};

struct worker {
	struct miner *m;
	struct builder bld;
	struct level **lv;
	size_t n_lv;
	uint32_t *path; /* global codes */
	uint32_t *ext;  /* global codes of the perfect extensions on the path */
	size_t n_ext;
	uint32_t *tmp_a, *tmp_b; /* n0 + 2 */
	uint32_t ids[REBUY_ITEMSET_MAX_LEN + 1];
	uint32_t cur[REBUY_ITEMSET_MAX_LEN + 1];
	uint64_t by_size[REBUY_ITEMSET_MAX_LEN + 1];
	uint64_t n;
	size_t longest;
	int stop;
	int overflow; /* why REBUY_ELIMIT: OVER_* */
};

enum { OVER_LEN = 1, OVER_COUNT, OVER_DEPTH, OVER_SIZE };

/* ---- memory, with the miner's own accounting ---- */

static void account(struct miner *m, size_t add, size_t sub)
{
	size_t now;
	if (add >= sub)
		now = atomic_fetch_add(&m->cur, add - sub) + (add - sub);
	else
		now = atomic_fetch_sub(&m->cur, sub - add) - (sub - add);
	size_t p = atomic_load(&m->peak);
	while (now > p && !atomic_compare_exchange_weak(&m->peak, &p, now))
		;
}

static void *mem_resize(struct miner *m, void *p, size_t old_bytes, size_t new_bytes)
{
	void *q = rebuy__realloc(p, new_bytes);
	if (q)
		account(m, new_bytes, old_bytes);
	return q;
}

static void mem_free(struct miner *m, void *p, size_t bytes)
{
	if (p) {
		rebuy__free(p);
		account(m, 0, bytes);
	}
}

static size_t grown(size_t cap, size_t need)
{
	size_t n = cap ? cap : 16;
	while (n < need)
		n = n > SIZE_MAX / 4 ? need : n * 2;
	return n;
}

/* Resizes several arrays of one capacity class together; *cap changes only
 * when all of them did. */
static int resize_all(struct miner *m, void **arrs[], const size_t *sizes, size_t n_arrs,
                      size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = grown(*cap, need);
	for (size_t k = 0; k < n_arrs; k++) {
		size_t bytes;
		if (rebuy__mul_overflows(ncap, sizes[k], &bytes))
			return -1;
		void *q = rebuy__realloc(*arrs[k], bytes);
		if (!q)
			return -1;
		*arrs[k] = q;
	}
	size_t sum = 0;
	for (size_t k = 0; k < n_arrs; k++)
		sum += sizes[k];
	account(m, (ncap - *cap) * sum, 0);
	*cap = ncap;
	return 0;
}

static int tree_nodes(struct miner *m, struct tree *t, size_t need)
{
	void **a[] = {(void **)&t->nodes};
	size_t s[] = {sizeof(struct node)};
	return resize_all(m, a, s, 1, &t->ncap, need);
}

/* Room for need items (first[] gets need + 1 entries). */
static int tree_items(struct miner *m, struct tree *t, size_t need)
{
	void **a[] = {(void **)&t->first, (void **)&t->supp, (void **)&t->up, (void **)&t->gid};
	size_t s[] = {4, 4, 4, 4};
	return resize_all(m, a, s, 4, &t->icap, need + 1);
}

static void tree_release(struct miner *m, struct tree *t)
{
	mem_free(m, t->nodes, t->ncap * sizeof *t->nodes);
	size_t ib = t->icap * 4;
	mem_free(m, t->first, ib);
	mem_free(m, t->supp, ib);
	mem_free(m, t->up, ib);
	mem_free(m, t->gid, ib);
	mem_free(m, t->tx, t->n_tx * 4);
	mem_free(m, t->occ, t->n_occ * 4);
	memset(t, 0, sizeof *t);
}

static int builder_reserve(struct miner *m, struct builder *b, size_t nodes, size_t items,
                           size_t depth)
{
	void **an[] = {(void **)&b->bn, (void **)&b->newidx};
	size_t sn[] = {sizeof(struct bnode), 4};
	void **ai[] = {(void **)&b->rootchild, (void **)&b->nper};
	size_t si[] = {4, 4};
	void **ap[] = {(void **)&b->prev_item, (void **)&b->prev_node};
	size_t sp[] = {4, 4};
	return resize_all(m, an, sn, 2, &b->bcap, nodes) ||
	       resize_all(m, ai, si, 2, &b->icap, items + 1) ||
	       resize_all(m, ap, sp, 2, &b->pcap, depth + 1);
}

static void builder_release(struct miner *m, struct builder *b)
{
	mem_free(m, b->bn, b->bcap * sizeof *b->bn);
	mem_free(m, b->newidx, b->bcap * 4);
	mem_free(m, b->rootchild, b->icap * 4);
	mem_free(m, b->nper, b->icap * 4);
	mem_free(m, b->prev_item, b->pcap * 4);
	mem_free(m, b->prev_node, b->pcap * 4);
	memset(b, 0, sizeof *b);
}

/* Starts a tree of n_items items: only the root. */
static void builder_start(struct builder *b, size_t n_items)
{
	for (size_t x = 0; x < n_items; x++) {
		b->rootchild[x] = NIL;
		b->nper[x] = 0;
	}
	b->bn[0] = (struct bnode){NIL, NIL, 0, NIL, NIL};
	b->n = 1;
}

/* Moves the built nodes into t (whose items are set), grouped by item;
 * parents come before their children in b, so their new place is known. */
static int finish_tree(struct miner *m, struct builder *b, struct tree *t)
{
	if (tree_nodes(m, t, b->n))
		return -1;
	uint32_t *pos = b->nper, at = 1;
	for (uint32_t x = 0; x < t->n_items; x++) {
		t->first[x] = at;
		at += pos[x];
		pos[x] = t->first[x];
	}
	t->first[t->n_items] = at;
	const struct bnode *bn = b->bn;
	struct node *nd = t->nodes;
	uint32_t *nx = b->newidx;
	nd[0] = (struct node){NIL, NIL, bn[0].count};
	nx[0] = 0;
	for (size_t o = 1; o < b->n; o++) {
		uint32_t x = bn[o].item, id = pos[x]++;
		nx[o] = id;
		nd[id] = (struct node){x, nx[bn[o].parent], bn[o].count};
	}
	t->n_nodes = b->n;
	return 0;
}

static int repo_items(struct miner *m, struct repo *r, size_t need)
{
	void **a[] = {(void **)&r->head};
	size_t s[] = {4};
	return resize_all(m, a, s, 1, &r->icap, need);
}

static int repo_nodes(struct miner *m, struct repo *r, size_t need)
{
	void **a[] = {(void **)&r->nodes};
	size_t s[] = {sizeof(struct rnode)};
	return resize_all(m, a, s, 1, &r->ncap, need);
}

static void repo_release(struct miner *m, struct repo *r)
{
	mem_free(m, r->nodes, r->ncap * sizeof *r->nodes);
	mem_free(m, r->head, r->icap * 4);
	mem_free(m, r->tab, r->tcap * 4);
	memset(r, 0, sizeof *r);
}

static int level_items(struct miner *m, struct level *l, size_t need)
{
	size_t old = l->icap;
	void **a[] = {(void **)&l->cnt, (void **)&l->map, (void **)&l->touched, (void **)&l->fitems,
	              (void **)&l->ecodes};
	size_t s[] = {4, 4, 4, 4, 4};
	if (resize_all(m, a, s, 5, &l->icap, need))
		return -1;
	for (size_t k = old; k < l->icap; k++) {
		l->cnt[k] = 0;
		l->map[k] = NIL;
	}
	size_t words = l->icap / 64 + 1;
	if (words > l->n_words) {
		uint64_t *b = mem_resize(m, l->bits, l->n_words * 8, words * 8);
		if (!b)
			return -1;
		memset(b + l->n_words, 0, (words - l->n_words) * 8);
		l->bits = b;
		l->n_words = words;
	}
	return 0;
}

static int level_pbuf(struct miner *m, struct level *l, size_t need)
{
	void **a[] = {(void **)&l->pbuf};
	size_t s[] = {4};
	return resize_all(m, a, s, 1, &l->pbuf_cap, need);
}

static void level_free(struct miner *m, struct level *l)
{
	if (!l)
		return;
	tree_release(m, &l->t);
	repo_release(m, &l->r);
	size_t ib = l->icap * 4;
	mem_free(m, l->cnt, ib);
	mem_free(m, l->map, ib);
	mem_free(m, l->touched, ib);
	mem_free(m, l->fitems, ib);
	mem_free(m, l->ecodes, ib);
	mem_free(m, l->bits, l->n_words * 8);
	mem_free(m, l->pbuf, l->pbuf_cap * 4);
	mem_free(m, l, sizeof *l);
}

/* The level of depth k, created on first use. */
static struct level *level_at(struct worker *w, size_t k)
{
	if (k < w->n_lv && w->lv[k])
		return w->lv[k];
	if (k >= w->n_lv) {
		size_t n = grown(w->n_lv, k + 1);
		struct level **lv = mem_resize(w->m, w->lv, w->n_lv * sizeof *lv, n * sizeof *lv);
		if (!lv)
			return NULL;
		for (size_t j = w->n_lv; j < n; j++)
			lv[j] = NULL;
		w->lv = lv;
		w->n_lv = n;
	}
	struct level *l = mem_resize(w->m, NULL, 0, sizeof *l);
	if (l)
		memset(l, 0, sizeof *l);
	w->lv[k] = l;
	return l;
}

/* ---- reporting ---- */

static int add_count(struct worker *w, size_t size, uint64_t n)
{
	if (__builtin_add_overflow(w->by_size[size], n, &w->by_size[size]) ||
	    __builtin_add_overflow(w->n, n, &w->n)) {
		w->overflow = OVER_COUNT;
		return -1;
	}
	if (n && size > w->longest)
		w->longest = size;
	return 0;
}

static void sort_u32(uint32_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void sort_codes(uint32_t *v, size_t n)
{
	if (n <= 24)
		sort_u32(v, n);
	else
		qsort(v, n, sizeof *v, cmp_u32);
}

/* Hands w->cur[0..n) (global codes) to the callback as sorted item ids. */
static void emit(struct worker *w, size_t n, uint32_t supp)
{
	struct miner *m = w->m;
	for (size_t k = 0; k < n; k++)
		w->ids[k] = m->code2id[w->cur[k]];
	sort_u32(w->ids, n);
	if (m->fn(m->ud, w->ids, n, supp))
		w->stop = 1;
}

/* Every subset of ext[from..) of at most room items, added to cur[0..n),
 * depth first. */
static void emit_subsets(struct worker *w, size_t n, size_t from, size_t room, uint32_t supp,
                         int skip_first)
{
	if (!skip_first) {
		emit(w, n, supp);
		if (add_count(w, n, 1))
			w->stop = 1;
		if (w->stop)
			return;
	}
	if (room == 0)
		return;
	for (size_t j = from; j < w->n_ext && !w->stop; j++) {
		w->cur[n] = w->ext[j];
		emit_subsets(w, n + 1, j + 1, room - 1, supp, 0);
	}
}

/* The sets of a node of target ALL: the m path items with any subset of
 * the perfect extensions. */
static int report_all(struct worker *w, size_t m_len, uint32_t supp)
{
	struct miner *m = w->m;
	size_t e = w->n_ext;
	if (m_len + e > REBUY_ITEMSET_MAX_LEN && !m->len_given) {
		w->overflow = OVER_LEN;
		return -1;
	}
	size_t room = m->limit - m_len;
	if (room > e)
		room = e;
	if (m->fn) {
		for (size_t k = 0; k < m_len; k++)
			w->cur[k] = w->path[k];
		emit_subsets(w, m_len, 0, room, supp, m_len == 0);
		return w->overflow ? -1 : 0;
	}
	/* C(e, j) sets of m_len + j items */
	unsigned __int128 c = 1;
	for (size_t j = 0; j <= room; j++) {
		if (c >> 64) {
			w->overflow = OVER_COUNT;
			return -1;
		}
		if ((m_len + j) > 0 && add_count(w, m_len + j, (uint64_t)c))
			return -1;
		c = c * (e - j) / (j + 1);
	}
	return 0;
}

/* A closed or maximal set: the path and every perfect extension. */
static int report_set(struct worker *w, size_t m_len, uint32_t supp)
{
	struct miner *m = w->m;
	size_t size = m_len + w->n_ext;
	if (size > m->limit) {
		if (m->len_given)
			return 0;
		w->overflow = OVER_LEN;
		return -1;
	}
	if (add_count(w, size, 1))
		return -1;
	if (m->fn) {
		memcpy(w->cur, w->path, m_len * sizeof *w->cur);
		memcpy(w->cur + m_len, w->ext, w->n_ext * sizeof *w->cur);
		emit(w, size, supp);
	}
	return 0;
}

/* ---- repositories ---- */

static size_t child_slot(uint32_t par, uint32_t x)
{
	uint64_t k = ((uint64_t)par << 32 | x) * 0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 32);
}

/* Sizes the table to slots (a power of two) and enters every node. */
static int repo_rehash(struct miner *m, struct repo *r, size_t slots)
{
	void **a[] = {(void **)&r->tab};
	size_t s[] = {4};
	if (resize_all(m, a, s, 1, &r->tcap, slots))
		return -1;
	r->tmask = slots - 1;
	memset(r->tab, 0xff, slots * 4);
	for (size_t id = 1; id < r->n_nodes; id++) {
		size_t h = child_slot(r->nodes[id].parent, r->nodes[id].item) & r->tmask;
		while (r->tab[h] != NIL)
			h = (h + 1) & r->tmask;
		r->tab[h] = (uint32_t)id;
	}
	return 0;
}

static int repo_reset(struct miner *m, struct repo *r, size_t n_items)
{
	if (repo_items(m, r, n_items) || repo_nodes(m, r, 1))
		return -1;
	for (size_t x = 0; x < n_items; x++)
		r->head[x] = NIL;
	r->nodes[0] = (struct rnode){NIL, NIL, NIL, 0};
	r->n_nodes = 1;
	r->max_size = 0;
	return repo_rehash(m, r, 64);
}

/* Adds the set a[0..n) (codes ascending) with support supp. */
static int repo_insert(struct miner *m, struct repo *r, const uint32_t *a, size_t n, uint32_t supp)
{
	if ((r->n_nodes + n) * 2 > r->tmask + 1) {
		size_t slots = r->tmask + 1;
		while ((r->n_nodes + n) * 2 > slots)
			slots *= 2;
		if (repo_nodes(m, r, r->n_nodes + n) || repo_rehash(m, r, slots))
			return -1;
	} else if (repo_nodes(m, r, r->n_nodes + n)) {
		return -1;
	}
	struct rnode *nd = r->nodes;
	uint32_t *tab = r->tab, par = 0;
	size_t mask = r->tmask;
	if (nd[0].supp < supp)
		nd[0].supp = supp;
	for (size_t j = 0; j < n; j++) {
		uint32_t x = a[j], ch;
		size_t h = child_slot(par, x) & mask;
		while ((ch = tab[h]) != NIL && (nd[ch].parent != par || nd[ch].item != x))
			h = (h + 1) & mask;
		if (ch == NIL) {
			ch = (uint32_t)r->n_nodes++;
			nd[ch] = (struct rnode){x, par, r->head[x], supp};
			r->head[x] = ch;
			tab[h] = ch;
		} else if (nd[ch].supp < supp) {
			nd[ch].supp = supp;
		}
		par = ch;
	}
	if (n > r->max_size)
		r->max_size = (uint32_t)n;
	return 0;
}

/* R_{k+1}: the sets of R_k holding item i, restricted to the items of the
 * conditional tree (map: R_k code -> child code or NIL). */
static int repo_project(struct worker *w, const struct repo *from, uint32_t i, const uint32_t *map,
                        struct repo *to, size_t n_items)
{
	struct miner *m = w->m;
	if (repo_reset(m, to, n_items))
		return -1;
	const struct rnode *nd = from->nodes;
	uint32_t *a = w->tmp_a;
	for (uint32_t r = from->head[i]; r != NIL; r = nd[r].next) {
		size_t n = 0;
		for (uint32_t p = nd[r].parent; p != 0; p = nd[p].parent) {
			uint32_t y = map[nd[p].item];
			if (y != NIL)
				a[n++] = y;
		}
		for (size_t x = 0, z = n; x + 1 < z; x++, z--) {
			uint32_t t = a[x];
			a[x] = a[z - 1];
			a[z - 1] = t;
		}
		if (repo_insert(m, to, a, n, nd[r].supp))
			return -1;
	}
	return 0;
}

/* Records the set found at depth k (item lv[k]->item with its perfect
 * extensions, and the path above) in R_k, R_{k-1}, ..., R_0, each time
 * restricted to that level's items. */
static int record(struct worker *w, size_t k, uint32_t supp)
{
	struct miner *m = w->m;
	uint32_t *a = w->tmp_a, *b = w->tmp_b;
	size_t n = 0;
	for (size_t j = k + 1; j-- > 0;) {
		struct level *l = w->lv[j];
		/* merge a[0..n) with the level's item and extensions (all ascending) */
		size_t x = 0, y = 0, z = 0;
		int item_done = 0;
		const uint32_t *e = l->ecodes;
		size_t ne = l->n_ecodes;
		while (x < n || y < ne || !item_done) {
			uint32_t best = NIL;
			int src = -1;
			if (x < n) {
				best = a[x];
				src = 0;
			}
			if (y < ne && (src < 0 || e[y] < best)) {
				best = e[y];
				src = 1;
			}
			if (!item_done && (src < 0 || l->item < best)) {
				best = l->item;
				src = 2;
			}
			b[z++] = best;
			if (src == 0)
				x++;
			else if (src == 1)
				y++;
			else
				item_done = 1;
		}
		uint32_t *t = a;
		a = b;
		b = t;
		n = z;
		if (repo_insert(m, &l->r, a, n, supp))
			return -1;
		if (j > 0) {
			const uint32_t *up = l->t.up;
			for (size_t q = 0; q < n; q++)
				a[q] = up[a[q]];
		}
	}
	return 0;
}

/* ---- conditional trees ---- */

/* Inserts the path a[0..n) (ascending) with weight c, sharing the prefix
 * it has with the path inserted before (*prev_len items). */
static void tree_insert(struct builder *b, size_t *prev_len, const uint32_t *a, size_t n,
                        uint32_t c)
{
	struct bnode *bn = b->bn;
	uint32_t *pi = b->prev_item, *pn = b->prev_node;
	size_t j = 0, pl = *prev_len;
	while (j < n && j < pl && pi[j] == a[j]) {
		bn[pn[j]].count += c;
		j++;
	}
	uint32_t par = j ? pn[j - 1] : 0;
	for (; j < n; j++) {
		uint32_t x = a[j];
		uint32_t ch = par == 0 ? b->rootchild[x] : bn[par].child;
		if (par != 0)
			while (ch != NIL && bn[ch].item != x)
				ch = bn[ch].sib;
		if (ch == NIL)
			break;
		bn[ch].count += c;
		pi[j] = x;
		pn[j] = ch;
		par = ch;
	}
	for (; j < n; j++) {
		uint32_t x = a[j], id = (uint32_t)b->n++;
		bn[id] = (struct bnode){x, par, c, NIL, NIL};
		if (par == 0) {
			b->rootchild[x] = id;
		} else {
			bn[id].sib = bn[par].child;
			bn[par].child = id;
		}
		b->nper[x]++;
		pi[j] = x;
		pn[j] = id;
		par = id;
	}
	*prev_len = n;
}

/* Builds T_{k+1} from the paths pass 1 stored in l->pbuf[0..used). */
static int build_child(struct worker *w, const struct tree *T, struct level *l, size_t used,
                       uint32_t n_f, struct tree *C)
{
	struct miner *m = w->m;
	struct builder *b = &w->bld;
	/* no more nodes than paths' items, nor than T has (merging only shrinks) */
	size_t most = T->tx || used + 1 < T->n_nodes ? used + 1 : T->n_nodes;
	if (tree_items(m, C, n_f) || builder_reserve(m, b, most, n_f, T->maxdepth))
		return -1;
	C->n_items = n_f;
	for (uint32_t x = 0; x < n_f; x++) {
		uint32_t o = l->fitems[x];
		C->supp[x] = l->cnt[o];
		C->up[x] = o;
		C->gid[x] = T->gid[o];
	}
	builder_start(b, n_f);
	size_t prev_len = 0, longest = 0;
	const uint32_t *map = l->map, *p = l->pbuf, *end = l->pbuf + used;
	uint32_t *a = w->tmp_b;
	while (p < end) {
		uint32_t c = p[0], len = p[1];
		const uint32_t *items = p + 2;
		p += 2 + len;
		size_t n = 0;
		for (uint32_t j = len; j-- > 0;) {
			uint32_t y = map[items[j]];
			a[n] = y;
			n += y != NIL;
		}
		if (n)
			tree_insert(b, &prev_len, a, n, c);
		longest = n > longest ? n : longest;
	}
	C->maxdepth = (uint32_t)longest;
	return finish_tree(m, b, C);
}

static enum rebuy_status mine_tree(struct worker *w, size_t k);

/* Pass 1 over a tree too large for the caches: WALKERS paths are followed
 * up at once, so that their cache misses overlap, each into its own slot of
 * pbuf; the slots are then closed up. */
#define WIDE_NODES 32768
#define WALKERS 8
static int pass1_wide(struct miner *m, const struct tree *T, uint32_t i, struct level *l,
                      size_t *nt_io, size_t *used_io)
{
	const struct node *nd = T->nodes;
	uint32_t *cnt = l->cnt, *touched = l->touched;
	size_t d = (size_t)T->maxdepth + 2, used = *used_io, nt = *nt_io;
	uint32_t n = T->first[i], ne = T->first[i + 1];
	while (n < ne) {
		uint32_t g = ne - n < WALKERS ? ne - n : WALKERS;
		if (used + g * d > l->pbuf_cap && level_pbuf(m, l, used + g * d))
			return -1;
		uint32_t *base = l->pbuf + used;
		uint32_t p[WALKERS], c[WALKERS], len[WALKERS];
		uint32_t live = 0;
		for (uint32_t j = 0; j < g; j++) {
			p[j] = nd[n + j].parent;
			c[j] = nd[n + j].count;
			len[j] = 0;
			live |= p[j];
		}
		while (live) {
			live = 0;
			for (uint32_t j = 0; j < g; j++) {
				uint32_t pj = p[j];
				if (!pj)
					continue;
				uint32_t x = nd[pj].item;
				base[j * d + 2 + len[j]++] = x;
				touched[nt] = x; /* branch-free: kept when x is new */
				nt += !cnt[x];
				cnt[x] += c[j];
				p[j] = nd[pj].parent;
				live |= p[j];
			}
		}
		uint32_t *out = base;
		for (uint32_t j = 0; j < g; j++) {
			memmove(out + 2, base + j * d + 2, len[j] * sizeof *out);
			out[0] = c[j];
			out[1] = len[j];
			out += 2 + len[j];
		}
		used += (size_t)(out - base);
		n += g;
	}
	*nt_io = nt;
	*used_io = used;
	return 0;
}

/* Pass 1 for item i of T: the supports of the items in its conditional
 * database go to l->cnt (the items seen to l->touched), and the database's
 * paths to l->pbuf as records (count, length, codes walking up). */
static int gather(struct miner *m, struct level *l, const struct tree *T, uint32_t i,
                  size_t *nt_out, size_t *used_out)
{
	uint32_t *cnt = l->cnt, *touched = l->touched;
	size_t nt = 0, used = 0;
	if (!T->tx && T->n_nodes > WIDE_NODES) {
		int bad = pass1_wide(m, T, i, l, &nt, &used);
		*nt_out = nt;
		*used_out = used;
		return bad;
	}
	for (uint32_t o = T->first[i], oe = T->first[i + 1]; o < oe; o++) {
		if (used + 2 + T->maxdepth > l->pbuf_cap &&
		    level_pbuf(m, l, used + 2 + T->maxdepth))
			return -1;
		uint32_t *h = l->pbuf + used, *q = h + 2, c;
		if (T->tx) {
			/* back from the occurrence to the transaction's weight word;
			 * the transactions come in no order: fetch ahead */
			uint32_t x;
			if (o + 8 < oe) {
				uint32_t ahead = T->occ[o + 8];
				__builtin_prefetch(T->tx + ahead - 1);
				__builtin_prefetch(T->tx + (ahead > 17 ? ahead - 17 : 0));
			}
			for (uint32_t r = T->occ[o] - 1; !((x = T->tx[r]) & HI); r--)
				*q++ = x;
			c = x & ~HI;
			for (const uint32_t *z = h + 2; z < q; z++) {
				touched[nt] = *z; /* branch-free: kept when *z is new */
				nt += !cnt[*z];
				cnt[*z] += c;
			}
		} else {
			const struct node *nd = T->nodes;
			c = nd[o].count;
			for (uint32_t p = nd[o].parent; p != 0; p = nd[p].parent) {
				uint32_t x = nd[p].item;
				*q++ = x;
				touched[nt] = x;
				nt += !cnt[x];
				cnt[x] += c;
			}
		}
		h[0] = c;
		h[1] = (uint32_t)(q - h - 2);
		used = (size_t)(q - l->pbuf);
	}
	*nt_out = nt;
	*used_out = used;
	return 0;
}

/* Splits the items seen in pass 1 into perfect extensions (support s: to
 * l->ecodes and the worker's ext) and the frequent rest (to l->fitems, with
 * l->map giving their codes in the conditional tree), both in code order:
 * they are marked in a bitmap that is then read word by word, which is
 * cheaper than sorting the touched items. Returns the frequent ones. */
static uint32_t classify(struct worker *w, struct level *l, const struct tree *T, uint32_t s,
                         size_t nt)
{
	const uint32_t *cnt = l->cnt, *touched = l->touched;
	uint32_t n_f = 0, n_e = 0, lo = NIL, hi = 0, minsup = w->m->minsup;
	uint64_t *bits = l->bits;
	for (size_t t = 0; t < nt; t++) {
		uint32_t x = touched[t];
		if (cnt[x] < minsup)
			continue;
		bits[x >> 6] |= (uint64_t)1 << (x & 63);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	for (uint32_t wd = lo >> 6; lo != NIL && wd <= hi >> 6; wd++) {
		uint64_t word = bits[wd];
		bits[wd] = 0;
		while (word) {
			uint32_t x = (wd << 6) + (uint32_t)__builtin_ctzll(word);
			word &= word - 1;
			if (cnt[x] == s) {
				l->ecodes[n_e++] = x;
				w->ext[w->n_ext++] = T->gid[x];
			} else {
				l->map[x] = n_f;
				l->fitems[n_f++] = x;
			}
		}
	}
	l->n_ecodes = n_e;
	return n_f;
}

/* Target ALL at a node of m_len path items; *descend when the conditional
 * tree is to be mined. */
static enum rebuy_status node_all(struct worker *w, const struct tree *T, struct level *l,
                                  size_t m_len, uint32_t s, uint32_t n_f, int *descend)
{
	struct miner *m = w->m;
	if (report_all(w, m_len, s))
		return w->overflow ? REBUY_ELIMIT : REBUY_OK;
	if (!n_f || m_len >= m->limit || w->stop)
		return REBUY_OK;
	if (m_len + 1 < m->limit) {
		*descend = 1;
		return REBUY_OK;
	}
	/* The children are single sets of limit items: no tree needed. */
	if (!m->fn)
		return add_count(w, m->limit, n_f) ? REBUY_ELIMIT : REBUY_OK;
	memcpy(w->cur, w->path, m_len * sizeof *w->cur);
	for (uint32_t x = n_f; x-- > 0 && !w->stop;) {
		w->cur[m_len] = T->gid[l->fitems[x]];
		emit(w, m_len + 1, l->cnt[l->fitems[x]]);
		if (add_count(w, m_len + 1, 1))
			return REBUY_ELIMIT;
	}
	return REBUY_OK;
}

/* Target CLOSED: the node's set is closed unless a set found before holds
 * it with the same support (R_k's sets holding item i). */
static enum rebuy_status node_closed(struct worker *w, size_t k, uint32_t i, struct level *c,
                                     uint32_t s, uint32_t n_f, int *descend)
{
	struct level *l = w->lv[k];
	const struct repo *r = &l->r;
	uint32_t best = 0;
	for (uint32_t x = r->head[i]; x != NIL; x = r->nodes[x].next)
		best = r->nodes[x].supp > best ? r->nodes[x].supp : best;
	if (n_f && repo_project(w, r, i, l->map, &c->r, n_f))
		return REBUY_ENOMEM;
	if (best < s && (report_set(w, k + 1, s) || record(w, k, s)))
		return w->overflow ? REBUY_ELIMIT : REBUY_ENOMEM;
	*descend = n_f > 0;
	return REBUY_OK;
}

/* Target MAXIMAL: a leaf's set is maximal unless a set found before holds
 * it; below an inner node nothing is new when a found set holds all of
 * the conditional tree's items (FPmax's look-ahead). */
static enum rebuy_status node_maximal(struct worker *w, size_t k, uint32_t i, struct level *c,
                                      uint32_t s, uint32_t n_f, int *descend)
{
	struct level *l = w->lv[k];
	if (!n_f) {
		if (l->r.head[i] == NIL && (report_set(w, k + 1, s) || record(w, k, s)))
			return w->overflow ? REBUY_ELIMIT : REBUY_ENOMEM;
		return REBUY_OK;
	}
	if (repo_project(w, &l->r, i, l->map, &c->r, n_f))
		return REBUY_ENOMEM;
	*descend = c->r.max_size < n_f;
	return REBUY_OK;
}

/* One node of the search: item i of the tree at depth k, appended to the
 * path. */
static enum rebuy_status visit(struct worker *w, size_t k, uint32_t i)
{
	struct miner *m = w->m;
	struct level *l = w->lv[k], *c = NULL;
	const struct tree *T = k ? &l->t : &m->t0;
	uint32_t s = T->supp[i];
	size_t nt = 0, used = 0, ext0 = w->n_ext;
	enum rebuy_status st = REBUY_OK;
	int descend = 0;

	if (gather(m, l, T, i, &nt, &used))
		st = REBUY_ENOMEM;
	uint32_t n_f = st ? 0 : classify(w, l, T, s, nt);
	l->item = i;
	w->path[k] = T->gid[i];
	if (st == REBUY_OK && n_f && (m->target != REBUY_ITEMSETS_ALL || k + 2 < m->limit)) {
		if (k + 1 >= MAX_DEPTH) {
			w->overflow = OVER_DEPTH;
			st = REBUY_ELIMIT;
		} else if (!(c = level_at(w, k + 1)) || level_items(m, c, (size_t)n_f + 1)) {
			st = REBUY_ENOMEM;
		}
	}
	if (st == REBUY_OK) {
		if (m->target == REBUY_ITEMSETS_ALL)
			st = node_all(w, T, l, k + 1, s, n_f, &descend);
		else if (m->target == REBUY_ITEMSETS_CLOSED)
			st = node_closed(w, k, i, c, s, n_f, &descend);
		else
			st = node_maximal(w, k, i, c, s, n_f, &descend);
	}
	if (st == REBUY_OK && descend && !w->stop && build_child(w, T, l, used, n_f, &c->t))
		st = REBUY_ENOMEM;
	for (size_t t = 0; t < nt; t++) {
		l->cnt[l->touched[t]] = 0;
		l->map[l->touched[t]] = NIL;
	}
	if (st == REBUY_OK && descend && !w->stop)
		st = mine_tree(w, k + 1);
	w->n_ext = ext0;
	return st;
}

static enum rebuy_status mine_tree(struct worker *w, size_t k)
{
	const struct tree *T = &w->lv[k]->t;
	for (uint32_t i = T->n_items; i-- > 0;) {
		enum rebuy_status st = visit(w, k, i);
		if (st || w->stop)
			return st;
	}
	return REBUY_OK;
}

/* ---- the initial tree ---- */

struct rank {
	uint32_t supp, id;
};

static int cmp_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;
	if (x->supp != y->supp)
		return x->supp > y->supp ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

struct frame {
	size_t lo, hi;
	uint32_t depth, parent, item;
};

/* The grouping of the transactions (an MSD radix sort that yields the
 * tree's nodes as it goes). */
struct msd {
	const uint32_t *tx;
	const uint64_t *ts;
	uint32_t *ord, *tmp, *key_cnt, *keys;
	struct frame *stack;
	size_t n_stack, stack_cap;
};

/* Groups ord[lo..hi) by the code at position d (transactions that end
 * before d first) and pushes a frame per group, last group first so that
 * the nodes come out in depth-first order. */
static int push_groups(struct miner *m, struct msd *g, size_t lo, size_t hi, uint32_t d,
                       uint32_t parent)
{
	const uint32_t *tx = g->tx;
	const uint64_t *ts = g->ts;
	uint32_t *ord = g->ord, *tmp = g->tmp, *key_cnt = g->key_cnt, *keys = g->keys;
	size_t a = lo;
	for (size_t j = lo; j < hi; j++) {
		uint32_t t = ord[j];
		if (ts[t + 1] - ts[t] <= d) {
			ord[j] = ord[a];
			ord[a++] = t;
		}
	}
	if (a == hi)
		return 0;
	size_t n_keys = 0;
	if (hi - a <= 16) {
		/* insertion sort by key */
		for (size_t j = a + 1; j < hi; j++) {
			uint32_t t = ord[j], kt = tx[ts[t] + d];
			size_t q = j;
			while (q > a && tx[ts[ord[q - 1]] + d] > kt) {
				ord[q] = ord[q - 1];
				q--;
			}
			ord[q] = t;
		}
		for (size_t j = a; j < hi; j++) {
			uint32_t kt = tx[ts[ord[j]] + d];
			if (j == a || kt != keys[n_keys - 1])
				keys[n_keys++] = kt;
			key_cnt[kt]++;
		}
	} else {
		for (size_t j = a; j < hi; j++) {
			uint32_t kt = tx[ts[ord[j]] + d];
			if (!key_cnt[kt]++)
				keys[n_keys++] = kt;
		}
		sort_codes(keys, n_keys);
		size_t off = a;
		for (size_t q = 0; q < n_keys; q++) {
			uint32_t c = key_cnt[keys[q]];
			key_cnt[keys[q]] = (uint32_t)(off - a);
			off += c;
		}
		for (size_t j = a; j < hi; j++) {
			uint32_t t = ord[j], kt = tx[ts[t] + d];
			tmp[a + key_cnt[kt]++] = t;
		}
		memcpy(ord + a, tmp + a, (hi - a) * sizeof *ord);
		/* key_cnt[k] is now the end offset of group k: back to counts */
		for (size_t q = n_keys; q-- > 0;)
			key_cnt[keys[q]] -= q ? key_cnt[keys[q - 1]] : 0;
	}
	if (g->n_stack + n_keys > g->stack_cap) {
		void **arr[] = {(void **)&g->stack};
		size_t s[] = {sizeof(struct frame)};
		if (resize_all(m, arr, s, 1, &g->stack_cap, g->n_stack + n_keys))
			return -1;
	}
	size_t end = hi;
	for (size_t q = n_keys; q-- > 0;) {
		uint32_t kt = keys[q], c = key_cnt[kt];
		key_cnt[kt] = 0;
		g->stack[g->n_stack++] = (struct frame){end - c, end, d + 1, parent, kt};
		end -= c;
	}
	return 0;
}

/* Groups every transaction, depth first; with bld the nodes are made, and
 * *steps receives the parent links a full projection would follow. */
static int group_all(struct miner *m, struct msd *g, size_t n_t, struct builder *bld,
                     uint64_t *steps)
{
	uint32_t n = 1;
	*steps = 0;
	if (push_groups(m, g, 0, n_t, 0, 0))
		return -1;
	while (g->n_stack) {
		struct frame f = g->stack[--g->n_stack];
		uint32_t id = n++;
		if (bld) {
			bld->bn[id] =
			        (struct bnode){f.item, f.parent, (uint32_t)(f.hi - f.lo), NIL, NIL};
			bld->nper[f.item]++;
		}
		*steps += f.depth - 1;
		if (push_groups(m, g, f.lo, f.hi, f.depth, id))
			return -1;
	}
	if (bld)
		bld->n = n;
	return 0;
}

/* The initial database as sorted transactions (see struct tree): equal
 * neighbours merge into one with their count as weight. The recoded
 * transactions' block (total + 1 words) is taken over for occ once they
 * are copied: touching fresh memory costs more than filling it here. */
static int layout_arrays(struct miner *m, struct tree *t, uint32_t **tx_taken, const uint64_t *ts,
                         const uint32_t *ord, size_t n_t, size_t total)
{
	const uint32_t *tx = *tx_taken;
	t->n_tx = total + n_t + 1;
	t->tx = mem_resize(m, NULL, 0, t->n_tx * 4);
	if (!t->tx)
		return -1;
	uint32_t *out = t->tx, *first = t->first;
	size_t w = 0, last = 0, last_len = 0;
	for (uint32_t x = 0; x <= t->n_items; x++)
		first[x] = 0;
	for (size_t j = 0; j < n_t; j++) {
		const uint32_t *a = tx + ts[ord[j]];
		size_t len = (size_t)(ts[ord[j] + 1] - ts[ord[j]]);
		if (j > 0 && len == last_len && out[last] < (HI | (HI - 1)) &&
		    memcmp(a, out + last + 1, len * 4) == 0) {
			out[last]++;
			continue;
		}
		last = w;
		last_len = len;
		out[w++] = HI | 1;
		memcpy(out + w, a, len * 4);
		for (size_t q = 0; q < len; q++)
			first[a[q] + 1]++;
		w += len;
	}
	for (uint32_t x = 0; x < t->n_items; x++)
		first[x + 1] += first[x];
	t->occ = *tx_taken;
	t->n_occ = total + 1;
	*tx_taken = NULL;
	/* positions, in transaction order within each code */
	for (size_t p = 0; p < w; p++) {
		uint32_t x = out[p];
		if (!(x & HI))
			t->occ[first[x]++] = (uint32_t)p;
	}
	for (uint32_t x = t->n_items; x > 0; x--)
		first[x] = first[x - 1];
	first[0] = 0;
	t->n_nodes = 0;
	return 0;
}

/* Recodes the baskets (frequent items that are not in every basket, by
 * descending support) and builds the initial FP-tree top-down from the
 * transactions grouped by their first, second, ... item (Borgelt 2005),
 * so that no node ever searches its children. */
static enum rebuy_status build_initial(struct miner *m, uint32_t **e0_codes)
{
	struct builder b0, *bld = &b0;
	memset(&b0, 0, sizeof b0);
	const struct rebuy_baskets *b = m->b;
	enum rebuy_status st = REBUY_ENOMEM;
	size_t ni = b->n_items, nb = b->n_baskets;
	uint32_t *supp = NULL, *code = NULL, *tx = NULL, *ord = NULL, *tmp = NULL;
	uint32_t *key_cnt = NULL, *keys = NULL;
	uint64_t *ts = NULL;
	struct rank *rk = NULL;
	size_t n_rk = 0, n_freq = 0, n_e0 = 0;
	size_t tx_bytes = 0, ts_bytes = (nb + 1) * sizeof *ts;

	supp = mem_resize(m, NULL, 0, (ni + 1) * 4);
	code = mem_resize(m, NULL, 0, (ni + 1) * 4);
	if (!supp || !code)
		goto out;
	memset(supp, 0, (ni + 1) * 4);
	for (size_t k = 0; k < b->start[nb]; k++)
		supp[b->items[k]]++;
	for (size_t x = 0; x < ni; x++) {
		if (supp[x] >= m->minsup) {
			n_freq++;
			n_e0 += supp[x] == nb;
		}
	}
	m->n0 = (uint32_t)(n_freq - n_e0);
	m->n_e0 = n_e0;
	m->n_freq = n_freq;
	rk = mem_resize(m, NULL, 0, (n_freq + 1) * sizeof *rk);
	m->code2id = mem_resize(m, NULL, 0, (n_freq + 1) * 4);
	*e0_codes = mem_resize(m, NULL, 0, (n_e0 + 1) * 4);
	if (!rk || !m->code2id || !*e0_codes)
		goto out;
	size_t ne = 0;
	for (size_t x = 0; x < ni; x++) {
		code[x] = NIL;
		if (supp[x] < m->minsup)
			continue;
		if (supp[x] == nb) {
			m->code2id[m->n0 + ne] = (uint32_t)x;
			(*e0_codes)[ne] = m->n0 + (uint32_t)ne;
			ne++;
		} else {
			rk[n_rk++] = (struct rank){supp[x], (uint32_t)x};
		}
	}
	qsort(rk, n_rk, sizeof *rk, cmp_rank);
	for (size_t c = 0; c < n_rk; c++) {
		code[rk[c].id] = (uint32_t)c;
		m->code2id[c] = rk[c].id;
	}

	/* the recoded transactions */
	size_t total = 0;
	for (size_t x = 0; x < ni; x++)
		total += code[x] != NIL ? supp[x] : 0;
	if (total >= NIL - 1) {
		st = REBUY_ELIMIT; /* node numbers are uint32_t */
		goto out;
	}
	tx_bytes = (total + 1) * 4;
	tx = mem_resize(m, NULL, 0, tx_bytes);
	ts = mem_resize(m, NULL, 0, ts_bytes);
	ord = mem_resize(m, NULL, 0, (nb + 1) * 4);
	tmp = mem_resize(m, NULL, 0, (nb + 1) * 4);
	key_cnt = mem_resize(m, NULL, 0, (m->n0 + 1) * 4);
	keys = mem_resize(m, NULL, 0, (m->n0 + 1) * 4);
	if (!tx || !ts || !ord || !tmp || !key_cnt || !keys)
		goto out;
	memset(key_cnt, 0, (m->n0 + 1) * 4);
	size_t w = 0, n_t = 0;
	uint32_t longest = 0;
	ts[0] = 0;
	for (size_t t = 0; t < nb; t++) {
		size_t from = w;
		for (uint64_t k = b->start[t]; k < b->start[t + 1]; k++) {
			uint32_t c = code[b->items[k]];
			if (c != NIL)
				tx[w++] = c;
		}
		if (w == from)
			continue;
		sort_codes(tx + from, w - from);
		if (w - from > longest)
			longest = (uint32_t)(w - from);
		ord[n_t] = (uint32_t)n_t;
		ts[++n_t] = w;
	}

	struct tree *t = &m->t0;
	if (tree_items(m, t, m->n0))
		goto out;
	t->n_items = m->n0;
	t->maxdepth = longest;
	for (uint32_t x = 0; x < m->n0; x++) {
		t->supp[x] = rk[x].supp;
		t->gid[x] = t->up[x] = x;
	}
	struct msd g = {tx, ts, ord, tmp, key_cnt, keys, NULL, 0, 0};
	uint64_t tree_steps = 0, array_steps = 0;
	int failed = group_all(m, &g, n_t, NULL, &tree_steps);
	for (size_t q = 0; q < n_t; q++) {
		uint64_t len = ts[q + 1] - ts[q];
		array_steps += len * (len - 1) / 2;
	}
	/* Where the tree saves little (sparse data), reading the sorted
	 * transactions beats following parent links through a large tree. */
	if (failed) {
		/* out of memory */
	} else if (array_steps <= 3 * tree_steps && total + n_t < HI && m->n0 < HI) {
		failed = layout_arrays(m, t, &tx, ts, ord, n_t, total);
	} else {
		failed = builder_reserve(m, bld, total + 1, m->n0, longest);
		if (!failed) {
			builder_start(bld, m->n0);
			bld->bn[0].count = (uint32_t)nb;
			failed = group_all(m, &g, n_t, bld, &tree_steps) || finish_tree(m, bld, t);
		}
	}
	mem_free(m, g.stack, g.stack_cap * sizeof *g.stack);
	if (failed)
		goto out;
	st = REBUY_OK;
out:
	builder_release(m, bld);
	mem_free(m, supp, (ni + 1) * 4);
	mem_free(m, code, (ni + 1) * 4);
	mem_free(m, rk, (n_freq + 1) * sizeof *rk);
	mem_free(m, tx, tx_bytes);
	mem_free(m, ts, ts_bytes);
	mem_free(m, ord, (nb + 1) * 4);
	mem_free(m, tmp, (nb + 1) * 4);
	mem_free(m, key_cnt, (m->n0 + 1) * 4);
	mem_free(m, keys, (m->n0 + 1) * 4);
	return st;
}

/* ---- the driver ---- */

void rebuy_mine_options_init(struct rebuy_mine_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->target = REBUY_ITEMSETS_ALL;
	opts->min_count = 1;
}

static void worker_release(struct worker *w)
{
	struct miner *m = w->m;
	if (!m)
		return;
	for (size_t k = 0; k < w->n_lv; k++)
		level_free(m, w->lv[k]);
	builder_release(m, &w->bld);
	mem_free(m, w->lv, w->n_lv * sizeof *w->lv);
	size_t n = (size_t)m->n0 + 2, ne = m->n_freq + 2;
	mem_free(m, w->path, n * 4);
	mem_free(m, w->ext, ne * 4);
	mem_free(m, w->tmp_a, n * 4);
	mem_free(m, w->tmp_b, n * 4);
	memset(w, 0, sizeof *w);
}

static int worker_init(struct miner *m, struct worker *w, const uint32_t *e0)
{
	memset(w, 0, sizeof *w);
	w->m = m;
	size_t n = (size_t)m->n0 + 2, ne = m->n_freq + 2;
	w->path = mem_resize(m, NULL, 0, n * 4);
	w->ext = mem_resize(m, NULL, 0, ne * 4);
	w->tmp_a = mem_resize(m, NULL, 0, n * 4);
	w->tmp_b = mem_resize(m, NULL, 0, n * 4);
	if (!w->path || !w->ext || !w->tmp_a || !w->tmp_b)
		return -1;
	memcpy(w->ext, e0, m->n_e0 * sizeof *e0);
	w->n_ext = m->n_e0;
	struct level *l = level_at(w, 0);
	if (!l || level_items(m, l, n))
		return -1;
	if (m->target != REBUY_ITEMSETS_ALL && repo_reset(m, &l->r, m->n0))
		return -1;
	return 0;
}

struct par {
	struct worker *ws;
};

static enum rebuy_status par_item(void *ud, size_t idx, unsigned thread)
{
	struct par *p = ud;
	return visit(&p->ws[thread], 0, (uint32_t)idx);
}

/* The sets made of the root's perfect extensions alone. */
static enum rebuy_status mine_root(struct worker *w)
{
	struct miner *m = w->m;
	uint32_t nb = (uint32_t)m->b->n_baskets;
	int bad = 0;
	if (m->n_e0 == 0)
		return REBUY_OK;
	if (m->target == REBUY_ITEMSETS_ALL)
		bad = report_all(w, 0, nb);
	else if (m->target == REBUY_ITEMSETS_CLOSED || m->n0 == 0)
		bad = report_set(w, 0, nb);
	return bad ? REBUY_ELIMIT : REBUY_OK;
}

static enum rebuy_status run(struct miner *m, const uint32_t *e0, unsigned n_threads,
                             struct rebuy_mine_result *res, int *overflow)
{
	enum rebuy_status st = REBUY_OK;
	if (n_threads < 1 || m->fn || m->target != REBUY_ITEMSETS_ALL || m->n0 < 64)
		n_threads = 1;
	struct worker *ws = mem_resize(m, NULL, 0, n_threads * sizeof *ws);
	if (!ws)
		return REBUY_ENOMEM;
	memset(ws, 0, n_threads * sizeof *ws);
	for (unsigned t = 0; t < n_threads && st == REBUY_OK; t++)
		if (worker_init(m, &ws[t], e0))
			st = REBUY_ENOMEM;
	if (st == REBUY_OK)
		st = mine_root(&ws[0]);
	if (st == REBUY_OK && !ws[0].stop) {
		if (n_threads > 1) {
			struct par p = {ws};
			st = rebuy__parallel_for(n_threads, m->n0, par_item, &p);
		} else {
			for (uint32_t i = m->n0; i-- > 0 && st == REBUY_OK && !ws[0].stop;)
				st = visit(&ws[0], 0, i);
		}
	}
	for (unsigned t = 0; t < n_threads; t++) {
		struct worker *w = &ws[t];
		for (size_t k = 0; k <= REBUY_ITEMSET_MAX_LEN; k++)
			res->by_size[k] += w->by_size[k];
		res->n_itemsets += w->n;
		if (w->longest > res->longest)
			res->longest = w->longest;
		res->stopped |= w->stop && m->fn;
		if (w->overflow && !*overflow)
			*overflow = w->overflow;
		worker_release(w);
	}
	mem_free(m, ws, n_threads * sizeof *ws);
	return st;
}

enum rebuy_status rebuy_itemsets_mine(const struct rebuy_baskets *b,
                                      const struct rebuy_mine_options *opts, rebuy_itemset_fn fn,
                                      void *ud, struct rebuy_mine_result *result,
                                      struct rebuy_error *err)
{
	struct rebuy_mine_result res;
	memset(&res, 0, sizeof res);
	if (result)
		memset(result, 0, sizeof *result);
	if (!b || !opts || !result)
		return rebuy_error_set(err, REBUY_EARG, "itemsets: no baskets, options or result");
	if (opts->target != REBUY_ITEMSETS_ALL && opts->target != REBUY_ITEMSETS_CLOSED &&
	    opts->target != REBUY_ITEMSETS_MAXIMAL)
		return rebuy_error_set(err, REBUY_EARG, "itemsets: unknown target %d",
		                       (int)opts->target);
	if (opts->min_count < 1)
		return rebuy_error_set(err, REBUY_EARG,
		                       "itemsets: the minimum support must be at least 1 basket");
	if (opts->max_len > REBUY_ITEMSET_MAX_LEN)
		return rebuy_error_set(err, REBUY_EARG,
		                       "itemsets: max_len %zu is more than %d items", opts->max_len,
		                       REBUY_ITEMSET_MAX_LEN);
	if (b->n_baskets >= NIL)
		return rebuy_error_set(err, REBUY_ELIMIT, "itemsets: more than %u baskets",
		                       (unsigned)(NIL - 1));
	if (opts->min_count > b->n_baskets)
		return REBUY_OK; /* nothing is frequent */

	struct miner m;
	memset(&m, 0, sizeof m);
	m.b = b;
	m.target = opts->target;
	m.minsup = (uint32_t)opts->min_count;
	m.len_given = opts->max_len != 0;
	m.limit = opts->max_len ? opts->max_len : REBUY_ITEMSET_MAX_LEN;
	m.fn = fn;
	m.ud = ud;
	atomic_init(&m.cur, 0);
	atomic_init(&m.peak, 0);
	unsigned n_threads = opts->n_threads ? opts->n_threads : rebuy__cpu_count();

	uint32_t *e0 = NULL;
	int overflow = 0;
	enum rebuy_status st = build_initial(&m, &e0);
	if (st == REBUY_ELIMIT)
		overflow = OVER_SIZE;
	if (st == REBUY_OK)
		st = run(&m, e0, n_threads, &res, &overflow);
	tree_release(&m, &m.t0);
	mem_free(&m, m.code2id, (m.n_freq + 1) * 4);
	mem_free(&m, e0, (m.n_e0 + 1) * 4);
	res.peak_bytes = atomic_load(&m.peak);
	switch (st) {
	case REBUY_OK: *result = res; return REBUY_OK;
	case REBUY_ENOMEM: return rebuy_error_set(err, st, "itemsets: out of memory");
	case REBUY_ELIMIT:
		if (overflow == OVER_COUNT)
			return rebuy_error_set(err, st,
			                       "itemsets: more than 2^64 itemsets to count");
		if (overflow == OVER_SIZE)
			return rebuy_error_set(
			        err, st, "itemsets: more than 2^32 occurrences of frequent items");
		if (overflow == OVER_DEPTH)
			return rebuy_error_set(err, st,
			                       "itemsets: the search went deeper than %d items",
			                       MAX_DEPTH);
		return rebuy_error_set(err, st,
		                       "itemsets: a frequent itemset has more than %d items; set "
		                       "max_len to list the shorter ones",
		                       REBUY_ITEMSET_MAX_LEN);
	default: return rebuy_error_set(err, st, "itemsets: mining failed");
	}
}
