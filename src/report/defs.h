/* Definition tables: each document writer keeps its labels and definitions
 * in one array, in output order, and labels nodes from it by key. */
#ifndef REBUY_REPORT_DEFS_H
#define REBUY_REPORT_DEFS_H

#include <stddef.h>

#include "rebuy/doc.h"

struct rebuy__def {
	const char *key, *label, *text;
};

/* Labels n with the label of key in defs[0..n_defs) and, when with_text,
 * its definition; an unknown key leaves n as it is. Returns n. */
struct rebuy_node *rebuy__def_label(struct rebuy_doc *doc, struct rebuy_node *n,
                                    const struct rebuy__def *defs, size_t n_defs, const char *key,
                                    int with_text);

/* lab(doc, n, key) in a file with a `defs` array. */
#define REBUY__LAB(doc, n, key, with_text) \
	rebuy__def_label((doc), (n), defs, sizeof defs / sizeof *defs, (key), (with_text))

#endif
