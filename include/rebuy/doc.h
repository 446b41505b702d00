/* rebuy — results as a document, and the writers that print it.
 *
 * An analysis fills a small tree of objects, arrays and values (no
 * computing happens in the writers); the same tree is written as JSON (one
 * object, keys in insertion order, numbers that round-trip), CSV (an array of
 * objects as a table with a header row) or an aligned text table for a
 * terminal (rates as percentages, money with two decimals).
 *
 * Building never fails loudly: an allocation failure marks the document, the
 * later additions are ignored, and the writers then return REBUY_ENOMEM.
 */
#ifndef REBUY_DOC_H
#define REBUY_DOC_H

#include <stdint.h>
#include <stdio.h>

#include "rebuy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct rebuy_doc;
struct rebuy_node;

/* How a number is shown in a text table (JSON and CSV print it plainly). */
enum rebuy_show {
	REBUY_SHOW_PLAIN,  /* %.6g-like, grouped thousands for integers */
	REBUY_SHOW_RATE,   /* a fraction shown as a percentage: 0.125 -> 12.5 % */
	REBUY_SHOW_MONEY,  /* two decimals, grouped thousands */
	REBUY_SHOW_DAYS,   /* one decimal, " days" */
	REBUY_SHOW_DECIMAL /* up to four decimals */
};

struct rebuy_doc *rebuy_doc_new(void);
void rebuy_doc_free(struct rebuy_doc *doc);
/* The root object. */
struct rebuy_node *rebuy_doc_root(struct rebuy_doc *doc);
/* 1 when an allocation failed while building. */
int rebuy_doc_failed(const struct rebuy_doc *doc);

/* Adders: key is copied (ignored when parent is an array). Each returns the
 * new node (NULL after a failure, which every adder accepts as parent). */
struct rebuy_node *rebuy_doc_obj(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key);
struct rebuy_node *rebuy_doc_arr(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key);
struct rebuy_node *rebuy_doc_int(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                                 int64_t v);
struct rebuy_node *rebuy_doc_uint(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                                  uint64_t v);
/* NaN and infinities are written as null. */
struct rebuy_node *rebuy_doc_num(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                                 double v, enum rebuy_show show);
/* Exact money in 1/10,000 units, written as its exact decimal. */
struct rebuy_node *rebuy_doc_money(struct rebuy_doc *doc, struct rebuy_node *parent,
                                   const char *key, int64_t units);
struct rebuy_node *rebuy_doc_str(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                                 const char *s);
struct rebuy_node *rebuy_doc_bool(struct rebuy_doc *doc, struct rebuy_node *parent, const char *key,
                                  int v);
struct rebuy_node *rebuy_doc_null(struct rebuy_doc *doc, struct rebuy_node *parent,
                                  const char *key);

/* Presentation for the text table: a label instead of the key, and a note
 * (the definition) printed beside the value. Both are copied. */
void rebuy_doc_label(struct rebuy_doc *doc, struct rebuy_node *node, const char *label,
                     const char *note);
/* Leaves a node out of text tables and of the metric rows of
 * rebuy_doc_write_csv_fields (it stays in JSON and in CSV tables of rows). */
void rebuy_doc_table_hide(struct rebuy_node *node);

/* The child of an object by key, or NULL. */
struct rebuy_node *rebuy_doc_get(const struct rebuy_node *obj, const char *key);

/* JSON: one object, two-space indent, a final newline. */
enum rebuy_status rebuy_doc_write_json(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                       FILE *out);

struct rebuy_csv_options {
	int raw; /* 0: text cells starting with = + - @ get a leading ' (formula injection) */
};

/* CSV: node is an array of objects; the header is the first object's keys
 * (nested objects flattened as parent.child). RFC 4180 quoting. */
enum rebuy_status rebuy_doc_write_csv(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                      const struct rebuy_csv_options *opts, FILE *out);

/* CSV of an object's fields: a header "metric,value,definition", then one
 * row per scalar (nested objects flattened as parent.child; arrays and
 * table-hidden nodes left out); the definition is the node's note. */
enum rebuy_status rebuy_doc_write_csv_fields(const struct rebuy_doc *doc,
                                             const struct rebuy_node *node,
                                             const struct rebuy_csv_options *opts, FILE *out);

/* A text table for people: objects as aligned "label  value  note" lines,
 * nested objects as indented sections, arrays of objects as columns. */
enum rebuy_status rebuy_doc_write_table(const struct rebuy_doc *doc, const struct rebuy_node *node,
                                        FILE *out);

/* Writes s as a JSON string (quotes included), invalid UTF-8 replaced. */
void rebuy_json_string(FILE *out, const char *s);

/* Long tables (one row per customer) are streamed, not built as a tree. */
enum rebuy_format { REBUY_FORMAT_TABLE, REBUY_FORMAT_CSV, REBUY_FORMAT_JSON };

struct rebuy_rows;

/* A row writer over out with the given column names (copied). JSON writes
 * {"key": [ {col: value, ...}, ... ]} when key is not NULL, else a bare
 * array; tables use fixed-width columns. NULL on out of memory. */
struct rebuy_rows *rebuy_rows_new(FILE *out, enum rebuy_format format, const char *json_key,
                                  const char *const *columns, size_t n_columns,
                                  const struct rebuy_csv_options *opts);
/* Cells, in column order. */
void rebuy_rows_str(struct rebuy_rows *w, const char *s);
void rebuy_rows_int(struct rebuy_rows *w, int64_t v);
void rebuy_rows_num(struct rebuy_rows *w, double v); /* NaN -> null / empty */
void rebuy_rows_money(struct rebuy_rows *w, int64_t units);
void rebuy_rows_null(struct rebuy_rows *w);
void rebuy_rows_end_row(struct rebuy_rows *w);
/* Ends the output and frees w; REBUY_EIO when writing failed. */
enum rebuy_status rebuy_rows_finish(struct rebuy_rows *w);

#ifdef __cplusplus
}
#endif
#endif
