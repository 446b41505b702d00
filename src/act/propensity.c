/* Purchase propensity on a time split (rebuy/propensity.h): features at a
 * cut-off (rebuy/features.h) and two outputs of the BG/NBD fitted to the
 * purchases before it (Fader, Hardie & Lee 2005: P(alive) and the expected
 * purchases in the horizon), labels from the horizon after it; a logit and
 * boosted trees trained at one cut-off and scored at the next, against the
 * BG/NBD's own P(purchase in the horizon) = 1 - P(X(t) = 0 | history).
 *
 * Invariant: a cut-off's inputs use only purchases before it, its labels
 * only purchases in [cut, cut + h); the test cut-off is at or after the end
 * of the training labels, so training never sees the test period.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "rebuy/date.h"
#include "rebuy/features.h"
#include "rebuy/propensity.h"

void rebuy_propensity_options_init(struct rebuy_propensity_options *opts)
{
	memset(opts, 0, sizeof *opts);
	opts->horizon_days = REBUY_PROPENSITY_DEFAULT_HORIZON;
	opts->models = REBUY_PROPENSITY_ALL;
	opts->attribute_levels = REBUY_PROPENSITY_DEFAULT_LEVELS;
	rebuy_logit_options_init(&opts->logit);
	rebuy_gbm_options_init(&opts->gbm);
}

static const char *const bgnbd_names[REBUY_PROPENSITY_BGNBD_COLUMNS] = {"bgnbd_p_alive",
                                                                        "bgnbd_expected_purchases"};

/* One cut-off: its customers' inputs, labels and baseline. */
struct side {
	int64_t cut;
	struct rebuy_features *f;
	size_t n, m; /* rows, inputs */
	double *x;   /* n x m */
	uint8_t *y;  /* n labels, NULL when unlabelled */
	size_t n_positive;
	double *p_bgnbd; /* n: 1 - P(no purchase in h) */
	struct rebuy_clv_estimate bgnbd;
};

static void side_release(struct side *s)
{
	rebuy_features_free(s->f);
	rebuy__free(s->x);
	rebuy__free(s->y);
	rebuy__free(s->p_bgnbd);
	memset(s, 0, sizeof *s);
}

/* Progress over the whole run: steps of building sides and fitting, and
 * the boosting rounds. */
struct progress {
	const struct rebuy_propensity_options *o;
	uint64_t done, total;
};

static void step(struct progress *p, uint64_t n)
{
	p->done += n;
	if (p->o->progress)
		p->o->progress(p->o->progress_ud, p->done, p->total);
}

static void gbm_progress(void *ud, uint64_t done, uint64_t total)
{
	(void)total;
	struct progress *p = ud;
	if (p->o->progress)
		p->o->progress(p->o->progress_ud, p->done + done, p->total);
}

static enum rebuy_status bgnbd_columns(const struct rebuy_orders *o,
                                       const struct rebuy_propensity_options *opts, struct side *s,
                                       double *alive, double *expected, struct rebuy_error *err)
{
	struct rebuy_clv_data *d = NULL;
	struct rebuy_clv_prediction *pred = NULL;
	enum rebuy_status st = rebuy_clv_data_from_orders(o, s->cut - 1, REBUY_UNIT_WEEK, &d, err);
	if (st)
		return st;
	/* Both list the customers with a purchase before the cut in id order. */
	if (d->n != s->n) {
		st = rebuy_error_set(err, REBUY_EINTERNAL,
		                     "the BG/NBD data has %zu customers, the features %zu", d->n,
		                     s->n);
		goto out;
	}
	for (size_t i = 0; i < s->n; i++)
		if (d->keys[i] != rebuy_orders_customer_key(o, s->f->customer[i], NULL)) {
			st = rebuy_error_set(err, REBUY_EINTERNAL,
			                     "the BG/NBD data and the features list different "
			                     "customers");
			goto out;
		}
	struct rebuy_clv_fit_options fo;
	rebuy_clv_fit_options_init(&fo);
	fo.model = REBUY_CLV_BGNBD;
	fo.n_threads = opts->n_threads;
	struct rebuy_clv_fit fit;
	if ((st = rebuy_clv_fit(d, &fo, &fit, err)))
		goto out;
	s->bgnbd = fit.est;
	struct rebuy_clv_predict_options po;
	rebuy_clv_predict_options_init(&po);
	po.horizon = (double)opts->horizon_days / rebuy_time_unit_days(REBUY_UNIT_WEEK);
	po.n_threads = opts->n_threads;
	if (!(pred = rebuy__malloc(s->n * sizeof *pred))) {
		st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory");
		goto out;
	}
	if ((st = rebuy_clv_predict(&fit, d, &po, pred, err)))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		alive[i] = pred[i].p_alive;
		expected[i] = pred[i].expected_purchases;
		s->p_bgnbd[i] = 1 - pred[i].p_no_purchase;
	}
out:
	rebuy__free(pred);
	rebuy_clv_data_free(d);
	return st;
}

/* The features, BG/NBD columns and (when labelled) labels at cut; the
 * attribute indicators of `like` when given. */
static enum rebuy_status build_side(const struct rebuy_orders *o,
                                    const struct rebuy_propensity_options *opts, int64_t cut,
                                    int labelled, const struct side *like, struct side *s,
                                    struct rebuy_error *err)
{
	memset(s, 0, sizeof *s);
	s->cut = cut;
	struct rebuy_features_options fo;
	rebuy_features_options_init(&fo);
	fo.has_as_of = 1;
	fo.as_of_day = cut;
	fo.window_days = opts->window_days ? opts->window_days : opts->horizon_days;
	fo.attribute_levels = opts->attribute_levels;
	fo.same_levels = like ? like->f : NULL;
	enum rebuy_status st = rebuy_features_compute(o, &fo, &s->f, err);
	if (st)
		return st;
	size_t k = s->f->n_cols, cells;
	s->n = s->f->n_rows;
	s->m = k + REBUY_PROPENSITY_BGNBD_COLUMNS;
	double *alive = NULL, *expected = NULL;
	st = REBUY_ENOMEM;
	if (rebuy__mul_overflows(s->n, s->m, &cells))
		goto out;
	s->x = rebuy__malloc(cells * sizeof *s->x);
	s->p_bgnbd = rebuy__malloc(s->n * sizeof *s->p_bgnbd);
	alive = rebuy__malloc(s->n * sizeof *alive);
	expected = rebuy__malloc(s->n * sizeof *expected);
	if (labelled)
		s->y = rebuy__malloc(s->n);
	if (!s->x || !s->p_bgnbd || !alive || !expected || (labelled && !s->y))
		goto out;
	if ((st = bgnbd_columns(o, opts, s, alive, expected, err)))
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		double *row = s->x + i * s->m;
		memcpy(row, s->f->x + i * k, k * sizeof *row);
		row[k] = alive[i];
		row[k + 1] = expected[i];
	}
	if (labelled)
		s->n_positive = rebuy_features_label(o, s->f, opts->horizon_days, s->y);
	st = REBUY_OK;
out:
	if (st == REBUY_ENOMEM)
		rebuy_error_set(err, st, "out of memory building the propensity inputs");
	rebuy__free(alive);
	rebuy__free(expected);
	return st;
}

static const char *day_text(int64_t day, char *buf, size_t size)
{
	rebuy_format_day(day, buf, size);
	return buf;
}

static enum rebuy_status check_options(const struct rebuy_propensity_options *opts,
                                       struct rebuy_error *err)
{
	if (opts->horizon_days < 1 || opts->horizon_days > 36525)
		return rebuy_error_set(err, REBUY_EARG, "the horizon must be from 1 to 36525 days");
	if (opts->window_days < 0)
		return rebuy_error_set(err, REBUY_EARG, "the recent window must be >= 0 days");
	if ((opts->models & REBUY_PROPENSITY_ALL) == 0 || (opts->models & ~3u))
		return rebuy_error_set(err, REBUY_EARG, "choose the logit, the tree or both");
	return REBUY_OK;
}

static int64_t as_of_of(const struct rebuy_orders *o, const struct rebuy_propensity_options *opts)
{
	return opts->has_as_of ? opts->as_of_day : o->last_day + 1;
}

/* A training cut-off needs purchases before it. */
static enum rebuy_status history(const struct rebuy_orders *o, int64_t cut, int64_t h,
                                 const char *how, const char *advice, struct rebuy_error *err)
{
	char a[32], b[32];
	if (o->n_orders == 0)
		return rebuy_error_set(err, REBUY_EDATA, "no purchases to learn from");
	if (cut > o->first_day)
		return REBUY_OK;
	return rebuy_error_set(err, REBUY_EARG,
	                       "not enough history for a %lld-day horizon: training needs "
	                       "purchases before the training cut-off %s (%s), and the first "
	                       "purchase is on %s; %s",
	                       (long long)h, day_text(cut, a, sizeof a), how,
	                       day_text(o->first_day, b, sizeof b), advice);
}

/* The training and test cut-offs, checked against the history. */
static enum rebuy_status cuts(const struct rebuy_orders *o,
                              const struct rebuy_propensity_options *opts, int64_t *c1, int64_t *c2,
                              struct rebuy_error *err)
{
	int64_t h = opts->horizon_days, as_of = as_of_of(o, opts);
	char a[32], b[32];
	if (!opts->has_cuts) {
		*c2 = as_of - h;
		*c1 = as_of - 2 * h;
		return history(o, *c1, h, "the as-of day minus twice the horizon",
		               "use a shorter horizon", err);
	}
	*c1 = opts->train_cut;
	*c2 = opts->test_cut;
	if (*c1 + h > *c2)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the test cut-off %s must be at least the horizon (%lld "
		                       "days) after the training cut-off %s, so that training "
		                       "labels end before the test period",
		                       day_text(*c2, a, sizeof a), (long long)h,
		                       day_text(*c1, b, sizeof b));
	if (*c2 + h > as_of)
		return rebuy_error_set(err, REBUY_EARG,
		                       "the test period from %s runs %lld days, past the end of "
		                       "the data (as of %s): its labels would be incomplete",
		                       day_text(*c2, a, sizeof a), (long long)h,
		                       day_text(as_of, b, sizeof b));
	return history(o, *c1, h, "as given", "give a later training cut-off", err);
}

static enum rebuy_status check_labels(const struct side *s, const char *what,
                                      struct rebuy_error *err)
{
	char a[32];
	if (s->n_positive == 0 || s->n_positive == s->n)
		return rebuy_error_set(err, REBUY_EDATA,
		                       "the %s window from %s has %s of the %zu customers buying: "
		                       "a model needs buyers and non-buyers",
		                       what, day_text(s->cut, a, sizeof a),
		                       s->n_positive ? "all" : "none", s->n);
	return REBUY_OK;
}

static void sample_of(const struct side *s, struct rebuy_propensity_sample *out)
{
	out->cut_day = s->cut;
	out->n = s->n;
	out->n_positive = s->n_positive;
	out->base_rate = s->n ? (double)s->n_positive / (double)s->n : NAN;
	out->bgnbd = s->bgnbd;
}

static char **copy_names(const struct side *s)
{
	char **names = rebuy__calloc(s->m, sizeof *names);
	if (!names)
		return NULL;
	for (size_t j = 0; j < s->m; j++) {
		const char *nm = j < s->f->n_cols ? s->f->names[j] : bgnbd_names[j - s->f->n_cols];
		if (!(names[j] = rebuy__strndup(nm, strlen(nm)))) {
			for (size_t k = 0; k < j; k++)
				rebuy__free(names[k]);
			rebuy__free(names);
			return NULL;
		}
	}
	return names;
}

void rebuy_propensity_eval_free(struct rebuy_propensity_eval *e)
{
	if (!e)
		return;
	if (e->names)
		for (size_t j = 0; j < e->n_features; j++)
			rebuy__free(e->names[j]);
	rebuy__free(e->names);
	rebuy_logit_free(e->logit_model);
	rebuy_gbm_free(e->gbm_model);
	rebuy__free(e);
}

/* Fits the chosen learners on train. */
static enum rebuy_status fit_models(const struct side *train,
                                    const struct rebuy_propensity_options *opts,
                                    struct progress *pr, struct rebuy_logit **logit,
                                    struct rebuy_gbm **gbm, struct rebuy_error *err)
{
	enum rebuy_status st;
	if (opts->models & REBUY_PROPENSITY_LOGIT) {
		struct rebuy_logit_options lo = opts->logit;
		lo.n_threads = opts->n_threads;
		if ((st = rebuy_logit_fit(train->x, train->n, train->m, train->y, &lo, logit, err)))
			return st;
		step(pr, 1);
	}
	if (opts->models & REBUY_PROPENSITY_TREE) {
		struct rebuy_gbm_options go = opts->gbm;
		go.n_threads = opts->n_threads;
		go.progress = gbm_progress;
		go.progress_ud = pr;
		if ((st = rebuy_gbm_fit(train->x, train->n, train->m, train->y, &go, gbm, err)))
			return st;
		step(pr, (uint64_t)opts->gbm.n_rounds);
	}
	return REBUY_OK;
}

static uint64_t total_steps(const struct rebuy_propensity_options *opts)
{
	uint64_t t = 2;
	if (opts->models & REBUY_PROPENSITY_LOGIT)
		t += 1;
	if (opts->models & REBUY_PROPENSITY_TREE)
		t += (uint64_t)(opts->gbm.n_rounds > 0 ? opts->gbm.n_rounds : 0);
	return t;
}

/* The metrics of a model's predictions on one side. */
static enum rebuy_status metrics_of(const struct rebuy_logit *logit, const struct rebuy_gbm *gbm,
                                    const struct side *s, double *p,
                                    struct rebuy_classifier_metrics *out, struct rebuy_error *err)
{
	if (logit)
		rebuy_logit_predict(logit, s->x, s->n, p);
	else
		rebuy_gbm_predict(gbm, s->x, s->n, p);
	return rebuy_classifier_metrics(p, s->y, s->n, out, err);
}

enum rebuy_status rebuy_propensity_evaluate(const struct rebuy_orders *o,
                                            const struct rebuy_propensity_options *opts,
                                            struct rebuy_propensity_eval **out,
                                            struct rebuy_error *err)
{
	*out = NULL;
	int64_t c1, c2;
	enum rebuy_status st = check_options(opts, err);
	if (st || (st = cuts(o, opts, &c1, &c2, err)))
		return st;
	struct side train, test;
	struct progress pr = {opts, 0, total_steps(opts)};
	double *p = NULL;
	memset(&test, 0, sizeof test);
	struct rebuy_propensity_eval *e = NULL;
	if ((st = build_side(o, opts, c1, 1, NULL, &train, err)))
		goto out;
	step(&pr, 1);
	if ((st = check_labels(&train, "training", err)))
		goto out;
	if ((st = build_side(o, opts, c2, 1, &train, &test, err)))
		goto out;
	step(&pr, 1);
	st = REBUY_ENOMEM;
	e = rebuy__calloc(1, sizeof *e);
	p = rebuy__malloc((train.n > test.n ? train.n : test.n) * sizeof *p);
	if (!e || !p || !(e->names = copy_names(&train)))
		goto nomem;
	e->n_features = train.m;
	e->horizon_days = opts->horizon_days;
	e->as_of_day = as_of_of(o, opts);
	e->models = opts->models;
	sample_of(&train, &e->train);
	sample_of(&test, &e->test);
	if ((st = fit_models(&train, opts, &pr, &e->logit_model, &e->gbm_model, err)))
		goto out;
	if (e->logit_model &&
	    ((st = metrics_of(e->logit_model, NULL, &train, p, &e->logit_train, err)) ||
	     (st = metrics_of(e->logit_model, NULL, &test, p, &e->logit, err))))
		goto out;
	if (e->gbm_model &&
	    ((st = metrics_of(NULL, e->gbm_model, &train, p, &e->tree_train, err)) ||
	     (st = metrics_of(NULL, e->gbm_model, &test, p, &e->tree, err))))
		goto out;
	if ((st = rebuy_classifier_metrics(test.p_bgnbd, test.y, test.n, &e->bgnbd, err)))
		goto out;
	*out = e;
	e = NULL;
	goto out;
nomem:
	st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory evaluating the propensity models");
out:
	rebuy_propensity_eval_free(e);
	rebuy__free(p);
	side_release(&train);
	side_release(&test);
	return st;
}

void rebuy_propensity_scores_free(struct rebuy_propensity_scores *s)
{
	if (!s)
		return;
	rebuy__free(s->customer);
	rebuy__free(s->p_logit);
	rebuy__free(s->p_tree);
	rebuy__free(s->p_bgnbd);
	rebuy__free(s);
}

/* The rows of now in customer-key order, into s. */
static enum rebuy_status order_by_key(const struct rebuy_orders *o, const struct side *now,
                                      const double *pl, const double *pt,
                                      struct rebuy_propensity_scores *s)
{
	uint32_t *ids = rebuy__malloc((o->n_customers ? o->n_customers : 1) * sizeof *ids);
	int64_t *row = rebuy__malloc((o->n_customers ? o->n_customers : 1) * sizeof *row);
	enum rebuy_status st = REBUY_ENOMEM;
	if (!ids || !row || rebuy_orders_customers_by_key(o, ids) != REBUY_OK)
		goto out;
	for (size_t c = 0; c < o->n_customers; c++)
		row[c] = -1;
	for (size_t i = 0; i < now->n; i++)
		row[now->f->customer[i]] = (int64_t)i;
	size_t k = 0;
	for (size_t c = 0; c < o->n_customers; c++) {
		int64_t r = row[ids[c]];
		if (r < 0)
			continue;
		s->customer[k] = ids[c];
		s->p_bgnbd[k] = now->p_bgnbd[r];
		if (pl)
			s->p_logit[k] = pl[r];
		if (pt)
			s->p_tree[k] = pt[r];
		k++;
	}
	st = REBUY_OK;
out:
	rebuy__free(ids);
	rebuy__free(row);
	return st;
}

enum rebuy_status rebuy_propensity_score(const struct rebuy_orders *o,
                                         const struct rebuy_propensity_options *opts,
                                         struct rebuy_propensity_scores **out,
                                         struct rebuy_error *err)
{
	*out = NULL;
	enum rebuy_status st = check_options(opts, err);
	if (st)
		return st;
	/* The latest complete split: one horizon of labels before as_of. */
	int64_t as_of = as_of_of(o, opts), c1 = as_of - opts->horizon_days;
	if ((st = history(o, c1, opts->horizon_days, "the as-of day minus the horizon",
	                  "use a shorter horizon", err)))
		return st;
	struct side train, now;
	memset(&now, 0, sizeof now);
	struct progress pr = {opts, 0, total_steps(opts)};
	struct rebuy_logit *logit = NULL;
	struct rebuy_gbm *gbm = NULL;
	double *pl = NULL, *pt = NULL;
	struct rebuy_propensity_scores *s = NULL;
	if ((st = build_side(o, opts, c1, 1, NULL, &train, err)))
		goto out;
	step(&pr, 1);
	if ((st = check_labels(&train, "training", err)))
		goto out;
	if ((st = build_side(o, opts, as_of, 0, &train, &now, err)))
		goto out;
	step(&pr, 1);
	if ((st = fit_models(&train, opts, &pr, &logit, &gbm, err)))
		goto out;
	size_t n = now.n ? now.n : 1;
	s = rebuy__calloc(1, sizeof *s);
	if (!s || !(s->customer = rebuy__malloc(n * sizeof *s->customer)) ||
	    !(s->p_bgnbd = rebuy__malloc(n * sizeof *s->p_bgnbd)) ||
	    (logit && (!(s->p_logit = rebuy__malloc(n * sizeof *s->p_logit)) ||
	               !(pl = rebuy__malloc(n * sizeof *pl)))) ||
	    (gbm && (!(s->p_tree = rebuy__malloc(n * sizeof *s->p_tree)) ||
	             !(pt = rebuy__malloc(n * sizeof *pt)))))
		goto nomem;
	if (logit)
		rebuy_logit_predict(logit, now.x, now.n, pl);
	if (gbm)
		rebuy_gbm_predict(gbm, now.x, now.n, pt);
	s->horizon_days = opts->horizon_days;
	s->as_of_day = as_of;
	s->models = opts->models;
	sample_of(&train, &s->train);
	s->bgnbd = now.bgnbd;
	s->n = now.n;
	if ((st = order_by_key(o, &now, pl, pt, s)))
		goto nomem;
	*out = s;
	s = NULL;
	goto out;
nomem:
	st = rebuy_error_set(err, REBUY_ENOMEM, "out of memory scoring the customers");
out:
	rebuy_propensity_scores_free(s);
	rebuy_logit_free(logit);
	rebuy_gbm_free(gbm);
	rebuy__free(pl);
	rebuy__free(pt);
	side_release(&train);
	side_release(&now);
	return st;
}
