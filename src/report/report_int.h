/* The report's insides, shared by the frame (report.c) and the sections
 * (report_sections.c). A section is one function that writes the body of
 * its <section>; the table in report_sections.c lists them in order, so a
 * new section is that function and one line there. */
#ifndef REBUY_REPORT_INT_H
#define REBUY_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rebuy/chart.h"
#include "rebuy/clv.h"
#include "rebuy/cohorts.h"
#include "rebuy/report.h"
#include "rebuy/rfm.h"
#include "rebuy/summary.h"

#define RPT_NBUF 24

/* The lifetime-model part: what the model section and the better-retention
 * section show. ok is 0 when no model could be fitted (why says so). */
struct rpt_model {
	int ok;
	char why[REBUY_ERROR_MSG_MAX];
	int has_holdout;
	int64_t cal_end;
	size_t n_cand;
	enum rebuy_clv_model cand[2];
	int cand_ok[2];
	char cand_why[2][REBUY_ERROR_MSG_MAX];
	struct rebuy_clv_fit cal_fit[2];
	double mae[2], rmse[2], mae_naive;
	size_t chosen;
	struct rebuy_clv_holdout *holdout; /* the chosen model's, on the calibration data */
	struct rebuy_clv_data *cal_data, *data;
	struct rebuy_clv_fit fit; /* on all the data; with spend when has_spend */
	int has_spend;
	char spend_why[REBUY_ERROR_MSG_MAX];
	struct rebuy_clv_predict_options popt;
	struct rebuy_clv_prediction *pred; /* data->n */
	uint32_t *cid;                     /* the orders' customer id of each entry */
	double clv_total;
	/* Better retention. */
	int lift_ok;
	char lift_why[REBUY_ERROR_MSG_MAX];
	struct rebuy_clv_fit lift_fit;
	double s0, s1;          /* new customers alive after a year, now and lifted */
	double clv_total_lift;  /* the base's CLV with the lifted model */
	double seg_gain[REBUY_RFM_MAX_SEGMENTS + 1]; /* the CLV gained, by RFM segment */
	double year;            /* a year in the model's time unit */
};

struct rpt {
	const struct rebuy_orders *o;
	struct rebuy_report_options opt; /* defaults filled in */
	enum rebuy_lang lang;
	struct rebuy_sbuf *b;
	struct rebuy_error *err;
	enum rebuy_status st; /* the first failure; sections stop writing after it */

	struct rebuy_summary *sum;
	struct rebuy_cohorts *coh; /* customers active, by offset */
	struct rebuy_cohorts *ltv; /* realized LTV; NULL without amounts */
	struct rebuy_rfm *rfm;
	struct rpt_model m;
	struct rpt_forecast *fc; /* forecast_doc.c: started before the model's fits */

	char **period_labels; /* of sum->periods, a '*' after a partial one */

	int section_absent; /* the section being written called rpt_absent */
	char nbuf[RPT_NBUF][128];
	unsigned nbi;
};

/* The text in the report's language. */
static inline const char *tr(const struct rpt *x, const char *en, const char *ru)
{
	return x->lang == REBUY_LANG_RU ? ru : en;
}

/* Formatted numbers, in a ring of RPT_NBUF buffers (valid for the next
 * RPT_NBUF - 1 calls). */
const char *rpt_num(struct rpt *x, double v, enum rebuy_numfmt fmt, int decimals);
const char *rpt_money(struct rpt *x, double v);         /* 2 decimals and the currency */
const char *rpt_money_compact(struct rpt *x, double v); /* 1.23M and the currency */
const char *rpt_day(struct rpt *x, int64_t day); /* YYYY-MM-DD; ru: DD.MM.YYYY */
void rpt_day_into(enum rebuy_lang lang, int64_t day, char *buf, size_t size);

void rpt_puts(struct rpt *x, const char *s);
void rpt_printf(struct rpt *x, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;
void rpt_text(struct rpt *x, const char *s); /* escaped */

/* A number that rebuy summary --format json also prints, at dot path key:
 * <data class="rb-num" data-key=... value=RAW ...>SHOWN</data>. */
void rpt_data_num(struct rpt *x, const char *key, double v, enum rebuy_numfmt fmt, int decimals);
void rpt_data_count(struct rpt *x, const char *key, uint64_t v);
void rpt_data_money(struct rpt *x, const char *key, int64_t units);
void rpt_data_money_num(struct rpt *x, const char *key, double v); /* a money mean (aov) */

/* A KPI card: label, a value written by the caller between open and close,
 * the definition on hover (title) and below. */
void rpt_card_open(struct rpt *x, const char *label, const char *definition);
void rpt_card_close(struct rpt *x, const char *note_html);

/* A chart in a <figure> with its caption; chart->lang is set here. */
void rpt_figure(struct rpt *x, struct rebuy_chart *chart, const char *caption);

/* A note paragraph (escaped text). */
void rpt_note(struct rpt *x, const char *text);
/* The section cannot be shown: the one-line reason. */
void rpt_absent(struct rpt *x, const char *reason);
/* Definitions under a section, as pairs (term, definition), n pairs. */
void rpt_definitions(struct rpt *x, const char *const *pairs, size_t n);

struct rpt_section {
	const char *name; /* the id: <section id="sec-NAME" data-section="NAME"> */
	const char *title_en, *title_ru;
	void (*write)(struct rpt *x);
};

/* The Attribution section (report_attrib.c): shown only with opt.attrib
 * (rpt_section_shown says whether a section is written at all). */
int rpt_has_attribution(const struct rpt *x);
int rpt_section_shown(const struct rpt *x, const struct rpt_section *sec);
void rpt_sec_attribution(struct rpt *x);

extern const struct rpt_section rpt_sections[];

/* The forecast section (forecast_doc.c). */
void rpt_sec_forecast(struct rpt *x);
/* Starts the forecast section's computations (on a thread of their own
 * when the report has more than one); release waits for them. */
void rpt_forecast_start(struct rpt *x);
void rpt_forecast_release(struct rpt *x);
extern const size_t rpt_n_sections;

/* Computes the lifetime-model part (report_model.c). Failures of the model
 * are kept in x->m (ok, why); only out of memory is returned. */
enum rebuy_status rpt_model_compute(struct rpt *x);
void rpt_model_release(struct rpt_model *m);

#endif
