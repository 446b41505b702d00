/* An interning table: byte strings -> dense ids 0, 1, 2, ... in first-seen
 * order. Open addressing with linear probing over 16-byte slots; a key of up
 * to 8 bytes lives inside its slot, so looking it up touches one cache line
 * and compares exactly without reading the key store. Longer keys carry their
 * 64-bit hash in the slot and are compared against the key store on a hash
 * match. Ids are uint32_t; the table refuses more than REBUY__STRTAB_MAX keys.
 *
 * Not thread-safe: one table per thread, merged afterwards.
 */
#ifndef REBUY_CORE_STRTAB_H
#define REBUY_CORE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/error.h"

#define REBUY__STRTAB_MAX 0xFFFFFFF0u
#define REBUY__STRTAB_KEY_MAX 65535u /* longer keys are refused (REBUY_ELIMIT) */

struct rebuy__strtab_slot {
	uint64_t word; /* short key bytes, or the hash of a long key */
	uint32_t id;   /* id + 1; 0 marks an empty slot */
	uint32_t len;
};

struct rebuy__region;

struct rebuy__strtab {
	struct rebuy__region *region; /* slots come from here when set (never freed one by one) */
	struct rebuy__strtab_slot *slots;
	size_t mask;    /* capacity - 1 (capacity is a power of two) */
	size_t n;       /* keys */
	uint64_t *offs; /* per id: offset << 16 | length, into chars */
	size_t offs_cap;
	char *chars; /* every key, back to back, each followed by a NUL */
	size_t chars_len, chars_cap;
};

void rebuy__strtab_init(struct rebuy__strtab *t);
/* A table whose slot arrays come from region (which must outlive it). */
void rebuy__strtab_init_region(struct rebuy__strtab *t, struct rebuy__region *region);
void rebuy__strtab_release(struct rebuy__strtab *t);

/* The hash rebuy__strtab_intern expects for key[0..len). */
uint64_t rebuy__strtab_hash(const char *key, size_t len);

/* A key of at most 8 bytes as one word: byte i at bits 8i..8i+7. */
static inline uint64_t rebuy__strtab_pack(const char *key, size_t len)
{
	const unsigned char *k = (const unsigned char *)key;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Two overlapping 4-byte loads for lengths 4..8: the bytes they share
	 * are the same, so or-ing them gives the plain packing. */
	if (len >= 4) {
		uint32_t lo, hi;
		__builtin_memcpy(&lo, k, 4);
		__builtin_memcpy(&hi, k + len - 4, 4);
		return (uint64_t)lo | (uint64_t)hi << ((len - 4) * 8);
	}
#endif
	uint64_t w = 0;
	for (size_t i = 0; i < len; i++)
		w |= (uint64_t)k[i] << (8 * i);
	return w;
}

/* The bytes of a packed key (the inverse of rebuy__strtab_pack). */
static inline void rebuy__strtab_unpack(uint64_t word, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(word >> (8 * i));
}

/* rebuy__strtab_hash of a key of at most 8 bytes, from its packed word. */
static inline uint64_t rebuy__strtab_hash_word(uint64_t word, size_t len)
{
	uint64_t x = word ^ ((uint64_t)len << 56) ^ 0x9E3779B97F4A7C15ULL;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Finds or adds key; *id receives its id, *is_new whether it was added
 * (is_new may be NULL). hash must be rebuy__strtab_hash(key, len). */
enum rebuy_status rebuy__strtab_intern(struct rebuy__strtab *t, const char *key, size_t len,
                                       uint64_t hash, uint32_t *id, int *is_new);

/* rebuy__strtab_intern for a key of at most 8 bytes given packed (see
 * rebuy__strtab_pack); hash must be rebuy__strtab_hash_word(word, len). */
enum rebuy_status rebuy__strtab_intern_word(struct rebuy__strtab *t, uint64_t word, size_t len,
                                            uint64_t hash, uint32_t *id);

/* Looks key up without adding it: 1 and *id when present, 0 otherwise. */
int rebuy__strtab_find(const struct rebuy__strtab *t, const char *key, size_t len, uint64_t hash,
                       uint32_t *id);

/* Prefetches the slot key would land in (a hint for batched lookups). */
static inline void rebuy__strtab_prefetch(const struct rebuy__strtab *t, uint64_t hash)
{
	if (t->slots)
		__builtin_prefetch(&t->slots[hash & t->mask]);
}

/* The key of id, NUL-terminated; borrowed, valid until the table changes. */
static inline const char *rebuy__strtab_key(const struct rebuy__strtab *t, uint32_t id, size_t *len)
{
	uint64_t o = t->offs[id];
	if (len)
		*len = (size_t)(o & 0xFFFF);
	return t->chars + (o >> 16);
}

/* Grows the slot array so that n keys fit without rehashing. */
enum rebuy_status rebuy__strtab_reserve(struct rebuy__strtab *t, size_t n);

#endif
