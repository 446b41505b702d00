/* rebuy inspect: what rebuy sees in a file — layout, column roles and
 * types, rows by cleaning reason, the first problems, and the orders. */
#include <string.h>

#include "cli.h"

static const struct cli_command_help help = {
        "rebuy inspect [OPTIONS] INPUT",
        "Shows how rebuy reads INPUT: the delimiter, header, date format and decimal mark it\n"
        "detected, each column's role, type and first values, the rows read, used and left out\n"
        "by reason, the first problems with their line and column, and the orders found. When\n"
        "the file cannot be used (no customer column, say), it shows what it saw and why.",
        NULL,
        1,
};

static void columns_doc(const struct rebuy_input_report *rep, struct rebuy_doc *doc,
                        struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "columns");
	rebuy_doc_label(doc, arr, "Columns", NULL);
	for (size_t i = 0; i < rep->n_columns; i++) {
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_uint(doc, o, "column", i + 1);
		rebuy_doc_str(doc, o, "name", rep->column_names[i]);
		const char *role = NULL;
		for (int r = 0; r < REBUY_ROLE_COUNT; r++)
			if (rep->role_column[r] == (int)i)
				role = rebuy_role_name((enum rebuy_role)r);
		rebuy_doc_str(doc, o, "role", role);
		if (!rep->columns) {
			rebuy_doc_null(doc, o, "type");
			continue;
		}
		const struct rebuy_column_info *ci = &rep->columns[i];
		rebuy_doc_str(doc, o, "type", ci->type);
		rebuy_doc_uint(doc, o, "empty", ci->n_empty);
		char samples[3 * 52] = "";
		size_t used = 0;
		for (int k = 0; k < REBUY_COLUMN_SAMPLES && ci->sample[k][0]; k++) {
			int w = snprintf(samples + used, sizeof samples - used, "%s%s",
			                 k ? " | " : "", ci->sample[k]);
			if (w < 0 || (size_t)w >= sizeof samples - used)
				break;
			used += (size_t)w;
		}
		rebuy_doc_str(doc, o, "samples", samples);
	}
}

static void problems_doc(const struct rebuy_input_report *rep, struct rebuy_doc *doc,
                         struct rebuy_node *root)
{
	struct rebuy_node *arr = rebuy_doc_arr(doc, root, "problems");
	rebuy_doc_label(doc, arr, "First problems", NULL);
	for (size_t i = 0; i < rep->n_problems; i++) {
		const struct rebuy_problem *p = &rep->problems[i];
		struct rebuy_node *o = rebuy_doc_obj(doc, arr, NULL);
		rebuy_doc_uint(doc, o, "line", p->line);
		rebuy_doc_uint(doc, o, "column", p->column);
		rebuy_doc_str(doc, o, "kind", rebuy_problem_kind_name(p->kind));
		rebuy_doc_str(doc, o, "message", p->message);
	}
}

static void orders_doc(const struct rebuy_orders *o, struct rebuy_doc *doc, struct rebuy_node *root)
{
	struct rebuy_node *n = rebuy_doc_obj(doc, root, "orders");
	rebuy_doc_label(doc, n, "Orders", NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, n, "customers", o->n_customers), "Customers",
	                NULL);
	rebuy_doc_label(doc, rebuy_doc_uint(doc, n, "purchases", o->n_orders), "Purchases",
	                "orders worth >= 0");
	rebuy_doc_label(doc, rebuy_doc_uint(doc, n, "returns", o->n_returns), "Returns",
	                "orders worth < 0");
	rebuy_doc_label(doc, rebuy_doc_bool(doc, n, "grouped_by_order_key", o->has_order_key),
	                "Grouped by order key",
	                "else lines of one customer at one time are one order");
	char buf[32];
	if (o->n_orders) {
		rebuy_format_day(o->first_day, buf, sizeof buf);
		rebuy_doc_label(doc, rebuy_doc_str(doc, n, "first_purchase", buf), "First purchase",
		                NULL);
		rebuy_format_day(o->last_day, buf, sizeof buf);
		rebuy_doc_label(doc, rebuy_doc_str(doc, n, "last_purchase", buf), "Last purchase",
		                NULL);
	}
	rebuy_doc_label(doc, rebuy_doc_bool(doc, n, "has_amount", o->has_amount), "Amounts",
	                o->has_amount ? NULL : "no amount or quantity x price: revenue is absent");
}

int cmd_inspect(int argc, char **argv)
{
	struct cli_common c;
	cli_common_init(&c, "inspect");
	int r = cli_parse(argc, argv, &c, &help, NULL, NULL);
	if (r)
		return r < 0 ? EXIT_OK : r;
	if (c.n_positional == 0) {
		cli_error("no input: give a file (or - for standard input); see rebuy inspect "
		          "--help");
		return EXIT_USAGE;
	}
	c.in.path = c.positional[0];
	struct rebuy_orders *o = NULL;
	struct rebuy_input_report rep;
	struct rebuy_error err = {0};
	enum rebuy_status st = rebuy_orders_load(&o, &c.in, &rep, &err);
	struct rebuy_doc *doc = rebuy_doc_new();
	struct rebuy_node *root = rebuy_doc_root(doc);
	rebuy_doc_label(doc, rebuy_doc_str(doc, root, "status", st ? "error" : "ok"), "Status",
	                st ? err.msg : NULL);
	if (st)
		rebuy_doc_table_hide(rebuy_doc_str(doc, root, "error", err.msg));
	rebuy_doc_label(doc, rebuy_doc_uint(doc, root, "bytes", rep.bytes), "Bytes",
	                rep.is_gzip ? "after decompression" : NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, root, "gzip", rep.is_gzip), "Gzip", NULL);
	rebuy_doc_label(doc, rebuy_doc_bool(doc, root, "bom", rep.has_bom), "UTF-8 BOM", NULL);
	rebuy_input_report_doc(&rep, doc, root);
	columns_doc(&rep, doc, root);
	if (o)
		orders_doc(o, doc, root);
	problems_doc(&rep, doc, root);
	r = cli_write_doc(&c, doc, rebuy_doc_get(root, "columns"));
	rebuy_doc_free(doc);
	rebuy_input_report_release(&rep);
	rebuy_orders_free(o);
	if (st) {
		cli_fail(&err);
		return r ? r : EXIT_FAIL;
	}
	return r;
}
