/* Column roles (DESIGN.md §3): exact matches of normalized header names,
 * never substrings; ambiguity is an error naming both candidates. */
#include "ingest/roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/table.h"

static const char *const role_names[REBUY_ROLE_COUNT] = {
        "customer", "date", "amount", "quantity", "price", "order", "product", "currency",
};

/* Normalized header names that take each role: the English names of
 * DESIGN.md §3, and the usual Russian ones (rebuy's first users export from
 * Russian-language shops and 1C). */
static const char *const role_headers[REBUY_ROLE_COUNT][16] = {
        [REBUY_ROLE_CUSTOMER] = {"customer", "customerid", "clientid", "userid", "householdid",
                                 "cust", "id", "клиент", "покупатель", "кодклиента", "idклиента"},
        [REBUY_ROLE_DATE] = {"date", "orderdate", "invoicedate", "orderts", "timestamp",
                             "transactiontimestamp", "createdat", "дата", "датазаказа",
                             "датапродажи"},
        [REBUY_ROLE_AMOUNT] = {"amount", "revenue", "total", "sales", "salesvalue", "value",
                               "dollarvalue", "totalcharges", "сумма", "суммазаказа", "выручка"},
        [REBUY_ROLE_QUANTITY] = {"quantity", "qty", "количество", "кол-во"},
        [REBUY_ROLE_PRICE] = {"price", "unitprice", "цена"},
        [REBUY_ROLE_ORDER] = {"order", "orderid", "invoice", "invoiceno", "basketid", "заказ",
                              "номерзаказа", "чек", "номерчека"},
        [REBUY_ROLE_PRODUCT] = {"product", "productid", "sku", "stockcode", "item", "товар",
                                "артикул", "номенклатура"},
        [REBUY_ROLE_CURRENCY] = {"currency", "валюта"},
};

static const char *const reason_names[REBUY_REASON_COUNT] = {
        "missing_customer", "bad_date",       "bad_amount",
        "short_row",        "other_currency", "duplicate_line",
};

const char *const *rebuy__role_headers(enum rebuy_role role)
{
	return (unsigned)role < REBUY_ROLE_COUNT ? role_headers[role] : NULL;
}

const char *rebuy_role_name(enum rebuy_role role)
{
	return (unsigned)role < REBUY_ROLE_COUNT ? role_names[role] : "unknown";
}

const char *rebuy_reason_name(enum rebuy_reason reason)
{
	return (unsigned)reason < REBUY_REASON_COUNT ? reason_names[reason] : "unknown";
}

const char *rebuy_problem_kind_name(int kind)
{
	return kind == REBUY_PROBLEM_ROUNDED ? "rounded_amount"
	                                     : rebuy_reason_name((enum rebuy_reason)kind);
}

void rebuy_input_options_init(struct rebuy_input_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->path = "-";
	opts->header = -1;
	opts->decimal_comma = -1;
}

static int role_from_name(const char *name, size_t n)
{
	for (int r = 0; r < REBUY_ROLE_COUNT; r++)
		if (strlen(role_names[r]) == n && memcmp(role_names[r], name, n) == 0)
			return r;
	return -1;
}

enum rebuy_status rebuy_input_set_role(struct rebuy_input_options *opts, const char *role,
                                       const char *column, struct rebuy_error *err)
{
	int r = role_from_name(role, strlen(role));
	if (r < 0)
		return rebuy_error_set(err, REBUY_EARG, "unknown column role '%s'", role);
	opts->role_column[r] = column;
	return REBUY_OK;
}

/* Lower case, spaces and underscores removed; out holds up to size-1 bytes. */
void rebuy__report_release_names(struct rebuy_input_report *report)
{
	if (report->column_names) {
		for (size_t i = 0; i < report->n_columns; i++)
			rebuy__free(report->column_names[i]);
		rebuy__free(report->column_names);
	}
	report->column_names = NULL;
	rebuy__free(report->columns);
	report->columns = NULL;
	report->n_columns = 0;
}

/* "a, b, c" into buf, cut with "..." when long. */
void rebuy__roles_list_columns(const struct rebuy_input_report *rep, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < rep->n_columns; i++) {
		int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "", rep->column_names[i]);
		if (w < 0 || (size_t)w >= size - k) {
			if (size > 4)
				memcpy(buf + size - 4, "...", 4);
			return;
		}
		k += (size_t)w;
	}
}

/* Finds the column a flag refers to: a header name (exact, then normalized)
 * or a 1-based column number. */
int rebuy__roles_find_column(const struct rebuy_input_report *rep, const char *ref)
{
	for (size_t i = 0; i < rep->n_columns; i++)
		if (strcmp(rep->column_names[i], ref) == 0)
			return (int)i;
	char want[128], have[128];
	rebuy_table_normalize_name(ref, want, sizeof want);
	for (size_t i = 0; i < rep->n_columns; i++) {
		rebuy_table_normalize_name(rep->column_names[i], have, sizeof have);
		if (strcmp(want, have) == 0)
			return (int)i;
	}
	char *end;
	long k = strtol(ref, &end, 10);
	if (*ref && !*end && k >= 1 && (size_t)k <= rep->n_columns)
		return (int)k - 1;
	return -1;
}

static enum rebuy_status roles_from_columns(struct rebuy_input_report *rep, const char *spec,
                                            struct rebuy_error *err)
{
	size_t pos = 0;
	const char *p = spec;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (!(n == 1 && *p == '_') && n > 0) {
			int r = role_from_name(p, n);
			if (r < 0)
				return rebuy_error_set(
				        err, REBUY_EARG,
				        "--columns: unknown role '%.*s' at position %zu "
				        "(roles: customer, date, amount, quantity, price, "
				        "order, product, currency, or _ to skip)",
				        (int)n, p, pos + 1);
			if (rep->role_column[r] >= 0)
				return rebuy_error_set(err, REBUY_EARG,
				                       "--columns: role '%s' is given twice",
				                       role_names[r]);
			if (pos >= rep->n_columns)
				return rebuy_error_set(
				        err, REBUY_EDATA,
				        "--columns names %zu or more columns but the first "
				        "row has %zu",
				        pos + 1, rep->n_columns);
			rep->role_column[r] = (int)pos;
			rep->role_by_flag[r] = 1;
		}
		pos++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return REBUY_OK;
}

enum rebuy_status rebuy__roles_assign(struct rebuy_input_report *rep,
                                      const struct rebuy__csv_field *fields, size_t n_fields,
                                      int has_header, const struct rebuy_input_options *opts,
                                      struct rebuy_error *err)
{
	rep->column_names = rebuy__calloc(n_fields, sizeof *rep->column_names);
	if (!rep->column_names)
		return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	rep->n_columns = n_fields;
	for (size_t i = 0; i < n_fields; i++) {
		char tmp[32];
		const char *s = tmp;
		size_t n;
		if (has_header) {
			s = fields[i].p;
			n = fields[i].n;
			while (n > 0 && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
		} else {
			n = (size_t)snprintf(tmp, sizeof tmp, "column %zu", i + 1);
		}
		if (!(rep->column_names[i] = rebuy__strndup(s, n)))
			return rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
	}
	for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
		rep->role_column[r] = -1;
		rep->role_by_flag[r] = 0;
	}
	enum rebuy_status st;
	if (opts->columns && (st = roles_from_columns(rep, opts->columns, err)))
		return st;
	/* Flags name columns. */
	for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
		const char *ref = opts->role_column[r];
		if (!ref)
			continue;
		int c = rebuy__roles_find_column(rep, ref);
		if (c < 0) {
			char cols[256];
			rebuy__roles_list_columns(rep, cols, sizeof cols);
			return rebuy_error_set(
			        err, REBUY_EARG,
			        "--%s %s: %s has no such column (the columns are: %s)",
			        role_names[r], ref, rep->path, cols);
		}
		rep->role_column[r] = c;
		rep->role_by_flag[r] = 1;
	}
	/* Header names take the roles no flag gave. */
	if (has_header && !opts->columns) {
		for (int r = 0; r < REBUY_ROLE_COUNT; r++) {
			if (rep->role_by_flag[r])
				continue;
			int found = -1;
			for (size_t i = 0; i < rep->n_columns; i++) {
				int taken = 0;
				for (int q = 0; q < REBUY_ROLE_COUNT; q++)
					taken |= rep->role_by_flag[q] &&
					         rep->role_column[q] == (int)i;
				if (taken)
					continue;
				char norm[128];
				rebuy_table_normalize_name(rep->column_names[i], norm, sizeof norm);
				for (size_t k = 0; role_headers[r][k]; k++) {
					if (strcmp(norm, role_headers[r][k]) != 0)
						continue;
					if (found >= 0)
						return rebuy_error_set(
						        err, REBUY_EDATA,
						        "%s: two columns could be the %s: '%s' and "
						        "'%s' (choose one "
						        "with --%s COLUMN)",
						        rep->path, role_names[r],
						        rep->column_names[found],
						        rep->column_names[i], role_names[r]);
					found = (int)i;
				}
			}
			rep->role_column[r] = found;
		}
	}
	static const enum rebuy_role required[] = {REBUY_ROLE_CUSTOMER, REBUY_ROLE_DATE};
	for (size_t k = 0; k < 2; k++) {
		enum rebuy_role r = required[k];
		if (rep->role_column[r] >= 0)
			continue;
		char cols[300];
		rebuy__roles_list_columns(rep, cols, sizeof cols);
		return rebuy_error_set(err, REBUY_EDATA,
		                       "%s: no %s column: the columns are %s (name it with --%s "
		                       "COLUMN, or give every role by position with --columns)",
		                       rep->path, role_names[r], cols, role_names[r]);
	}
	return REBUY_OK;
}
