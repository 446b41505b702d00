-- rebuy 0.1: the per-customer summary as a parallel, shardable aggregate, and
-- the lifetime models over a summary table (docs/postgresql.md).
\echo Use "CREATE EXTENSION rebuy" to load this file. \quit

-- What rebuy_summary returns: the columns of `rebuy summary --customers`
-- (DESIGN.md §4) plus the first purchase day. x, t_x, T, monetary and
-- x_holdout are NULL for a customer whose first purchase is after the
-- calibration end; T is NULL when no calibration end is given.
CREATE TYPE rebuy_customer AS (
	orders integer,
	purchase_days integer,
	first_purchase timestamp,
	last_purchase timestamp,
	revenue numeric,
	returns integer,
	returned numeric,
	x double precision,
	t_x double precision,
	"T" double precision,
	monetary double precision,
	x_holdout integer,
	first_day date
);

CREATE FUNCTION rebuy_summary_trans(internal, timestamp, numeric)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
-- The time unit is an enum, not text: a text constant carries a collation,
-- and postgres_fdw does not push an aggregate with collated arguments to a
-- shard.
CREATE TYPE rebuy_time_unit AS ENUM ('day', 'week', 'month');

CREATE FUNCTION rebuy_summary_trans(internal, timestamp, numeric, date, rebuy_time_unit)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_trans(internal, timestamp, numeric, text)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_trans(internal, timestamp, numeric, text, date, rebuy_time_unit)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_serial(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_deserial(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION rebuy_summary_final(internal)
RETURNS rebuy_customer AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

-- rebuy_summary(ts, amount): one customer's lines (GROUP BY customer); lines
-- with the same time are one order, an order worth < 0 is a return.
CREATE AGGREGATE rebuy_summary(timestamp, numeric) (
	SFUNC = rebuy_summary_trans, STYPE = internal, FINALFUNC = rebuy_summary_final,
	COMBINEFUNC = rebuy_summary_combine, SERIALFUNC = rebuy_summary_serial,
	DESERIALFUNC = rebuy_summary_deserial, PARALLEL = SAFE);
-- rebuy_summary(ts, amount, calibration_end, time_unit): with the BTYD
-- summary for a calibration period ending on calibration_end (inclusive) in
-- 'day', 'week' or 'month'.
CREATE AGGREGATE rebuy_summary(timestamp, numeric, date, rebuy_time_unit) (
	SFUNC = rebuy_summary_trans, STYPE = internal, FINALFUNC = rebuy_summary_final,
	COMBINEFUNC = rebuy_summary_combine, SERIALFUNC = rebuy_summary_serial,
	DESERIALFUNC = rebuy_summary_deserial, PARALLEL = SAFE);

-- rebuy_summary(ts, amount, order_key [, calibration_end, time_unit]): lines
-- with the same order key are one order, at its earliest line's time (the
-- command line's rule when the input has an order column).
CREATE AGGREGATE rebuy_summary(timestamp, numeric, text) (
	SFUNC = rebuy_summary_trans, STYPE = internal, FINALFUNC = rebuy_summary_final,
	COMBINEFUNC = rebuy_summary_combine, SERIALFUNC = rebuy_summary_serial,
	DESERIALFUNC = rebuy_summary_deserial, PARALLEL = SAFE);
CREATE AGGREGATE rebuy_summary(timestamp, numeric, text, date, rebuy_time_unit) (
	SFUNC = rebuy_summary_trans, STYPE = internal, FINALFUNC = rebuy_summary_final,
	COMBINEFUNC = rebuy_summary_combine, SERIALFUNC = rebuy_summary_serial,
	DESERIALFUNC = rebuy_summary_deserial, PARALLEL = SAFE);

CREATE FUNCTION rebuy_fit_trans(internal, text, text, float8, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_trans(internal, text, text, float8, float8, float8, float8)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_trans(internal, text, text, float8, float8, float8, float8, text)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_serial(internal)
RETURNS bytea AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_deserial(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME' LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION rebuy_fit_final(internal)
RETURNS jsonb AS 'MODULE_PATHNAME' LANGUAGE C CALLED ON NULL INPUT PARALLEL SAFE;

-- rebuy_fit(model, customer, x, t_x, T [, monetary [, time_unit]]): the
-- maximum-likelihood fit of 'bgnbd', 'mbgnbd' or 'pnbd' (with monetary also
-- Gamma-Gamma spend) as JSON, the same as `rebuy fit --summary` over the
-- same rows. The customer key orders the rows, so the result does not
-- depend on the order they arrive in.
CREATE AGGREGATE rebuy_fit(text, text, float8, float8, float8) (
	SFUNC = rebuy_fit_trans, STYPE = internal, FINALFUNC = rebuy_fit_final,
	COMBINEFUNC = rebuy_fit_combine, SERIALFUNC = rebuy_fit_serial,
	DESERIALFUNC = rebuy_fit_deserial, PARALLEL = SAFE);
CREATE AGGREGATE rebuy_fit(text, text, float8, float8, float8, float8) (
	SFUNC = rebuy_fit_trans, STYPE = internal, FINALFUNC = rebuy_fit_final,
	COMBINEFUNC = rebuy_fit_combine, SERIALFUNC = rebuy_fit_serial,
	DESERIALFUNC = rebuy_fit_deserial, PARALLEL = SAFE);
CREATE AGGREGATE rebuy_fit(text, text, float8, float8, float8, float8, text) (
	SFUNC = rebuy_fit_trans, STYPE = internal, FINALFUNC = rebuy_fit_final,
	COMBINEFUNC = rebuy_fit_combine, SERIALFUNC = rebuy_fit_serial,
	DESERIALFUNC = rebuy_fit_deserial, PARALLEL = SAFE);

-- Per customer, from a fit's JSON: P(alive at T), expected purchases in
-- (T, T + t], and CLV over a horizon (time units of the fit; 0: one year).
CREATE FUNCTION rebuy_p_alive(params jsonb, x float8, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'rebuy_p_alive_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rebuy_expected_purchases(params jsonb, t float8, x float8, t_x float8, "T" float8)
RETURNS float8 AS 'MODULE_PATHNAME', 'rebuy_expected_purchases_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rebuy_clv(params jsonb, x float8, t_x float8, "T" float8, monetary float8,
                          horizon float8 DEFAULT 0, margin float8 DEFAULT 1,
                          discount_rate float8 DEFAULT 0.1)
RETURNS float8 AS 'MODULE_PATHNAME', 'rebuy_clv_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- RFM (DESIGN.md §4): score = 1 + floor(bins * (customers with a strictly
-- smaller value) / customers); with window functions the count strictly
-- smaller is rank() OVER (ORDER BY value) - 1 (for recency: ORDER BY
-- recency DESC, recent = high).
CREATE FUNCTION rebuy_rfm_score(n_beaten bigint, n_customers bigint, bins integer DEFAULT 5)
RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT 1 + floor(bins::numeric * n_beaten / n_customers)::integer $$;
CREATE FUNCTION rebuy_rfm_segment(r integer, f integer)
RETURNS text AS 'MODULE_PATHNAME', 'rebuy_rfm_segment_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Cohorts: the label of a day's calendar period ('day', 'week', 'month',
-- 'quarter', 'year'; ISO weeks) and the periods between two days.
CREATE FUNCTION rebuy_period_label(period text, day date)
RETURNS text AS 'MODULE_PATHNAME', 'rebuy_period_label_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION rebuy_period_offset(period text, first_day date, day date)
RETURNS integer AS 'MODULE_PATHNAME', 'rebuy_period_offset_sql'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- Cohort counts: customers of each cohort (period of the first purchase)
-- who purchased in offset k, from a table or view of (customer, day).
CREATE FUNCTION rebuy_cohort_counts(orders regclass, period text DEFAULT 'month')
RETURNS TABLE (cohort text, "offset" integer, customers bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
	RETURN QUERY EXECUTE format(
		'WITH o AS (SELECT customer::text AS c, day::date AS d FROM %s),
		      f AS (SELECT c, min(d) AS d0 FROM o GROUP BY c)
		 SELECT rebuy_period_label($1, f.d0), rebuy_period_offset($1, f.d0, o.d),
		        count(DISTINCT o.c)
		 FROM o JOIN f USING (c) GROUP BY 1, 2 ORDER BY 1, 2', orders) USING period;
END $$;
