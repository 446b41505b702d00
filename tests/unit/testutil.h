/* Helpers shared by the unit tests. */
#ifndef REBUY_TESTUTIL_H
#define REBUY_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* Path of a file under ../shared, or NULL (and a cmocka skip message) when
 * ../shared is absent. The returned string is static: copy it to keep it. */
const char *tu_shared_path(const char *rel);

/* Path of a fixture under tests/data. Static buffer. */
const char *tu_data_path(const char *rel);

/* Writes text to a new temporary file and returns its path (static buffer,
 * one per call slot: slot 0..7). The file is removed at exit. */
const char *tu_temp_file(int slot, const void *data, size_t n);
const char *tu_temp_text(int slot, const char *text);

/* AirPassengers (../shared/data/forecast/AirPassengers.csv, 144 monthly
 * values) into x[144]; 0 (with a skip message) when ../shared is absent. */
int tu_load_airpassengers(double *x);

/* Orders from CSV text in memory (columns found from the header, one
 * thread); fails the test when they do not load. */
struct rebuy_orders;
struct rebuy_orders *tu_load_orders_text(const char *text, size_t len);

/* Reads a whole file into a NUL-terminated malloc'd buffer; NULL on error. */
char *tu_read_file(const char *path, size_t *n);

/* Fault injection: after tu_fail_after(n) the (n+1)th allocation through the
 * rebuy hook fails; tu_fail_after(-1) turns it off. tu_alloc_count() is the
 * number of allocations seen since the last tu_fail_after. */
void tu_fail_after(long n);
long tu_alloc_count(void);
int tu_fail_triggered(void);

#endif
