#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rebuy/alloc.h"
#include "rebuy/orders.h"

const char *tu_shared_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", REBUY_SHARED_DIR, rel);
	if (access(buf, R_OK) != 0) {
		print_message("skipped: %s is absent (../shared is not beside the checkout)\n",
		              buf);
		return NULL;
	}
	return buf;
}

const char *tu_data_path(const char *rel)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s/%s", REBUY_TEST_DATA, rel);
	return buf;
}

static char temp_paths[8][64];

static void remove_temps(void)
{
	for (int i = 0; i < 8; i++)
		if (temp_paths[i][0])
			unlink(temp_paths[i]);
}

const char *tu_temp_file(int slot, const void *data, size_t n)
{
	static int registered;
	if (!registered) {
		atexit(remove_temps);
		registered = 1;
	}
	if (temp_paths[slot][0])
		unlink(temp_paths[slot]);
	snprintf(temp_paths[slot], sizeof temp_paths[slot], "/tmp/rebuy-test-XXXXXX");
	int fd = mkstemp(temp_paths[slot]);
	if (fd < 0)
		return NULL;
	const char *p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	close(fd);
	return temp_paths[slot];
}

const char *tu_temp_text(int slot, const char *text)
{
	return tu_temp_file(slot, text, strlen(text));
}

char *tu_read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while ((got = fread(buf + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	fclose(f);
	buf[len] = '\0';
	if (n)
		*n = len;
	return buf;
}

static long fail_at = -1;
static long n_allocs;
static int triggered;

static void *failing_alloc(void *ud, void *ptr, size_t old_size, size_t new_size)
{
	(void)ud;
	(void)old_size;
	if (new_size == 0) {
		free(ptr);
		return NULL;
	}
	if (fail_at >= 0 && n_allocs++ >= fail_at) {
		triggered = 1;
		return NULL;
	}
	return realloc(ptr, new_size);
}

void tu_fail_after(long n)
{
	fail_at = n;
	n_allocs = 0;
	triggered = 0;
	rebuy_alloc_set(n >= 0 ? failing_alloc : NULL, NULL);
}

long tu_alloc_count(void)
{
	return n_allocs;
}
int tu_fail_triggered(void)
{
	return triggered;
}

int tu_load_airpassengers(double *x)
{
	const char *path = tu_shared_path("data/forecast/AirPassengers.csv");
	if (!path)
		return 0;
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char line[256];
	int n = 0;
	assert_non_null(fgets(line, sizeof line, f));
	while (fgets(line, sizeof line, f) && n < 144) {
		char *c = strchr(line, ',');
		assert_non_null(c);
		x[n++] = strtod(c + 1, NULL);
	}
	fclose(f);
	assert_int_equal(n, 144);
	return 1;
}

struct rebuy_orders *tu_load_orders_text(const char *text, size_t len)
{
	struct rebuy_input_options in;
	rebuy_input_options_init(&in);
	in.n_threads = 1;
	in.path = "orders.csv";
	in.data = text;
	in.data_len = len;
	struct rebuy_orders *o = NULL;
	struct rebuy_error err = {0};
	if (rebuy_orders_load(&o, &in, NULL, &err) != REBUY_OK)
		fail_msg("loading the fixture: %s", err.msg);
	return o;
}
