/* Partial order records: what one thread (or one shard) has read of a slice
 * of the input, before lines are grouped into orders. Partials of disjoint
 * slices merge into the partial of their union; the orders table is built
 * from the partials of all threads (orders.c).
 *
 * Records are partitioned into REBUY__BUCKETS buckets by the hash of the
 * customer key, so a customer's records all sit in one bucket in every
 * partial: merging and grouping then work bucket by bucket, in cache, on
 * several threads, with no shared state. A customer key of up to 8 bytes
 * (most ids) travels inside its record, so reading does no hash-table
 * lookup for it; the build interns it in its bucket's small table. Longer
 * keys are interned while reading, in the bucket's table of long keys.
 *
 * An order key is encoded in 64 bits exactly: a canonical decimal number
 * below 10^18 as itself, a key of up to 7 bytes as its bytes and length,
 * any other key as an id in its bucket's table of long order keys.
 */
#ifndef REBUY_DATA_PARTIAL_H
#define REBUY_DATA_PARTIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/region.h"
#include "core/strtab.h"
#include "rebuy/error.h"
#include "rebuy/input.h"

#define REBUY__BUCKET_BITS 8
#define REBUY__BUCKETS (1u << REBUY__BUCKET_BITS)
#define REBUY__CHUNK_RECS 4096

#define REBUY__KEY_TAG_SHORT (1ULL << 62)
#define REBUY__KEY_TAG_LONG (2ULL << 62)
#define REBUY__KEY_TAG_MASK (3ULL << 62)

/* cust_len of a record whose customer key is longer than 8 bytes. */
#define REBUY__CUST_LONG 15u
/* Lines one record counts at most; a longer run of lines starts a new
 * record (the build folds records of one order anyway). */
#define REBUY__REC_MAX_LINES ((1u << 20) - 1)

/* 32 bytes a record: ten million records are 320 MB that must be touched
 * once, which on this kind of machine costs more than reading the file. */
struct rebuy__rec {
	int64_t value;
	uint64_t key;  /* encoded order key; 0 when lines group by time */
	uint64_t cust; /* the customer key packed (rebuy__strtab_pack), or, for a
	                * long key, its id in the bucket's customer table */
	uint64_t meta; /* time (seconds, 40 bits, signed) << 24 | cust_len << 20 | lines */
};

static inline uint64_t rebuy__rec_meta(int64_t ts, unsigned cust_len, unsigned lines)
{
	return (uint64_t)ts << 24 | (uint64_t)cust_len << 20 | lines;
}

static inline int64_t rebuy__rec_ts(const struct rebuy__rec *r)
{
	return (int64_t)r->meta >> 24; /* arithmetic: the sign comes back */
}

static inline unsigned rebuy__rec_cust_len(const struct rebuy__rec *r)
{
	return (unsigned)(r->meta >> 20) & 15u;
}

static inline unsigned rebuy__rec_lines(const struct rebuy__rec *r)
{
	return (unsigned)r->meta & REBUY__REC_MAX_LINES;
}

struct rebuy__chunk {
	struct rebuy__chunk *next;
	size_t n;
	int64_t *alt;        /* day-first reading of ambiguous dates, or NULL */
	uint32_t *attr;      /* n_attrs value ids per record (earliest line's), or NULL */
	uint64_t *line_hash; /* two words per record with --dedupe, or NULL */
	struct rebuy__rec recs[REBUY__CHUNK_RECS];
};

struct rebuy__bucket {
	struct rebuy__strtab customers; /* customer keys longer than 8 bytes */
	struct rebuy__strtab long_keys; /* order keys that do not fit a word */
	struct rebuy__chunk *head;      /* the oldest chunk; chunks run in reading order */
	struct rebuy__chunk *tail;      /* the newest, being filled */
	size_t n_recs;
};

struct rebuy__partial {
	struct rebuy__bucket buckets[REBUY__BUCKETS];
	int has_order_key;
	int has_alt; /* records carry alt readings (ambiguous slash dates) */
	int has_line_hash;
	size_t n_attrs;                                         /* attribute columns kept */
	struct rebuy__strtab attr_values[REBUY_MAX_ATTRIBUTES]; /* value -> id, per attribute */
	struct rebuy__region region; /* chunks and table slots; the tables point here */
};

static inline unsigned rebuy__bucket_of(uint64_t hash)
{
	return (unsigned)(hash >> (64 - REBUY__BUCKET_BITS));
}

/* A partial lives on the heap and never moves: its tables point into its
 * region. NULL when out of memory. */
struct rebuy__partial *rebuy__partial_new(int has_order_key, int has_alt, int has_line_hash,
                                          size_t n_attrs);
void rebuy__partial_free(struct rebuy__partial *p);

/* One line, parsed and cleaned. */
struct rebuy__line {
	const char *cust;
	size_t cust_len;
	uint64_t cust_hash; /* rebuy__strtab_hash(cust, cust_len) */
	uint64_t cust_word; /* rebuy__strtab_pack(cust, cust_len) when cust_len <= 8 */
	uint32_t attr[REBUY_MAX_ATTRIBUTES]; /* ids in the partial's attr_values */
	const char *okey;                    /* the order key, or NULL */
	size_t okey_len;
	int64_t ts, ts_alt;
	int64_t value;
	uint64_t line_hash[2];
};

/* The record the previous line went to, so that the next line of the same
 * order folds into it. Zero it at the start of a run of lines. */
struct rebuy__last {
	struct rebuy__chunk *chunk;
	size_t i;
};

/* Appends a record for the line, or folds it into the last one when it
 * continues the same order (same customer and order key, or same customer
 * and time without order keys; never with --dedupe).
 * Returns 1 when the line was folded, 0 when appended, or -status. */
int rebuy__partial_add(struct rebuy__partial *p, const struct rebuy__line *line,
                       struct rebuy__last *last);

/* Fills cust_hash and cust_word of a line from cust and cust_len. */
static inline void rebuy__line_hash_customer(struct rebuy__line *l)
{
	if (l->cust_len <= 8) {
		l->cust_word = rebuy__strtab_pack(l->cust, l->cust_len);
		l->cust_hash = rebuy__strtab_hash_word(l->cust_word, l->cust_len);
	} else {
		l->cust_word = 0;
		l->cust_hash = rebuy__strtab_hash(l->cust, l->cust_len);
	}
}

/* Prefetches what recording the line will touch: for a long customer key,
 * the slot of the bucket's table it will probe, so that a batch of lines
 * meets its cache misses in parallel. */
static inline void rebuy__partial_prefetch(const struct rebuy__partial *p,
                                           const struct rebuy__line *l)
{
	if (l->cust_len > 8)
		rebuy__strtab_prefetch(&p->buckets[rebuy__bucket_of(l->cust_hash)].customers,
		                       l->cust_hash);
}

/* Encodes an order key; long keys are interned in b's table. */
enum rebuy_status rebuy__order_key_encode(struct rebuy__bucket *b, const char *k, size_t n,
                                          uint64_t *out);

/* Moves the records of bucket `bucket` of src into dst (keys interned in
 * dst's tables, records copied into dst's chunks); src's bucket is left
 * empty. dst's region grows, so merges into one dst run one at a time.
 * (Reading merges its threads' partials inside the build of the orders
 * table instead, bucket by bucket in parallel: see orders.c.) */
enum rebuy_status rebuy__partial_merge_bucket(struct rebuy__partial *dst,
                                              struct rebuy__partial *src, unsigned bucket);

/* Trims blanks and reads a spreadsheet number id ("17850.0", or "17850,0"
 * when decimal is ',') as its integer ("17850"); returns the new length,
 * *start moved past leading blanks. */
size_t rebuy__key_normalize(const char **start, size_t n, char decimal);

#endif
