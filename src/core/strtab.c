/* Interning table: open addressing, linear probing, load factor <= 1/2.
 * Short keys (<= 8 bytes) are stored in the slot itself; hashing a short key
 * is one multiply-xorshift round (a 64-bit finalizer in the style of
 * MurmurHash3's fmix64, in strtab.h), long keys use XXH3 from libxxhash. */
#include "core/strtab.h"

#include <string.h>
#include <xxhash.h>

#include "core/mem.h"
#include "core/region.h"

static inline uint64_t pack_short(const char *key, size_t len)
{
	return rebuy__strtab_pack(key, len);
}

uint64_t rebuy__strtab_hash(const char *key, size_t len)
{
	if (len <= 8)
		return rebuy__strtab_hash_word(pack_short(key, len), len);
	return XXH3_64bits(key, len);
}

void rebuy__strtab_init(struct rebuy__strtab *t)
{
	memset(t, 0, sizeof *t);
}

void rebuy__strtab_init_region(struct rebuy__strtab *t, struct rebuy__region *region)
{
	memset(t, 0, sizeof *t);
	t->region = region;
}

void rebuy__strtab_release(struct rebuy__strtab *t)
{
	if (!t->region)
		rebuy__free(t->slots);
	rebuy__free(t->offs);
	rebuy__free(t->chars);
	memset(t, 0, sizeof *t);
}

static uint64_t slot_hash(const struct rebuy__strtab_slot *s)
{
	if (s->len <= 8)
		return rebuy__strtab_hash_word(s->word, s->len);
	return s->word;
}

static enum rebuy_status rehash(struct rebuy__strtab *t, size_t cap)
{
	struct rebuy__strtab_slot *slots;
	if (t->region) {
		if (!(slots = rebuy__region_alloc(t->region, cap * sizeof *slots)))
			return REBUY_ENOMEM;
		memset(slots, 0, cap * sizeof *slots);
	} else if (!(slots = rebuy__calloc(cap, sizeof *slots))) {
		return REBUY_ENOMEM;
	}
	size_t mask = cap - 1;
	for (size_t i = 0; t->slots && i <= t->mask; i++) {
		const struct rebuy__strtab_slot *s = &t->slots[i];
		if (!s->id)
			continue;
		size_t j = slot_hash(s) & mask;
		while (slots[j].id)
			j = (j + 1) & mask;
		slots[j] = *s;
	}
	if (!t->region)
		rebuy__free(t->slots);
	t->slots = slots;
	t->mask = mask;
	return REBUY_OK;
}

enum rebuy_status rebuy__strtab_reserve(struct rebuy__strtab *t, size_t n)
{
	size_t cap = t->slots ? t->mask + 1 : 0;
	if (n <= cap / 2)
		return REBUY_OK;
	size_t ncap = cap ? cap : 64;
	while (ncap / 2 < n) {
		if (ncap > SIZE_MAX / 4 / sizeof(struct rebuy__strtab_slot))
			return REBUY_ENOMEM;
		ncap *= 2;
	}
	return rehash(t, ncap);
}

static inline int slot_matches(const struct rebuy__strtab *t, const struct rebuy__strtab_slot *s,
                               const char *key, size_t len, uint64_t word)
{
	if (s->len != len || s->word != word)
		return 0;
	if (len <= 8)
		return 1;
	return memcmp(t->chars + (t->offs[s->id - 1] >> 16), key, len) == 0;
}

int rebuy__strtab_find(const struct rebuy__strtab *t, const char *key, size_t len, uint64_t hash,
                       uint32_t *id)
{
	if (!t->slots || len > REBUY__STRTAB_KEY_MAX)
		return 0;
	uint64_t word = len <= 8 ? pack_short(key, len) : hash;
	for (size_t j = hash & t->mask;; j = (j + 1) & t->mask) {
		const struct rebuy__strtab_slot *s = &t->slots[j];
		if (!s->id)
			return 0;
		if (slot_matches(t, s, key, len, word)) {
			*id = s->id - 1;
			return 1;
		}
	}
}

static enum rebuy_status insert(struct rebuy__strtab *t, const char *key, size_t len, uint64_t hash,
                                uint64_t word, uint32_t *id)
{
	if (t->n >= REBUY__STRTAB_MAX)
		return REBUY_ELIMIT;
	enum rebuy_status st = rebuy__strtab_reserve(t, t->n + 1);
	if (st)
		return st;
	st = rebuy__grow((void **)&t->offs, &t->offs_cap, t->n + 1, sizeof *t->offs,
	                 REBUY__STRTAB_MAX);
	if (st)
		return st;
	st = rebuy__grow((void **)&t->chars, &t->chars_cap, t->chars_len + len + 1, 1,
	                 (size_t)1 << 47);
	if (st)
		return st;
	memcpy(t->chars + t->chars_len, key, len);
	t->chars[t->chars_len + len] = '\0';
	t->offs[t->n] = (uint64_t)t->chars_len << 16 | len;
	t->chars_len += len + 1;
	size_t j = hash & t->mask;
	while (t->slots[j].id)
		j = (j + 1) & t->mask;
	struct rebuy__strtab_slot *s = &t->slots[j];
	s->word = word;
	s->len = (uint32_t)len;
	s->id = (uint32_t)t->n + 1;
	*id = (uint32_t)t->n++;
	return REBUY_OK;
}

enum rebuy_status rebuy__strtab_intern(struct rebuy__strtab *t, const char *key, size_t len,
                                       uint64_t hash, uint32_t *id, int *is_new)
{
	if (len > REBUY__STRTAB_KEY_MAX)
		return REBUY_ELIMIT;
	uint64_t word = len <= 8 ? pack_short(key, len) : hash;
	if (t->slots) {
		for (size_t j = hash & t->mask;; j = (j + 1) & t->mask) {
			const struct rebuy__strtab_slot *s = &t->slots[j];
			if (!s->id)
				break;
			if (slot_matches(t, s, key, len, word)) {
				*id = s->id - 1;
				if (is_new)
					*is_new = 0;
				return REBUY_OK;
			}
		}
	}
	if (is_new)
		*is_new = 1;
	return insert(t, key, len, hash, word, id);
}

enum rebuy_status rebuy__strtab_intern_word(struct rebuy__strtab *t, uint64_t word, size_t len,
                                            uint64_t hash, uint32_t *id)
{
	if (t->slots) {
		for (size_t j = hash & t->mask;; j = (j + 1) & t->mask) {
			const struct rebuy__strtab_slot *s = &t->slots[j];
			if (!s->id)
				break;
			if (s->word == word && s->len == len) {
				*id = s->id - 1;
				return REBUY_OK;
			}
		}
	}
	char key[8];
	rebuy__strtab_unpack(word, len, key);
	return insert(t, key, len, hash, word, id);
}
