/* The document's insides, shared by the writers. */
#ifndef REBUY_REPORT_DOC_INT_H
#define REBUY_REPORT_DOC_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/mem.h"
#include "rebuy/doc.h"

enum node_type {
	NODE_NULL,
	NODE_BOOL,
	NODE_INT,
	NODE_UINT,
	NODE_NUM,
	NODE_MONEY,
	NODE_STR,
	NODE_OBJ,
	NODE_ARR
};

struct rebuy_node {
	enum node_type type;
	enum rebuy_show show;
	int table_hidden;
	const char *key, *label, *note;
	int64_t i;
	uint64_t u;
	double f;
	const char *s;
	struct rebuy_node *first, *last, *next;
	size_t n_children;
};

struct rebuy_doc {
	struct rebuy__arena arena;
	struct rebuy_node *root;
	int failed;
};

/* The plain text of a scalar, as JSON and CSV write it ("" for null in
 * CSV, "null" in JSON is the writer's business). Returns the length. */
size_t rebuy__node_plain(const struct rebuy_node *n, char *buf, size_t size);

/* A writer of rows that continue w's output elsewhere (a buffer to copy
 * into w's file later): same columns and format, no header or trailer;
 * continues: rows come before the fork's (JSON separates them). The fork
 * borrows w's columns. rebuy__rows_join frees the fork and counts its rows
 * into w (the bytes are the caller's to copy); returns their number. */
struct rebuy_rows *rebuy__rows_fork(const struct rebuy_rows *w, FILE *out, int continues);
uint64_t rebuy__rows_join(struct rebuy_rows *w, struct rebuy_rows *fork);

#endif
