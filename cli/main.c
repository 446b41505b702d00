/* rebuy — the command table (after git's commands[]): each verb is one
 * cmd_<verb>.c built on the public API only. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"report", cmd_report, "the whole analysis as one self-contained HTML report"},
        {"inspect", cmd_inspect, "how rebuy reads a file: layout, column roles, rows by reason"},
        {"summary", cmd_summary, "repeat-sales KPIs and period metrics (or --customers)"},
        {"cohorts", cmd_cohorts, "cohort matrix: retention, orders, revenue, LTV by first period"},
        {"rfm", cmd_rfm, "recency/frequency/monetary scores, segments and transitions"},
        {"fit", cmd_fit, "fit a customer-lifetime model: BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, sBG"},
        {"predict", cmd_predict,
         "per customer: P(alive), expected purchases, spend, CLV, next purchase date"},
        {"propensity", cmd_propensity,
         "P(purchase within a horizon): logit and boosted trees vs the BG/NBD"},
        {"cluster", cmd_cluster,
         "customer segments by k-means on behaviour, with the numbers to choose k"},
        {"whatif", cmd_whatif,
         "the base's CLV if retention, purchase frequency or spend changed"},
        {"basket", cmd_basket, "what is bought together: frequent itemsets and association rules"},
        {"recommend", cmd_recommend,
         "the next products to offer each customer; --calibration-end evaluates them"},
        {"audiences", cmd_audiences,
         "who to contact now and why: win-back, at-risk, second purchase, replenishment, VIP"},
        {"survey", cmd_survey, "NPS or CSAT, scores and reasons; repurchase after the survey"},
        {"uplift", cmd_uplift, "campaign evaluation: treatment against control, per segment too"},
        {"attribute", cmd_attribute,
         "credit repeat purchases to touchpoints: six models side by side, Markov exact"},
        {"forecast", cmd_forecast,
         "orders, revenue, active customers per period ahead: ARIMA, seasonal naive, backtest"},
        {"gen", cmd_gen, "synthetic orders from a Pareto/NBD or BG/NBD model"},
        {"loyalty", cmd_loyalty,
         "the loyalty ledger from the shell: init, keys, import, export, expire, verify"},
        {"serve", cmd_serve, "the loyalty ledger as an HTTP JSON API, with insights and the report"},
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: rebuy COMMAND [OPTIONS] INPUT\n\n"
	        "rebuy turns a shop's order history into repeat-sales answers.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nrebuy COMMAND --help shows a command's options. Exit status: 0 ok, "
	             "1 data or runtime error, 2 usage.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("rebuy %s\n", rebuy_version());
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see rebuy --help)", cmd);
	return EXIT_USAGE;
}
