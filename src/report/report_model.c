/* The report's lifetime model: which model, checked how, and what it says.
 *
 * Choosing: with a holdout (the calibration end given, or two thirds into
 * a purchase history of 16 weeks or more), each candidate (BG/NBD and
 * Pareto/NBD, or the one asked for) is fitted to the calibration period and
 * the one whose expected holdout purchases per customer are closest to the
 * actual ones (mean absolute error) wins; without a holdout the larger
 * likelihood wins (both have four parameters). The winner is then fitted to
 * all the data, with Gamma-Gamma spend when there are amounts, and predicts
 * every customer: P(alive), purchases in the next year, and CLV over the
 * report's horizon. Better retention is rebuy_clv_whatif's retention
 * scenario (rebuy_clv_shift_retention: the same model with dropout lowered
 * until the share of new customers alive after a year is `retention_lift`
 * higher, and the base's CLV recomputed with it), so that `rebuy whatif
 * --retention-points` gives the same numbers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "report/report_int.h"

#define WEEKS_PER_YEAR (365.25 / 7)
#define MIN_SPAN_DAYS (16 * 7)

/* 1: fitted; 0: not, why says why; -1: out of memory. */
static int fit_one(unsigned threads, const struct rebuy_clv_data *d, enum rebuy_clv_model model,
                   int spend, struct rebuy_clv_fit *fit, char *why, size_t why_size)
{
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = model;
	fo.spend = spend;
	fo.n_threads = threads;
	struct rebuy_error e = {0};
	enum rebuy_status st = rebuy_clv_fit(d, &fo, fit, &e);
	if (st == REBUY_ENOMEM)
		return -1;
	if (st) {
		snprintf(why, why_size, "%s", e.msg);
		return 0;
	}
	return 1;
}

static void progress(struct rpt *x, const char *step)
{
	if (x->opt.progress)
		x->opt.progress(x->opt.progress_ud, step);
}

static enum rebuy_status oom(struct rpt *x)
{
	return rebuy_error_set(x->err, REBUY_ENOMEM, "out of memory");
}

/* One candidate on the calibration data: its fit and holdout check. The
 * candidates run side by side, each on its share of the threads (a fit
 * has sequential parts, two fits at once keep every core busy); each is
 * deterministic, so the choice does not depend on the thread count. */
struct cand_job {
	struct rpt *x;
	unsigned threads; /* per candidate */
	struct rebuy_clv_holdout *h[2];
	enum rebuy_status st[2]; /* REBUY_ENOMEM only; other failures are cand_why */
};

static enum rebuy_status cand_item(void *ud, size_t i, unsigned thread)
{
	(void)thread;
	struct cand_job *j = ud;
	struct rpt_model *m = &j->x->m;
	m->mae[i] = m->rmse[i] = NAN;
	int r = fit_one(j->threads, m->cal_data, m->cand[i], 0, &m->cal_fit[i], m->cand_why[i],
	                sizeof m->cand_why[i]);
	if (r <= 0) {
		j->st[i] = r < 0 ? REBUY_ENOMEM : REBUY_OK;
		return REBUY_OK; /* the other candidate finishes and frees its own */
	}
	struct rebuy_error e = {0};
	enum rebuy_status st =
	        rebuy_clv_holdout(&m->cal_fit[i], m->cal_data, j->threads, &j->h[i], &e);
	if (st == REBUY_ENOMEM) {
		j->st[i] = st;
		return REBUY_OK; /* the other candidate finishes and frees its own */
	}
	if (st) {
		snprintf(m->cand_why[i], sizeof m->cand_why[i], "%s", e.msg);
		return REBUY_OK;
	}
	m->cand_ok[i] = 1;
	m->mae[i] = j->h[i]->mae;
	m->rmse[i] = j->h[i]->rmse;
	return REBUY_OK;
}

/* Holdout candidates on the calibration data; sets m->chosen. */
static enum rebuy_status choose(struct rpt *x)
{
	struct rpt_model *m = &x->m;
	const struct rebuy_orders *o = x->o;
	struct rebuy_error e = {0};
	enum rebuy_status st =
	        rebuy_clv_data_from_orders(o, m->cal_end, REBUY_UNIT_WEEK, &m->cal_data, &e);
	if (st == REBUY_ENOMEM)
		return oom(x);
	if (st) {
		m->has_holdout = 0;
		return REBUY_OK;
	}
	unsigned threads = x->opt.n_threads ? x->opt.n_threads : rebuy__cpu_count();
	struct cand_job j = {.x = x};
	j.threads = m->n_cand > 1 ? (threads + 1) / 2 : threads;
	st = rebuy__parallel_for(threads < m->n_cand ? threads : (unsigned)m->n_cand, m->n_cand,
	                         cand_item, &j);
	for (size_t i = 0; i < m->n_cand && st == REBUY_OK; i++)
		st = j.st[i];
	if (st) {
		for (size_t i = 0; i < m->n_cand; i++)
			rebuy_clv_holdout_free(j.h[i]);
		return oom(x);
	}
	int any = 0;
	for (size_t i = 0; i < m->n_cand; i++) {
		if (!m->cand_ok[i])
			continue;
		m->mae_naive = j.h[i]->mae_naive;
		if (!any || m->mae[i] < m->mae[m->chosen])
			m->chosen = i;
		any = 1;
	}
	for (size_t i = 0; i < m->n_cand; i++)
		if (any && i == m->chosen)
			m->holdout = j.h[i];
		else
			rebuy_clv_holdout_free(j.h[i]);
	if (!any)
		m->has_holdout = 0;
	return REBUY_OK;
}

/* The orders' customer id of each entry of the full data: entries follow
 * customer ids and carry the orders' own key pointers. */
static int map_entries(struct rpt *x)
{
	const struct rebuy_clv_data *d = x->m.data;
	x->m.cid = rebuy__malloc((d->n ? d->n : 1) * sizeof *x->m.cid);
	if (!x->m.cid)
		return -1;
	size_t c = 0;
	for (size_t k = 0; k < d->n; k++) {
		while (c < x->o->n_customers && rebuy_orders_customer_key(x->o, c, NULL) != d->keys[k])
			c++;
		if (c == x->o->n_customers)
			return 0;
		x->m.cid[k] = (uint32_t)c++;
	}
	return 1;
}

enum rebuy_status rpt_model_compute(struct rpt *x)
{
	struct rpt_model *m = &x->m;
	const struct rebuy_orders *o = x->o;
	m->year = WEEKS_PER_YEAR;
	if (x->opt.has_model) {
		m->cand[0] = x->opt.model;
		m->n_cand = 1;
	} else {
		m->cand[0] = REBUY_CLV_BGNBD;
		m->cand[1] = REBUY_CLV_PNBD;
		m->n_cand = 2;
	}
	uint64_t repeaters = x->sum->repeat_customers_days;
	if (repeaters < 10) {
		snprintf(m->why, sizeof m->why, "%s",
		         tr(x, "A lifetime model needs at least 10 customers who bought on two "
		               "different days.",
		            "Модели жизненного цикла нужны хотя бы 10 покупателей, купивших в два "
		            "разных дня."));
		return REBUY_OK;
	}
	/* The holdout split. */
	int64_t span = o->last_day - o->first_day;
	if (x->opt.has_cal_end) {
		m->has_holdout = x->opt.cal_end < o->last_day && x->opt.cal_end >= o->first_day;
		m->cal_end = x->opt.cal_end;
	} else if (span >= MIN_SPAN_DAYS) {
		m->has_holdout = 1;
		m->cal_end = o->first_day + span * 2 / 3;
	}
	enum rebuy_status st;
	progress(x, "lifetime model: the holdout check");
	if (m->has_holdout && (st = choose(x)))
		return st;

	struct rebuy_error e = {0};
	st = rebuy_clv_data_from_orders(o, o->last_day, REBUY_UNIT_WEEK, &m->data, &e);
	if (st == REBUY_ENOMEM)
		return oom(x);
	if (st) {
		snprintf(m->why, sizeof m->why, "%s", e.msg);
		return REBUY_OK;
	}
	if (!m->has_holdout && m->n_cand > 1) {
		/* By likelihood on all the data. */
		double best = -INFINITY;
		int any = 0;
		for (size_t i = 0; i < m->n_cand; i++) {
			int r = fit_one(x->opt.n_threads, m->data, m->cand[i], 0, &m->cal_fit[i], m->cand_why[i],
			                sizeof m->cand_why[i]);
			if (r < 0)
				return oom(x);
			if (!r)
				continue;
			m->cand_ok[i] = 1;
			if (!any || m->cal_fit[i].est.log_likelihood > best) {
				best = m->cal_fit[i].est.log_likelihood;
				m->chosen = i;
				any = 1;
			}
		}
		if (!any) {
			snprintf(m->why, sizeof m->why, "%s", m->cand_why[0]);
			return REBUY_OK;
		}
	}
	progress(x, "lifetime model: the fit to all the data");
	m->has_spend = o->has_amount;
	int r = fit_one(x->opt.n_threads, m->data, m->cand[m->chosen], m->has_spend, &m->fit, m->why, sizeof m->why);
	if (r < 0)
		return oom(x);
	if (!r && m->has_spend) {
		/* The spend model may be what failed (e.g. no repeat buyer with a
		 * positive mean spend): keep the purchase model. */
		snprintf(m->spend_why, sizeof m->spend_why, "%s", m->why);
		m->has_spend = 0;
		r = fit_one(x->opt.n_threads, m->data, m->cand[m->chosen], 0, &m->fit, m->why, sizeof m->why);
		if (r < 0)
			return oom(x);
	}
	if (!r)
		return REBUY_OK;
	if (!o->has_amount)
		snprintf(m->spend_why, sizeof m->spend_why, "%s",
		         tr(x, "The orders have no amounts: no spend model, no CLV.",
		            "В заказах нет сумм: нет модели трат и CLV."));

	progress(x, "predictions");
	rebuy_clv_predict_options_init(&m->popt);
	m->popt.horizon = m->year;
	m->popt.clv_horizon = x->opt.clv_years * m->year;
	m->popt.margin = x->opt.margin;
	m->popt.discount_rate = x->opt.discount_rate;
	m->popt.n_threads = x->opt.n_threads;
	size_t n = m->data->n;
	m->pred = rebuy__malloc(n * sizeof *m->pred);
	if (!m->pred)
		return oom(x);
	/* The baseline: the scenario that changes nothing (rebuy_clv_predict). */
	struct rebuy_clv_scenario none = {0};
	struct rebuy_clv_whatif base;
	st = rebuy_clv_whatif(&m->fit, m->data, &m->popt, &none, m->pred, &base, &e);
	if (st == REBUY_ENOMEM)
		return oom(x);
	if (st) {
		snprintf(m->why, sizeof m->why, "%s", e.msg);
		return REBUY_OK;
	}
	int mr = map_entries(x);
	if (mr < 0)
		return oom(x);
	if (mr == 0)
		return rebuy_error_set(x->err, REBUY_EINTERNAL,
		                       "the lifetime data's customers do not follow the orders'");
	m->ok = 1;
	m->clv_total = base.clv;

	progress(x, "better retention");
	/* Better retention. */
	m->s0 = rebuy_clv_survival(&m->fit, m->year);
	if (!m->has_spend) {
		snprintf(m->lift_why, sizeof m->lift_why, "%s",
		         tr(x, "The value of better retention needs amounts (a spend model).",
		            "Для ценности лучшего удержания нужны суммы заказов (модель трат)."));
		return REBUY_OK;
	}
	/* The same computation as rebuy whatif --retention-points. */
	struct rebuy_clv_scenario lift = {.retention_points = x->opt.retention_lift,
	                                  .retention_t = m->year};
	struct rebuy_clv_whatif w;
	struct rebuy_clv_prediction *p2 = rebuy__malloc(n * sizeof *p2);
	if (!p2)
		return oom(x);
	st = rebuy_clv_whatif(&m->fit, m->data, &m->popt, &lift, p2, &w, &e);
	if (st == REBUY_OK) {
		m->lift_fit = w.fit;
		m->s1 = w.survival_after;
		m->clv_total_lift = w.clv;
		m->lift_ok = 1;
		/* Where the gain goes: by RFM segment. */
		for (size_t k = 0; k < n; k++) {
			double g = p2[k].clv - m->pred[k].clv;
			unsigned seg = x->rfm->customers[m->cid[k]].segment;
			if (g == g && seg < x->rfm->n_segments)
				m->seg_gain[seg] += g;
		}
	} else {
		snprintf(m->lift_why, sizeof m->lift_why, "%s", e.msg);
	}
	rebuy__free(p2);
	if (st == REBUY_ENOMEM)
		return oom(x);
	return REBUY_OK;
}

void rpt_model_release(struct rpt_model *m)
{
	rebuy_clv_holdout_free(m->holdout);
	rebuy_clv_data_free(m->cal_data);
	rebuy_clv_data_free(m->data);
	rebuy__free(m->pred);
	rebuy__free(m->cid);
}
