/* A region: bump allocation from large blocks, all freed at once. For the
 * big, short-lived data of one reading pass (record chunks, hash table
 * slots): blocks of up to 64 MiB come through the allocation hook, which
 * asks for huge pages for blocks of 4 MiB and more, so millions of records
 * cost a few hundred page faults instead of a few hundred thousand, and
 * random probes of a hash table stop missing the TLB. Not thread-safe.
 */
#ifndef REBUY_CORE_REGION_H
#define REBUY_CORE_REGION_H

#include <stddef.h>

struct rebuy__region_block;

struct rebuy__region {
	struct rebuy__region_block *head;
	char *cur;
	size_t left;
	size_t next_size; /* the next block's size: doubles from 256 KiB to 64 MiB */
	size_t total;     /* bytes in blocks */
};

void rebuy__region_init(struct rebuy__region *r);
/* n bytes aligned to 64; NULL when out of memory. */
void *rebuy__region_alloc(struct rebuy__region *r, size_t n);
void rebuy__region_release(struct rebuy__region *r);

#endif
