/* Unit tests for dates, times and calendar periods (include/rebuy/date.h).
 * Expected values were worked out independently: Unix times and day numbers
 * with GNU `date -u -d ... +%s`, ISO week labels with `date +%G-W%V` (the
 * table below), and calendar steps by a plain day-by-day count. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "rebuy/date.h"

/* ISO week labels from GNU date (`date -u -d D +%G-W%V`), generated while
 * writing this test. */
static const struct {
	const char *date, *label;
} iso_weeks[] = {
        {"0001-01-01", "0001-W01"}, {"0074-06-04", "0074-W23"}, {"0098-06-09", "0098-W24"},
        {"0149-09-23", "0149-W39"}, {"0271-10-02", "0271-W40"}, {"0459-05-10", "0459-W19"},
        {"0513-11-12", "0513-W45"}, {"0559-05-08", "0559-W19"}, {"0643-12-13", "0643-W50"},
        {"0795-05-21", "0795-W20"}, {"0819-10-21", "0819-W43"}, {"1288-11-10", "1288-W46"},
        {"1362-04-03", "1362-W13"}, {"1495-09-01", "1495-W35"}, {"1504-07-01", "1504-W26"},
        {"1563-12-09", "1563-W50"}, {"1575-10-27", "1575-W44"}, {"1638-08-26", "1638-W34"},
        {"1646-05-27", "1646-W21"}, {"1682-02-17", "1682-W08"}, {"1969-12-28", "1969-W52"},
        {"1969-12-29", "1970-W01"}, {"1970-01-01", "1970-W01"}, {"1970-01-04", "1970-W01"},
        {"1970-01-05", "1970-W02"}, {"1989-05-24", "1989-W21"}, {"1995-12-27", "1995-W52"},
        {"1995-12-28", "1995-W52"}, {"1995-12-29", "1995-W52"}, {"1995-12-31", "1995-W52"},
        {"1996-01-01", "1996-W01"}, {"1996-01-02", "1996-W01"}, {"1996-01-03", "1996-W01"},
        {"1996-01-04", "1996-W01"}, {"1996-12-27", "1996-W52"}, {"1996-12-28", "1996-W52"},
        {"1996-12-29", "1996-W52"}, {"1996-12-31", "1997-W01"}, {"1997-01-01", "1997-W01"},
        {"1997-01-02", "1997-W01"}, {"1997-01-03", "1997-W01"}, {"1997-01-04", "1997-W01"},
        {"1997-12-27", "1997-W52"}, {"1997-12-28", "1997-W52"}, {"1997-12-29", "1998-W01"},
        {"1997-12-31", "1998-W01"}, {"1998-01-01", "1998-W01"}, {"1998-01-02", "1998-W01"},
        {"1998-01-03", "1998-W01"}, {"1998-01-04", "1998-W01"}, {"1998-12-27", "1998-W52"},
        {"1998-12-28", "1998-W53"}, {"1998-12-29", "1998-W53"}, {"1998-12-31", "1998-W53"},
        {"1999-01-01", "1998-W53"}, {"1999-01-02", "1998-W53"}, {"1999-01-03", "1998-W53"},
        {"1999-01-04", "1999-W01"}, {"1999-12-27", "1999-W52"}, {"1999-12-28", "1999-W52"},
        {"1999-12-29", "1999-W52"}, {"1999-12-31", "1999-W52"}, {"2000-01-01", "1999-W52"},
        {"2000-01-02", "1999-W52"}, {"2000-01-03", "2000-W01"}, {"2000-01-04", "2000-W01"},
        {"2000-12-27", "2000-W52"}, {"2000-12-28", "2000-W52"}, {"2000-12-29", "2000-W52"},
        {"2000-12-31", "2000-W52"}, {"2001-01-01", "2001-W01"}, {"2001-01-02", "2001-W01"},
        {"2001-01-03", "2001-W01"}, {"2001-01-04", "2001-W01"}, {"2001-12-27", "2001-W52"},
        {"2001-12-28", "2001-W52"}, {"2001-12-29", "2001-W52"}, {"2001-12-31", "2002-W01"},
        {"2002-01-01", "2002-W01"}, {"2002-01-02", "2002-W01"}, {"2002-01-03", "2002-W01"},
        {"2002-01-04", "2002-W01"}, {"2002-12-27", "2002-W52"}, {"2002-12-28", "2002-W52"},
        {"2002-12-29", "2002-W52"}, {"2002-12-31", "2003-W01"}, {"2003-01-01", "2003-W01"},
        {"2003-01-02", "2003-W01"}, {"2003-01-03", "2003-W01"}, {"2003-01-04", "2003-W01"},
        {"2003-12-27", "2003-W52"}, {"2003-12-28", "2003-W52"}, {"2003-12-29", "2004-W01"},
        {"2003-12-31", "2004-W01"}, {"2004-01-01", "2004-W01"}, {"2004-01-02", "2004-W01"},
        {"2004-01-03", "2004-W01"}, {"2004-01-04", "2004-W01"}, {"2004-12-27", "2004-W53"},
        {"2004-12-28", "2004-W53"}, {"2004-12-29", "2004-W53"}, {"2004-12-31", "2004-W53"},
        {"2005-01-01", "2004-W53"}, {"2005-01-02", "2004-W53"}, {"2005-01-03", "2005-W01"},
        {"2005-01-04", "2005-W01"}, {"2005-12-27", "2005-W52"}, {"2005-12-28", "2005-W52"},
        {"2005-12-29", "2005-W52"}, {"2005-12-31", "2005-W52"}, {"2006-01-01", "2005-W52"},
        {"2006-01-02", "2006-W01"}, {"2006-01-03", "2006-W01"}, {"2006-01-04", "2006-W01"},
        {"2006-12-27", "2006-W52"}, {"2006-12-28", "2006-W52"}, {"2006-12-29", "2006-W52"},
        {"2006-12-31", "2006-W52"}, {"2007-01-01", "2007-W01"}, {"2007-01-02", "2007-W01"},
        {"2007-01-03", "2007-W01"}, {"2007-01-04", "2007-W01"}, {"2007-12-27", "2007-W52"},
        {"2007-12-28", "2007-W52"}, {"2007-12-29", "2007-W52"}, {"2007-12-31", "2008-W01"},
        {"2008-01-01", "2008-W01"}, {"2008-01-02", "2008-W01"}, {"2008-01-03", "2008-W01"},
        {"2008-01-04", "2008-W01"}, {"2008-12-27", "2008-W52"}, {"2008-12-28", "2008-W52"},
        {"2008-12-29", "2009-W01"}, {"2008-12-31", "2009-W01"}, {"2009-01-01", "2009-W01"},
        {"2009-01-02", "2009-W01"}, {"2009-01-03", "2009-W01"}, {"2009-01-04", "2009-W01"},
        {"2009-12-27", "2009-W52"}, {"2009-12-28", "2009-W53"}, {"2009-12-29", "2009-W53"},
        {"2009-12-31", "2009-W53"}, {"2010-01-01", "2009-W53"}, {"2010-01-02", "2009-W53"},
        {"2010-01-03", "2009-W53"}, {"2010-01-04", "2010-W01"}, {"2010-12-27", "2010-W52"},
        {"2010-12-28", "2010-W52"}, {"2010-12-29", "2010-W52"}, {"2010-12-31", "2010-W52"},
        {"2011-01-01", "2010-W52"}, {"2011-01-02", "2010-W52"}, {"2011-01-03", "2011-W01"},
        {"2011-01-04", "2011-W01"}, {"2011-12-27", "2011-W52"}, {"2011-12-28", "2011-W52"},
        {"2011-12-29", "2011-W52"}, {"2011-12-31", "2011-W52"}, {"2012-01-01", "2011-W52"},
        {"2012-01-02", "2012-W01"}, {"2012-01-03", "2012-W01"}, {"2012-01-04", "2012-W01"},
        {"2012-12-27", "2012-W52"}, {"2012-12-28", "2012-W52"}, {"2012-12-29", "2012-W52"},
        {"2012-12-31", "2013-W01"}, {"2013-01-01", "2013-W01"}, {"2013-01-02", "2013-W01"},
        {"2013-01-03", "2013-W01"}, {"2013-01-04", "2013-W01"}, {"2013-12-27", "2013-W52"},
        {"2013-12-28", "2013-W52"}, {"2013-12-29", "2013-W52"}, {"2013-12-31", "2014-W01"},
        {"2014-01-01", "2014-W01"}, {"2014-01-02", "2014-W01"}, {"2014-01-03", "2014-W01"},
        {"2014-01-04", "2014-W01"}, {"2014-12-27", "2014-W52"}, {"2014-12-28", "2014-W52"},
        {"2014-12-29", "2015-W01"}, {"2014-12-31", "2015-W01"}, {"2015-01-01", "2015-W01"},
        {"2015-01-02", "2015-W01"}, {"2015-01-03", "2015-W01"}, {"2015-01-04", "2015-W01"},
        {"2015-12-27", "2015-W52"}, {"2015-12-28", "2015-W53"}, {"2015-12-29", "2015-W53"},
        {"2015-12-31", "2015-W53"}, {"2016-01-01", "2015-W53"}, {"2016-01-02", "2015-W53"},
        {"2016-01-03", "2015-W53"}, {"2016-01-04", "2016-W01"}, {"2016-12-27", "2016-W52"},
        {"2016-12-28", "2016-W52"}, {"2016-12-29", "2016-W52"}, {"2016-12-31", "2016-W52"},
        {"2017-01-01", "2016-W52"}, {"2017-01-02", "2017-W01"}, {"2017-01-03", "2017-W01"},
        {"2017-01-04", "2017-W01"}, {"2017-12-27", "2017-W52"}, {"2017-12-28", "2017-W52"},
        {"2017-12-29", "2017-W52"}, {"2017-12-31", "2017-W52"}, {"2018-01-01", "2018-W01"},
        {"2018-01-02", "2018-W01"}, {"2018-01-03", "2018-W01"}, {"2018-01-04", "2018-W01"},
        {"2018-12-27", "2018-W52"}, {"2018-12-28", "2018-W52"}, {"2018-12-29", "2018-W52"},
        {"2018-12-31", "2019-W01"}, {"2019-01-01", "2019-W01"}, {"2019-01-02", "2019-W01"},
        {"2019-01-03", "2019-W01"}, {"2019-01-04", "2019-W01"}, {"2019-12-27", "2019-W52"},
        {"2019-12-28", "2019-W52"}, {"2019-12-29", "2019-W52"}, {"2019-12-31", "2020-W01"},
        {"2020-01-01", "2020-W01"}, {"2020-01-02", "2020-W01"}, {"2020-01-03", "2020-W01"},
        {"2020-01-04", "2020-W01"}, {"2020-12-27", "2020-W52"}, {"2020-12-28", "2020-W53"},
        {"2020-12-29", "2020-W53"}, {"2020-12-31", "2020-W53"}, {"2021-01-01", "2020-W53"},
        {"2021-01-02", "2020-W53"}, {"2021-01-03", "2020-W53"}, {"2021-01-04", "2021-W01"},
        {"2021-12-27", "2021-W52"}, {"2021-12-28", "2021-W52"}, {"2021-12-29", "2021-W52"},
        {"2021-12-31", "2021-W52"}, {"2022-01-01", "2021-W52"}, {"2022-01-02", "2021-W52"},
        {"2022-01-03", "2022-W01"}, {"2022-01-04", "2022-W01"}, {"2022-12-27", "2022-W52"},
        {"2022-12-28", "2022-W52"}, {"2022-12-29", "2022-W52"}, {"2022-12-31", "2022-W52"},
        {"2023-01-01", "2022-W52"}, {"2023-01-02", "2023-W01"}, {"2023-01-03", "2023-W01"},
        {"2023-01-04", "2023-W01"}, {"2023-12-27", "2023-W52"}, {"2023-12-28", "2023-W52"},
        {"2023-12-29", "2023-W52"}, {"2023-12-31", "2023-W52"}, {"2024-01-01", "2024-W01"},
        {"2024-01-02", "2024-W01"}, {"2024-01-03", "2024-W01"}, {"2024-01-04", "2024-W01"},
        {"2024-12-27", "2024-W52"}, {"2024-12-28", "2024-W52"}, {"2024-12-29", "2024-W52"},
        {"2024-12-31", "2025-W01"}, {"2025-01-01", "2025-W01"}, {"2025-01-02", "2025-W01"},
        {"2025-01-03", "2025-W01"}, {"2025-01-04", "2025-W01"}, {"2025-12-27", "2025-W52"},
        {"2025-12-28", "2025-W52"}, {"2025-12-29", "2026-W01"}, {"2025-12-31", "2026-W01"},
        {"2026-01-01", "2026-W01"}, {"2026-01-02", "2026-W01"}, {"2026-01-03", "2026-W01"},
        {"2026-01-04", "2026-W01"}, {"2026-12-27", "2026-W52"}, {"2026-12-28", "2026-W53"},
        {"2026-12-29", "2026-W53"}, {"2026-12-31", "2026-W53"}, {"2027-01-01", "2026-W53"},
        {"2027-01-02", "2026-W53"}, {"2027-01-03", "2026-W53"}, {"2027-01-04", "2027-W01"},
        {"2027-12-27", "2027-W52"}, {"2027-12-28", "2027-W52"}, {"2027-12-29", "2027-W52"},
        {"2027-12-31", "2027-W52"}, {"2028-01-01", "2027-W52"}, {"2028-01-02", "2027-W52"},
        {"2028-01-03", "2028-W01"}, {"2028-01-04", "2028-W01"}, {"2028-12-27", "2028-W52"},
        {"2028-12-28", "2028-W52"}, {"2028-12-29", "2028-W52"}, {"2028-12-31", "2028-W52"},
        {"2029-01-01", "2029-W01"}, {"2029-01-02", "2029-W01"}, {"2029-01-03", "2029-W01"},
        {"2029-01-04", "2029-W01"}, {"2029-12-27", "2029-W52"}, {"2029-12-28", "2029-W52"},
        {"2029-12-29", "2029-W52"}, {"2029-12-31", "2030-W01"}, {"2030-01-01", "2030-W01"},
        {"2030-01-02", "2030-W01"}, {"2030-01-03", "2030-W01"}, {"2030-01-04", "2030-W01"},
        {"2030-12-27", "2030-W52"}, {"2030-12-28", "2030-W52"}, {"2030-12-29", "2030-W52"},
        {"2030-12-31", "2031-W01"}, {"2031-01-01", "2031-W01"}, {"2031-01-02", "2031-W01"},
        {"2031-01-03", "2031-W01"}, {"2031-01-04", "2031-W01"}, {"2031-12-27", "2031-W52"},
        {"2031-12-28", "2031-W52"}, {"2031-12-29", "2032-W01"}, {"2031-12-31", "2032-W01"},
        {"2032-01-01", "2032-W01"}, {"2032-01-02", "2032-W01"}, {"2032-01-03", "2032-W01"},
        {"2032-01-04", "2032-W01"}, {"2032-12-27", "2032-W53"}, {"2032-12-28", "2032-W53"},
        {"2032-12-29", "2032-W53"}, {"2032-12-31", "2032-W53"}, {"2033-01-01", "2032-W53"},
        {"2033-01-02", "2032-W53"}, {"2033-01-03", "2033-W01"}, {"2033-01-04", "2033-W01"},
        {"2033-12-27", "2033-W52"}, {"2033-12-28", "2033-W52"}, {"2033-12-29", "2033-W52"},
        {"2033-12-31", "2033-W52"}, {"2034-01-01", "2033-W52"}, {"2034-01-02", "2034-W01"},
        {"2034-01-03", "2034-W01"}, {"2034-01-04", "2034-W01"}, {"2034-12-27", "2034-W52"},
        {"2034-12-28", "2034-W52"}, {"2034-12-29", "2034-W52"}, {"2034-12-31", "2034-W52"},
        {"2035-01-01", "2035-W01"}, {"2035-01-02", "2035-W01"}, {"2035-01-03", "2035-W01"},
        {"2035-01-04", "2035-W01"}, {"2035-12-27", "2035-W52"}, {"2035-12-28", "2035-W52"},
        {"2035-12-29", "2035-W52"}, {"2035-12-31", "2036-W01"}, {"2036-01-01", "2036-W01"},
        {"2036-01-02", "2036-W01"}, {"2036-01-03", "2036-W01"}, {"2036-01-04", "2036-W01"},
        {"2075-07-22", "2075-W30"}, {"2118-08-14", "2118-W32"}, {"2251-04-03", "2251-W14"},
        {"2345-10-16", "2345-W42"}, {"2390-06-09", "2390-W23"}, {"2452-02-05", "2452-W06"},
        {"2555-11-11", "2555-W46"}, {"2584-01-01", "2584-W01"}, {"2667-09-07", "2667-W36"},
        {"2996-02-17", "2996-W07"}, {"3106-02-25", "3106-W08"}, {"3220-01-19", "3220-W03"},
        {"3505-11-25", "3505-W47"}, {"3606-05-26", "3606-W21"}, {"3608-12-21", "3608-W51"},
        {"4108-12-05", "4108-W49"}, {"4131-05-07", "4131-W19"}, {"4184-03-14", "4184-W11"},
        {"4321-12-19", "4321-W51"}, {"4341-03-13", "4341-W11"}, {"4391-11-27", "4391-W48"},
        {"5017-04-12", "5017-W15"}, {"5021-05-20", "5021-W20"}, {"5154-06-19", "5154-W24"},
        {"5464-12-07", "5464-W49"}, {"5610-03-27", "5610-W12"}, {"5635-07-01", "5635-W26"},
        {"5733-01-12", "5733-W03"}, {"5737-08-18", "5737-W33"}, {"5901-09-24", "5901-W39"},
        {"6418-06-13", "6418-W24"}, {"6485-02-19", "6485-W08"}, {"6539-10-16", "6539-W42"},
        {"6719-03-05", "6719-W10"}, {"6743-08-19", "6743-W33"}, {"6791-01-06", "6791-W01"},
        {"6836-01-23", "6836-W04"}, {"7012-10-03", "7012-W40"}, {"7022-06-22", "7022-W25"},
        {"7331-04-26", "7331-W17"}, {"7502-03-24", "7502-W13"}, {"7527-04-01", "7527-W13"},
        {"7544-12-12", "7544-W50"}, {"7552-05-19", "7552-W21"}, {"7691-12-12", "7691-W50"},
        {"7744-07-17", "7744-W29"}, {"7774-11-08", "7774-W45"}, {"8208-05-10", "8208-W19"},
        {"8219-03-14", "8219-W10"}, {"8507-10-17", "8507-W42"}, {"8514-01-14", "8514-W02"},
        {"8530-01-21", "8530-W03"}, {"8593-07-16", "8593-W29"}, {"8708-02-20", "8708-W08"},
        {"9246-01-02", "9246-W01"}, {"9647-01-14", "9647-W03"}, {"9647-06-28", "9647-W26"},
        {"9653-12-25", "9653-W52"}, {"9693-04-05", "9693-W14"}, {"9815-11-04", "9815-W44"},
        {"9999-12-31", "9999-W52"},
};

static const struct rebuy_date_format fmt_auto = {REBUY_DATE_AUTO, ""};

static unsigned parse_kind(enum rebuy_date_kind kind, const char *s, int64_t *ts)
{
	struct rebuy_date_format f = {kind, ""};
	return rebuy_date_parse(s, strlen(s), &f, ts, NULL);
}

/* The timestamp read under AUTO, or a sentinel when it is unreadable. */
#define UNREADABLE INT64_C(-999999999999999)
static int64_t auto_ts(const char *s)
{
	int64_t ts = UNREADABLE;
	unsigned r = rebuy_date_parse(s, strlen(s), &fmt_auto, &ts, NULL);
	return (r & REBUY_DATE_OK) ? ts : UNREADABLE;
}

static int64_t kind_ts(enum rebuy_date_kind kind, const char *s)
{
	int64_t ts = UNREADABLE;
	unsigned r = parse_kind(kind, s, &ts);
	return (r & REBUY_DATE_OK) ? ts : UNREADABLE;
}

static int64_t pattern_ts(const char *pattern, const char *s)
{
	struct rebuy_date_format f;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_date_format_parse(pattern, &f, &err), REBUY_OK);
	assert_int_equal(f.kind, REBUY_DATE_PATTERN);
	int64_t ts = UNREADABLE;
	unsigned r = rebuy_date_parse(s, strlen(s), &f, &ts, NULL);
	return (r & REBUY_DATE_OK) ? ts : UNREADABLE;
}

/* Gregorian leap rule, written again here so the sweeps check the library
 * against an independent count. */
static int test_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned test_month_days(int64_t y, unsigned m)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && test_leap(y) ? 29 : days[m - 1];
}

static int64_t day_of_iso(const char *s)
{
	int y, m, d;
	assert_int_equal(sscanf(s, "%d-%d-%d", &y, &m, &d), 3);
	return rebuy_days_from_civil(y, (unsigned)m, (unsigned)d);
}

/* ---- civil conversion --------------------------------------------------- */

static void test_date__days_from_civil_matches_known_anchors(void **state)
{
	(void)state;
	/* date -u -d D +%s, divided by 86400 */
	assert_int_equal(rebuy_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(rebuy_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(rebuy_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(rebuy_days_from_civil(2000, 2, 29), 11016);
	assert_int_equal(rebuy_days_from_civil(1997, 9, 30), 10134);
	assert_int_equal(rebuy_days_from_civil(2011, 3, 5), 15038);
	assert_int_equal(rebuy_days_from_civil(1900, 1, 1), -25567);
	assert_int_equal(rebuy_days_from_civil(1900, 3, 1), -25508);
	assert_int_equal(rebuy_days_from_civil(1600, 2, 29), -135081);
	assert_int_equal(rebuy_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(rebuy_days_from_civil(9999, 12, 31), 2932896);
}

static void test_date__civil_from_days_handles_days_before_1970(void **state)
{
	(void)state;
	int64_t y;
	unsigned m, d;
	rebuy_civil_from_days(-1, &y, &m, &d);
	assert_true(y == 1969 && m == 12 && d == 31);
	rebuy_civil_from_days(-25508, &y, &m, &d);
	assert_true(y == 1900 && m == 3 && d == 1);
	rebuy_civil_from_days(-135081, &y, &m, &d);
	assert_true(y == 1600 && m == 2 && d == 29);
	rebuy_civil_from_days(-719162, &y, &m, &d);
	assert_true(y == 1 && m == 1 && d == 1);
	rebuy_civil_from_days(-719163, &y, &m, &d);
	assert_true(y == 0 && m == 12 && d == 31);
	rebuy_civil_from_days(11016, &y, &m, &d);
	assert_true(y == 2000 && m == 2 && d == 29);
}

static void test_date__every_day_from_year_1_to_9999_round_trips(void **state)
{
	(void)state;
	/* Walk the calendar one day at a time with the test's own month lengths
	 * and check both conversions at each step. */
	int64_t y = 1;
	unsigned m = 1, d = 1;
	long n_bad = 0;
	for (int64_t day = -719162; day <= 2932896; day++) {
		int64_t cy;
		unsigned cm, cd;
		rebuy_civil_from_days(day, &cy, &cm, &cd);
		if (cy != y || cm != m || cd != d || rebuy_days_from_civil(y, m, d) != day ||
		    !rebuy_date_is_valid(y, m, d))
			n_bad++;
		if (++d > test_month_days(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	assert_int_equal(n_bad, 0);
	assert_int_equal(y, 10000); /* the walk ended exactly after 9999-12-31 */
}

static void test_date__is_valid_follows_gregorian_leap_years(void **state)
{
	(void)state;
	assert_true(rebuy_date_is_valid(2000, 2, 29));
	assert_true(rebuy_date_is_valid(2004, 2, 29));
	assert_true(rebuy_date_is_valid(1600, 2, 29));
	assert_false(rebuy_date_is_valid(1900, 2, 29));
	assert_false(rebuy_date_is_valid(2100, 2, 29));
	assert_false(rebuy_date_is_valid(2011, 2, 29));
	assert_false(rebuy_date_is_valid(2012, 2, 30));
	assert_false(rebuy_date_is_valid(2011, 4, 31));
	assert_true(rebuy_date_is_valid(2011, 12, 31));
	assert_false(rebuy_date_is_valid(2011, 0, 1));
	assert_false(rebuy_date_is_valid(2011, 13, 1));
	assert_false(rebuy_date_is_valid(2011, 1, 0));
	assert_false(rebuy_date_is_valid(2011, 1, 32));
}

static void test_date__day_of_floors_negative_timestamps(void **state)
{
	(void)state;
	assert_int_equal(rebuy_day_of(0), 0);
	assert_int_equal(rebuy_day_of(86399), 0);
	assert_int_equal(rebuy_day_of(86400), 1);
	assert_int_equal(rebuy_day_of(-1), -1);
	assert_int_equal(rebuy_day_of(-86400), -1);
	assert_int_equal(rebuy_day_of(-86401), -2);
	assert_int_equal(rebuy_day_of(1299320430), 15038);
}

/* ---- ISO 8601 ----------------------------------------------------------- */

static void test_date__iso_date_and_date_times(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse("2011-03-05", 10, &fmt_auto, &ts, NULL), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(rebuy_date_parse("2011-03-05T10:20:30", 19, &fmt_auto, &ts, NULL),
	                 REBUY_DATE_OK | REBUY_DATE_HAS_TIME);
	assert_int_equal(ts, 1299320430);
	assert_int_equal(auto_ts("2011-03-05 10:20:30"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05t10:20:30"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05 10:20"), 1299320400);
	assert_int_equal(auto_ts("2011-03-05T00:00"), 1299283200);
	assert_int_equal(auto_ts("2011-3-5"), 1299283200);
	assert_int_equal(auto_ts("2011-03-05 9:05"), 1299283200 + 9 * 3600 + 5 * 60);
	assert_int_equal(auto_ts("1900-01-01"), -2208988800);
	assert_int_equal(auto_ts("1969-12-31T23:59:59"), -1);
	assert_int_equal(auto_ts("2000-02-29"), 951782400);
	assert_int_equal(auto_ts("2004-02-29 12:00"), 1078056000);
	assert_int_equal(auto_ts("0001-01-01"), -62135596800);
	assert_int_equal(auto_ts("9999-12-31T23:59:59"), 253402300799);
	assert_int_equal(kind_ts(REBUY_DATE_ISO, "2011-03-05 10:20:30"), 1299320430);
}

static void test_date__iso_fraction_of_any_length_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(auto_ts("2011-03-05T10:20:30.9"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30.123456789012345678901234567890"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30,5"), 1299320430);
	assert_int_equal(auto_ts("1969-12-31T23:59:59.999"), -1);
	assert_int_equal(auto_ts("2011-03-05T10:20:30."), UNREADABLE);
	assert_int_equal(auto_ts("2011-03-05T10:20.5"), UNREADABLE);
}

static void test_date__iso_offset_converts_to_utc(void **state)
{
	(void)state;
	assert_int_equal(auto_ts("2011-03-05T10:20:30Z"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30z"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05 10:20:30 UTC"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30+00:00"), 1299320430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30+02:00"), 1299313230);
	assert_int_equal(auto_ts("2011-03-05T10:20:30+0200"), 1299313230);
	assert_int_equal(auto_ts("2011-03-05T10:20:30+02"), 1299313230);
	assert_int_equal(auto_ts("2011-03-05 10:20:30 +02:00"), 1299313230);
	assert_int_equal(auto_ts("2011-03-05T10:20:30-05"), 1299338430);
	assert_int_equal(auto_ts("2011-03-05T10:20:30+05:30"), 1299300630);
	assert_int_equal(auto_ts("2011-03-05T10:20:30-05:30"), 1299340230);
	assert_int_equal(auto_ts("2011-03-05T10:20:30.250-05:30"), 1299340230);
	assert_int_equal(auto_ts("2011-03-05T10:20Z"), 1299320400);
	/* crossing midnight back into February */
	assert_int_equal(auto_ts("2011-03-01T01:00+02:00"), 1298934000);
}

static void test_date__iso_rejects_impossible_values(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "2011-02-29",
	        "2012-02-30",
	        "1900-02-29",
	        "2011-13-01",
	        "2011-00-10",
	        "2011-01-00",
	        "2011-04-31",
	        "2011-01-32",
	        "0000-01-01",
	        "2011-03-05T24:00:00",
	        "2011-03-05T24:00",
	        "2011-03-05T23:60",
	        "2011-03-05T23:59:60",
	        "2011-03-05T10",
	        "2011-03-05T",
	        "2011-03-05x",
	        "2011-03-05T10:2",
	        "2011-03-05T10:200",
	        "2011-03-05T10:20:3",
	        "2011-03-05T10:20:30+2",
	        "2011-03-05T10:20:30+24:00",
	        "2011-03-05T10:20:30+02:60",
	        "2011-03-05T10:20:30+02:",
	        "2011-03-05T10:20:30ZZ",
	        "2011-03-05Z",
	        "2011-03-05+02:00",
	        "11-03-05",
	        "02011-03-05",
	        "2011-003-05",
	        "2011-03-005",
	        "2011/03-05",
	        "2011-03/05",
	        "2011-03-05T10:20:30 GMT",
	        "2011-03-05T10:20:30  +02:00",
	        "2011-03-05  10:20",
	        "2011-03-05T 10:20",
	        /* beyond years 1..9999 once converted to UTC */
	        "0001-01-01T00:00+01:00",
	        "9999-12-31T23:59:59-01:00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ts = 42;
		unsigned r = rebuy_date_parse(bad[i], strlen(bad[i]), &fmt_auto, &ts, NULL);
		if (r != 0)
			print_message("accepted: '%s'\n", bad[i]);
		assert_int_equal(r, 0);
		assert_int_equal(ts, 42); /* untouched */
		assert_int_equal(kind_ts(REBUY_DATE_ISO, bad[i]), UNREADABLE);
	}
	assert_int_equal(auto_ts("2011-03-05 "), 1299283200); /* trailing space is trimmed */
}

static void test_date__leading_and_trailing_spaces_are_ignored(void **state)
{
	(void)state;
	assert_int_equal(auto_ts("  2011-03-05  "), 1299283200);
	assert_int_equal(auto_ts("\t2011-03-05 10:20:30\t"), 1299320430);
	assert_int_equal(auto_ts(" 20110305 "), 1299283200);
	assert_int_equal(auto_ts(""), UNREADABLE);
	assert_int_equal(auto_ts("   "), UNREADABLE);
}

static void test_date__parse_reads_only_the_given_length(void **state)
{
	(void)state;
	const char buf[] = "2011-03-05T10:20:30+02:00";
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse(buf, 10, &fmt_auto, &ts, NULL), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(rebuy_date_parse(buf, 19, &fmt_auto, &ts, NULL),
	                 REBUY_DATE_OK | REBUY_DATE_HAS_TIME);
	assert_int_equal(ts, 1299320430);
	assert_int_equal(rebuy_date_parse(buf, 0, &fmt_auto, &ts, NULL), 0);
	assert_int_equal(rebuy_date_parse(buf, 9, &fmt_auto, &ts, NULL), 0);
	/* a NULL format is AUTO, a NULL ts only validates */
	assert_int_equal(rebuy_date_parse(buf, 10, NULL, NULL, NULL), REBUY_DATE_OK);
}

/* ---- other AUTO forms --------------------------------------------------- */

static void test_date__eight_digits_read_as_yyyymmdd(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse("20110305", 8, &fmt_auto, &ts, NULL), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(auto_ts("20000229"), 951782400);
	assert_int_equal(auto_ts("20110229"), UNREADABLE);
	assert_int_equal(auto_ts("20111301"), UNREADABLE);
	assert_int_equal(auto_ts("00000101"), UNREADABLE);
	assert_int_equal(auto_ts("12345678"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_YMD8, "20110305"), 1299283200);
	assert_int_equal(kind_ts(REBUY_DATE_YMD8, "2011-03-05"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_YMD8, "2011035"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_YMD8, "201103050"), UNREADABLE);
}

static void test_date__unix_seconds_and_milliseconds_by_digit_count(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse("1299283200", 10, &fmt_auto, &ts, NULL),
	                 REBUY_DATE_OK | REBUY_DATE_HAS_TIME);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(auto_ts("999999999"), 999999999);
	assert_int_equal(auto_ts("1000000000"), 1000000000);
	assert_int_equal(auto_ts("0000000001"), 1);
	assert_int_equal(auto_ts("1299283200123"), 1299283200);
	assert_int_equal(auto_ts("1299283200999"), 1299283200);
	/* other lengths are not dates under AUTO */
	assert_int_equal(auto_ts("12345"), UNREADABLE);
	assert_int_equal(auto_ts("12992832001"), UNREADABLE);
	assert_int_equal(auto_ts("129928320012"), UNREADABLE);
	assert_int_equal(auto_ts("12992832001234"), UNREADABLE);
	assert_int_equal(auto_ts("-1299283200"), UNREADABLE);
	assert_int_equal(auto_ts("1299283200.5"), UNREADABLE);
}

static void test_date__unix_kinds_take_sign_fraction_and_floor(void **state)
{
	(void)state;
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "0"), 0);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "5"), 5);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "+5"), 5);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-1"), -1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "1.9"), 1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-1.5"), -2);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-1.000"), -1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "1299283200.123456"), 1299283200);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "253402300799"), 253402300799);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "253402300800"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-62135596800"), -62135596800);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-62135596801"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "99999999999999999999999999"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, ""), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "-"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "1."), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, ".5"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "1e9"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX, "2011-03-05"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "1000"), 1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "999"), 0);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "-1"), -1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "-1000"), -1);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "-1001"), -2);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "1299283200123"), 1299283200);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "253402300799999"), 253402300799);
	assert_int_equal(kind_ts(REBUY_DATE_UNIX_MS, "253402300800000"), UNREADABLE);
}

static void test_date__slash_date_reports_both_readings(void **state)
{
	(void)state;
	int64_t ts = 0, alt = 0;
	unsigned r = rebuy_date_parse("3/5/2011", 8, &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_MDY_VALID |
	                            REBUY_DATE_DMY_VALID);
	assert_int_equal(ts, 1299283200);  /* March 5 */
	assert_int_equal(alt, 1304380800); /* May 3 */
	r = rebuy_date_parse("03/05/2011", 10, &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_MDY_VALID |
	                            REBUY_DATE_DMY_VALID);
	assert_int_equal(ts, 1299283200);
	/* a ts_alt of NULL is allowed */
	r = rebuy_date_parse("3/5/2011", 8, &fmt_auto, &ts, NULL);
	assert_int_equal(ts, 1299283200);
	assert_true(r & REBUY_DATE_DMY_VALID);
}

static void test_date__slash_date_with_day_over_12_is_one_reading(void **state)
{
	(void)state;
	int64_t ts = 0, alt = 7;
	/* 13/5: only day/month; ts carries it too */
	unsigned r = rebuy_date_parse("13/5/2011", 9, &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_DMY_VALID);
	assert_int_equal(ts, 1305244800);
	assert_int_equal(alt, 1305244800);
	/* 5/13: only month/day; ts_alt is left alone */
	alt = 7;
	r = rebuy_date_parse("5/13/2011", 9, &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_MDY_VALID);
	assert_int_equal(ts, 1305244800);
	assert_int_equal(alt, 7);
	/* neither reading is a date: unreadable, nothing written */
	ts = 7;
	r = rebuy_date_parse("13/13/2011", 10, &fmt_auto, &ts, &alt);
	assert_int_equal(r, 0);
	assert_int_equal(ts, 7);
	assert_int_equal(alt, 7);
	/* 29/2 and 2/29 in a year that is not leap */
	r = rebuy_date_parse("29/2/2011", 9, &fmt_auto, &ts, &alt);
	assert_int_equal(r, 0);
	r = rebuy_date_parse("29/2/2012", 9, &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_DMY_VALID);
}

static void test_date__slash_date_time_and_am_pm(void **state)
{
	(void)state;
	int64_t ts = 0, alt = 0;
	const char *s = "5/13/2011 1:02:03 PM";
	unsigned r = rebuy_date_parse(s, strlen(s), &fmt_auto, &ts, &alt);
	assert_int_equal(r, REBUY_DATE_OK | REBUY_DATE_SLASH | REBUY_DATE_MDY_VALID |
	                            REBUY_DATE_HAS_TIME);
	assert_int_equal(ts, 1305291723);
	assert_int_equal(auto_ts("3/5/2011 13:02"), 1299330120);
	assert_int_equal(auto_ts("3/5/2011 1:02 PM"), 1299330120);
	assert_int_equal(auto_ts("3/5/2011 1:02pm"), 1299330120);
	assert_int_equal(auto_ts("3/5/2011 1:02:30 pm"), 1299330150);
	assert_int_equal(auto_ts("3/5/2011 12:00 AM"), 1299283200);
	assert_int_equal(auto_ts("3/5/2011 12:30 PM"), 1299328200);
	assert_int_equal(auto_ts("3/5/2011 11:59:59 PM"), 1299283200 + 86399);
	assert_int_equal(auto_ts("3/5/2011 10:20:30.75"), 1299320430);
	assert_int_equal(auto_ts("3/5/2011  10:20:30"), 1299320430);
	assert_int_equal(auto_ts("3/5/2011 13:00 PM"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 0:30 AM"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 24:00"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 10:60"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 PM"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 1:02 XM"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 1:02 PMX"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011T10:00"), UNREADABLE);
	assert_int_equal(auto_ts("3/5/2011 10"), UNREADABLE);
}

static void test_date__slash_date_rejects_other_shapes(void **state)
{
	(void)state;
	static const char *const bad[] = {"3/5/11",   "3/5/20111", "003/5/2011", "3/005/2011",
	                                  "3/5",      "3//2011",   "/3/5/2011",  "3/5/2011/",
	                                  "3-5-2011", "3/5-2011",  "0/5/2011",   "3/0/2011",
	                                  "3/5/0000", "a/5/2011",  "3/5/2011x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t ts = 0, alt = 0;
		unsigned r = rebuy_date_parse(bad[i], strlen(bad[i]), &fmt_auto, &ts, &alt);
		if (r != 0)
			print_message("accepted: '%s'\n", bad[i]);
		assert_int_equal(r, 0);
	}
}

static void test_date__year_first_slash_date_is_unambiguous(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse("2011/03/05", 10, &fmt_auto, &ts, NULL), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(auto_ts("2011/3/5 10:20:30"), 1299320430);
	assert_int_equal(auto_ts("2011/02/29"), UNREADABLE);
	assert_int_equal(auto_ts("2011/13/01"), UNREADABLE);
	assert_int_equal(auto_ts("201/03/05"), UNREADABLE);
}

static void test_date__dotted_date_is_day_first(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(rebuy_date_parse("5.3.2011", 8, &fmt_auto, &ts, NULL), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(auto_ts("05.03.2011"), 1299283200);
	assert_int_equal(auto_ts("13.05.2011 13:02:03"), 1305291723);
	assert_int_equal(auto_ts("31.12.1999 23:59:59"), 946684799);
	assert_int_equal(auto_ts("5.13.2011"), UNREADABLE);
	assert_int_equal(auto_ts("30.02.2011"), UNREADABLE);
	assert_int_equal(auto_ts("5.3.11"), UNREADABLE);
	assert_int_equal(auto_ts("5.3.2011 10"), UNREADABLE);
}

static void test_date__explicit_mdy_and_dmy_kinds(void **state)
{
	(void)state;
	int64_t ts = 0;
	assert_int_equal(parse_kind(REBUY_DATE_MDY, "3/5/2011", &ts), REBUY_DATE_OK);
	assert_int_equal(ts, 1299283200);
	assert_int_equal(kind_ts(REBUY_DATE_MDY, "5/13/2011 1:02:03 PM"), 1305291723);
	assert_int_equal(kind_ts(REBUY_DATE_MDY, "13/5/2011"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_MDY, "5.3.2011"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_MDY, "2011-03-05"), UNREADABLE);
	assert_int_equal(parse_kind(REBUY_DATE_DMY, "3/5/2011", &ts), REBUY_DATE_OK);
	assert_int_equal(ts, 1304380800);
	assert_int_equal(kind_ts(REBUY_DATE_DMY, "13/5/2011 13:02:03"), 1305291723);
	assert_int_equal(kind_ts(REBUY_DATE_DMY, "5.3.2011"), 1299283200);
	assert_int_equal(kind_ts(REBUY_DATE_DMY, "5/13/2011"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_DMY, "20110305"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_ISO, "3/5/2011"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_ISO, "20110305"), UNREADABLE);
	assert_int_equal(kind_ts(REBUY_DATE_ISO, "1299283200"), UNREADABLE);
}

static void test_date__auto_rejects_everything_else(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "yesterday",  "2011", "201103", "2011-03", "Mar 5 2011",   "5 Mar 2011",
	        "05-03-2011", "1.5",  "-",      "T",       "2011-03-05\n", "\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(auto_ts(bad[i]), UNREADABLE);
	/* an embedded NUL is just a byte that does not belong */
	assert_int_equal(rebuy_date_parse("2011-03-05\0", 11, &fmt_auto, NULL, NULL), 0);
	struct rebuy_date_format unknown = {(enum rebuy_date_kind)99, ""};
	assert_int_equal(rebuy_date_parse("2011-03-05", 10, &unknown, NULL, NULL), 0);
}

/* ---- patterns ----------------------------------------------------------- */

static void test_date__format_names_are_read(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum rebuy_date_kind kind;
	} names[] = {{"auto", REBUY_DATE_AUTO},       {"iso", REBUY_DATE_ISO},
	             {"ymd", REBUY_DATE_YMD8},        {"mdy", REBUY_DATE_MDY},
	             {"DMY", REBUY_DATE_DMY},         {"unix", REBUY_DATE_UNIX},
	             {"unix_ms", REBUY_DATE_UNIX_MS}, {"Auto", REBUY_DATE_AUTO}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct rebuy_date_format f;
		assert_int_equal(rebuy_date_format_parse(names[i].name, &f, NULL), REBUY_OK);
		assert_int_equal(f.kind, names[i].kind);
	}
}

static void test_date__format_parse_rejects_bad_specs_with_a_message(void **state)
{
	(void)state;
	static const char *const bad[] = {
	        "bogus",
	        "",
	        "isox",
	        "unix-ms",
	        "%Y-%m-%Q",
	        "%Y-%m-%",
	        "%d/%m",
	        "%Y-%d",
	        "%m/%d/%Y %p",
	        "%Y %Y-%m",
	        "%Y-%m-%b",
	        "%Y-%m-%d %H %H",
	        "%Y-%m-%d ............................................................",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rebuy_date_format f;
		struct rebuy_error err;
		rebuy_error_clear(&err);
		assert_int_equal(rebuy_date_format_parse(bad[i], &f, &err), REBUY_EARG);
		assert_int_equal(err.code, REBUY_EARG);
		assert_true(strlen(err.msg) > 10);
		if (bad[i][0] && strlen(bad[i]) < 40)
			assert_non_null(strstr(err.msg, bad[i]));
	}
	struct rebuy_date_format f;
	assert_int_equal(rebuy_date_format_parse(NULL, &f, NULL), REBUY_EARG);
	assert_int_equal(rebuy_date_format_parse("iso", NULL, NULL), REBUY_EARG);
}

static void test_date__patterns_read_their_fields(void **state)
{
	(void)state;
	assert_int_equal(pattern_ts("%d/%m/%Y", "05/03/2011"), 1299283200);
	assert_int_equal(pattern_ts("%d/%m/%Y", "5/3/2011"), 1299283200);
	assert_int_equal(pattern_ts("%Y%m%d%H%M%S", "20110305102030"), 1299320430);
	assert_int_equal(pattern_ts("%d %b %Y %H:%M", "05 Mar 2011 10:20"), 1299320400);
	assert_int_equal(pattern_ts("%d %b %Y %H:%M", "5 MARCH 2011 10:20"), 1299320400);
	assert_int_equal(pattern_ts("%d %b %Y", "5 sep 2011"), 1315180800);
	assert_int_equal(pattern_ts("%d %b %Y", "5 september 2011"), 1315180800);
	assert_int_equal(pattern_ts("%b-%d-%Y", "May-13-2011"), 1305244800);
	assert_int_equal(pattern_ts("%d%b%Y", "13may2011"), 1305244800);
	assert_int_equal(pattern_ts("%m/%d/%y", "03/05/11"), 1299283200);
	assert_int_equal(pattern_ts("%m/%d/%y", "03/05/70"), 5443200);
	assert_int_equal(pattern_ts("%m/%d/%y", "03/05/69"), 3129667200);
	assert_int_equal(pattern_ts("%Y-%m", "2011-03"), 1298937600);
	assert_int_equal(pattern_ts("%H:%M %p %d/%m/%Y", "1:02 pm 05/03/2011"), 1299330120);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M%p", "13/05/2011 1:02PM"), 1305291720);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M %p", "05/03/2011 12:00 am"), 1299283200);
	assert_int_equal(pattern_ts("%Y-%m-%dT%H:%M:%S", "2011-03-05T10:20:30.123"), 1299320430);
	/* a fraction spelled in the pattern is matched, not skipped */
	assert_int_equal(pattern_ts("%Y-%m-%d %H:%M:%S.000", "2011-03-05 10:20:30.000"),
	                 1299320430);
	assert_int_equal(pattern_ts("%Y-%m-%d %H:%M:%S.000", "2011-03-05 10:20:30.123"),
	                 UNREADABLE);
}

static void test_date__patterns_reject_mismatches(void **state)
{
	(void)state;
	assert_int_equal(pattern_ts("%d/%m/%Y", "05-03-2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y", "05/03/11"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y", "05/03/2011 10:00"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y", "31/02/2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y", "005/03/2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d %b %Y", "5 Mrz 2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d %b %Y", "5 Ma 2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d %b %Y", "5 Marc 2011"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M %p", "05/03/2011 13:00 PM"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M %p", "05/03/2011 0:00 AM"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M %p", "05/03/2011 1:00 XM"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M", "05/03/2011 24:00"), UNREADABLE);
	assert_int_equal(pattern_ts("%d/%m/%Y %H:%M:%S", "05/03/2011 10:00:60"), UNREADABLE);
	assert_int_equal(pattern_ts("%Y-%m-%d %%", "2011-03-05 %"), 1299283200);
	assert_int_equal(pattern_ts("%Y-%m-%d %%", "2011-03-05 x"), UNREADABLE);
	assert_int_equal(pattern_ts("%Y-%m-%d", ""), UNREADABLE);
}

static void test_date__unchecked_pattern_structs_are_safe(void **state)
{
	(void)state;
	/* A format filled by hand, never checked by rebuy_date_format_parse. */
	struct rebuy_date_format f = {REBUY_DATE_PATTERN, "%Q"};
	assert_int_equal(rebuy_date_parse("2011", 4, &f, NULL, NULL), 0);
	memcpy(f.pattern, "%d/%m", 6); /* no year */
	assert_int_equal(rebuy_date_parse("05/03", 5, &f, NULL, NULL), 0);
	memset(f.pattern, 'x', sizeof f.pattern); /* not NUL-terminated */
	assert_int_equal(rebuy_date_parse("xx", 2, &f, NULL, NULL), 0);
	memcpy(f.pattern, "%Y-%m-%d %H:%M %p", 18); /* %p with a 24-hour value */
	assert_int_equal(rebuy_date_parse("2011-03-05 0:00 AM", 18, &f, NULL, NULL), 0);
	char xs[sizeof f.pattern];
	memset(xs, 'x', sizeof xs);
	memset(f.pattern, 'x', sizeof f.pattern - 1); /* then a '%' in the last byte */
	f.pattern[sizeof f.pattern - 1] = '%';
	assert_int_equal(rebuy_date_parse(xs, sizeof xs - 1, &f, NULL, NULL), 0);
	f.pattern[sizeof f.pattern - 1] = 'x'; /* 64 literal x's, 63 given */
	assert_int_equal(rebuy_date_parse(xs, sizeof xs - 1, &f, NULL, NULL), 0);
}

/* ---- formatting --------------------------------------------------------- */

static void test_date__format_day_and_ts(void **state)
{
	(void)state;
	char buf[48];
	assert_int_equal(rebuy_format_day(0, buf, sizeof buf), 10);
	assert_string_equal(buf, "1970-01-01");
	assert_int_equal(rebuy_format_day(-1, buf, sizeof buf), 10);
	assert_string_equal(buf, "1969-12-31");
	rebuy_format_day(-719162, buf, sizeof buf);
	assert_string_equal(buf, "0001-01-01");
	rebuy_format_day(2932896, buf, sizeof buf);
	assert_string_equal(buf, "9999-12-31");
	assert_int_equal(rebuy_format_day(2932897, buf, sizeof buf), 11);
	assert_string_equal(buf, "10000-01-01");
	rebuy_format_day(-719163, buf, sizeof buf);
	assert_string_equal(buf, "0000-12-31");
	rebuy_format_day(-719163 - 366, buf, sizeof buf);
	assert_string_equal(buf, "-0001-12-31");
	assert_int_equal(rebuy_format_ts(1299320430, buf, sizeof buf), 19);
	assert_string_equal(buf, "2011-03-05 10:20:30");
	rebuy_format_ts(-1, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31 23:59:59");
	rebuy_format_ts(-62135596800, buf, sizeof buf);
	assert_string_equal(buf, "0001-01-01 00:00:00");
	rebuy_format_ts(253402300799, buf, sizeof buf);
	assert_string_equal(buf, "9999-12-31 23:59:59");
	/* any int64 formats without overflow */
	assert_true(rebuy_format_ts(INT64_MIN, buf, sizeof buf) > 19);
	assert_true(rebuy_format_ts(INT64_MAX, buf, sizeof buf) > 19);
	assert_true(rebuy_format_day(INT64_MIN, buf, sizeof buf) > 10);
	assert_true(rebuy_format_day(INT64_MAX, buf, sizeof buf) > 10);
}

static void test_date__format_cuts_to_the_buffer(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, '#', sizeof buf);
	assert_int_equal(rebuy_format_day(0, buf, 5), 4);
	assert_string_equal(buf, "1970");
	assert_int_equal(buf[5], '#');
	assert_int_equal(rebuy_format_ts(0, buf, 1), 0);
	assert_string_equal(buf, "");
	assert_int_equal(rebuy_format_ts(0, buf, 0), 0);
	assert_int_equal(rebuy_format_ts(0, NULL, 0), 0);
}

static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);
static uint64_t rng_next(void)
{
	/* xorshift64*, fixed seed */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static void test_date__formatted_timestamps_parse_back(void **state)
{
	(void)state;
	const int64_t lo = -62135596800, hi = 253402300799;
	char buf[48];
	for (int i = 0; i < 200000; i++) {
		int64_t ts = lo + (int64_t)(rng_next() % (uint64_t)(hi - lo + 1));
		if (i < 2)
			ts = i ? hi : lo;
		size_t n = rebuy_format_ts(ts, buf, sizeof buf);
		int64_t back = 0;
		unsigned r = rebuy_date_parse(buf, n, &fmt_auto, &back, NULL);
		if (r != (REBUY_DATE_OK | REBUY_DATE_HAS_TIME) || back != ts)
			fail_msg("'%s' read back as %lld (flags %u), not %lld", buf,
			         (long long)back, r, (long long)ts);
		int64_t day = rebuy_day_of(ts);
		n = rebuy_format_day(day, buf, sizeof buf);
		assert_int_equal(rebuy_date_parse(buf, n, &fmt_auto, &back, NULL), REBUY_DATE_OK);
		assert_int_equal(back, day * 86400);
	}
}

/* ---- periods ------------------------------------------------------------ */

static void test_date__period_names_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = {"day", "week", "month", "quarter", "year"};
	for (int i = 0; i < 5; i++) {
		enum rebuy_period p = REBUY_PERIOD_YEAR;
		assert_int_equal(rebuy_period_from_name(names[i], &p, NULL), REBUY_OK);
		assert_int_equal(p, (enum rebuy_period)i);
		assert_string_equal(rebuy_period_name(p), names[i]);
	}
	enum rebuy_period p;
	struct rebuy_error err;
	rebuy_error_clear(&err);
	assert_int_equal(rebuy_period_from_name("fortnight", &p, &err), REBUY_EARG);
	assert_non_null(strstr(err.msg, "fortnight"));
	assert_int_equal(rebuy_period_from_name(NULL, &p, NULL), REBUY_EARG);
	assert_int_equal(rebuy_period_from_name("weeks", &p, NULL), REBUY_EARG);
	assert_string_equal(rebuy_period_name((enum rebuy_period)42), "unknown");
}

static void label_of(enum rebuy_period p, const char *date, char *buf)
{
	rebuy_period_label(p, rebuy_period_index(p, day_of_iso(date)), buf, 16);
}

static void test_date__period_labels(void **state)
{
	(void)state;
	char buf[16];
	label_of(REBUY_PERIOD_DAY, "2011-03-05", buf);
	assert_string_equal(buf, "2011-03-05");
	label_of(REBUY_PERIOD_WEEK, "2011-03-05", buf);
	assert_string_equal(buf, "2011-W09");
	label_of(REBUY_PERIOD_WEEK, "2011-03-07", buf);
	assert_string_equal(buf, "2011-W10");
	label_of(REBUY_PERIOD_MONTH, "2011-03-05", buf);
	assert_string_equal(buf, "2011-03");
	label_of(REBUY_PERIOD_QUARTER, "2011-03-31", buf);
	assert_string_equal(buf, "2011-Q1");
	label_of(REBUY_PERIOD_QUARTER, "2011-04-01", buf);
	assert_string_equal(buf, "2011-Q2");
	label_of(REBUY_PERIOD_QUARTER, "2011-12-31", buf);
	assert_string_equal(buf, "2011-Q4");
	label_of(REBUY_PERIOD_YEAR, "2011-03-05", buf);
	assert_string_equal(buf, "2011");
	label_of(REBUY_PERIOD_MONTH, "1969-12-31", buf);
	assert_string_equal(buf, "1969-12");
	label_of(REBUY_PERIOD_QUARTER, "1969-12-31", buf);
	assert_string_equal(buf, "1969-Q4");
	label_of(REBUY_PERIOD_YEAR, "0001-01-01", buf);
	assert_string_equal(buf, "0001");
	assert_int_equal(rebuy_period_label(REBUY_PERIOD_QUARTER, 0, buf, sizeof buf), 7);
	assert_string_equal(buf, "1970-Q1");
}

static void test_date__iso_week_label_uses_week_year(void **state)
{
	(void)state;
	char buf[16];
	label_of(REBUY_PERIOD_WEEK, "2021-01-03", buf);
	assert_string_equal(buf, "2020-W53");
	label_of(REBUY_PERIOD_WEEK, "2019-12-30", buf);
	assert_string_equal(buf, "2020-W01");
	label_of(REBUY_PERIOD_WEEK, "2011-01-01", buf);
	assert_string_equal(buf, "2010-W52");
	label_of(REBUY_PERIOD_WEEK, "1970-01-01", buf);
	assert_string_equal(buf, "1970-W01");
}

static void test_date__iso_week_labels_match_gnu_date(void **state)
{
	(void)state;
	char buf[16];
	size_t n = sizeof iso_weeks / sizeof iso_weeks[0];
	assert_true(n >= 300);
	for (size_t i = 0; i < n; i++) {
		label_of(REBUY_PERIOD_WEEK, iso_weeks[i].date, buf);
		if (strcmp(buf, iso_weeks[i].label) != 0)
			fail_msg("%s: week %s, GNU date says %s", iso_weeks[i].date, buf,
			         iso_weeks[i].label);
	}
}

static void test_date__week_index_is_consecutive_and_starts_on_monday(void **state)
{
	(void)state;
	/* 1970-01-05 (day 4) was a Monday, so Mondays are the days with
	 * (day - 4) % 7 == 0. Week 0 starts Monday 1969-12-29 (day -3). */
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_WEEK, 0), 0);
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_WEEK, -3), 0);
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_WEEK, -4), -1);
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_WEEK, 4), 1);
	assert_int_equal(rebuy_period_start(REBUY_PERIOD_WEEK, 0), -3);
	int64_t prev = rebuy_period_index(REBUY_PERIOD_WEEK, -719163);
	for (int64_t day = -719162; day <= 2932896; day++) {
		int64_t idx = rebuy_period_index(REBUY_PERIOD_WEEK, day);
		int is_monday = ((day - 4) % 7 + 7) % 7 == 0;
		if (idx != prev + is_monday)
			fail_msg("day %lld: week %lld after %lld", (long long)day, (long long)idx,
			         (long long)prev);
		if (is_monday && rebuy_period_start(REBUY_PERIOD_WEEK, idx) != day)
			fail_msg("week %lld does not start on day %lld", (long long)idx,
			         (long long)day);
		prev = idx;
	}
}

static void test_date__calendar_periods_step_with_the_calendar(void **state)
{
	(void)state;
	/* Walk every day of years 1..9999 and check that month, quarter and year
	 * indexes step by one exactly where the calendar does, that each period
	 * starts on its first day and that labels read the walked date. */
	int64_t y = 1;
	unsigned m = 1, d = 1;
	int64_t pm = rebuy_period_index(REBUY_PERIOD_MONTH, -719162) - 1;
	int64_t pq = rebuy_period_index(REBUY_PERIOD_QUARTER, -719162) - 1;
	int64_t py = rebuy_period_index(REBUY_PERIOD_YEAR, -719162) - 1;
	char buf[32], want[32];
	for (int64_t day = -719162; day <= 2932896; day++) {
		int64_t im = rebuy_period_index(REBUY_PERIOD_MONTH, day);
		int64_t iq = rebuy_period_index(REBUY_PERIOD_QUARTER, day);
		int64_t iy = rebuy_period_index(REBUY_PERIOD_YEAR, day);
		assert_int_equal(rebuy_period_index(REBUY_PERIOD_DAY, day), day);
		if (d == 1) {
			assert_int_equal(im, pm + 1);
			assert_int_equal(rebuy_period_start(REBUY_PERIOD_MONTH, im), day);
			snprintf(want, sizeof want, "%04d-%02u", (int)y, m);
			rebuy_period_label(REBUY_PERIOD_MONTH, im, buf, sizeof buf);
			assert_string_equal(buf, want);
			if (m % 3 == 1) {
				assert_int_equal(iq, pq + 1);
				assert_int_equal(rebuy_period_start(REBUY_PERIOD_QUARTER, iq), day);
				snprintf(want, sizeof want, "%04d-Q%u", (int)y, (m + 2) / 3);
				rebuy_period_label(REBUY_PERIOD_QUARTER, iq, buf, sizeof buf);
				assert_string_equal(buf, want);
			}
			if (m == 1) {
				assert_int_equal(iy, py + 1);
				assert_int_equal(rebuy_period_start(REBUY_PERIOD_YEAR, iy), day);
				snprintf(want, sizeof want, "%04d", (int)y);
				rebuy_period_label(REBUY_PERIOD_YEAR, iy, buf, sizeof buf);
				assert_string_equal(buf, want);
			}
		} else {
			assert_int_equal(im, pm);
		}
		if (m % 3 != 1 || d != 1)
			assert_int_equal(iq, pq);
		if (m != 1 || d != 1)
			assert_int_equal(iy, py);
		pm = im;
		pq = iq;
		py = iy;
		if (++d > test_month_days(y, m)) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	/* 1970-01-01 is index 0 for every period */
	for (int p = REBUY_PERIOD_DAY; p <= REBUY_PERIOD_YEAR; p++)
		assert_int_equal(rebuy_period_index((enum rebuy_period)p, 0), 0);
	/* 2011-03-05 is 41 years, 164 quarters, 494 months after 1970-01 */
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_YEAR, 15038), 41);
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_QUARTER, 15038), 164);
	assert_int_equal(rebuy_period_index(REBUY_PERIOD_MONTH, 15038), 494);
	assert_int_equal(rebuy_period_start(REBUY_PERIOD_MONTH, 494), 15034);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_date__days_from_civil_matches_known_anchors),
	        cmocka_unit_test(test_date__civil_from_days_handles_days_before_1970),
	        cmocka_unit_test(test_date__every_day_from_year_1_to_9999_round_trips),
	        cmocka_unit_test(test_date__is_valid_follows_gregorian_leap_years),
	        cmocka_unit_test(test_date__day_of_floors_negative_timestamps),
	        cmocka_unit_test(test_date__iso_date_and_date_times),
	        cmocka_unit_test(test_date__iso_fraction_of_any_length_is_dropped),
	        cmocka_unit_test(test_date__iso_offset_converts_to_utc),
	        cmocka_unit_test(test_date__iso_rejects_impossible_values),
	        cmocka_unit_test(test_date__leading_and_trailing_spaces_are_ignored),
	        cmocka_unit_test(test_date__parse_reads_only_the_given_length),
	        cmocka_unit_test(test_date__eight_digits_read_as_yyyymmdd),
	        cmocka_unit_test(test_date__unix_seconds_and_milliseconds_by_digit_count),
	        cmocka_unit_test(test_date__unix_kinds_take_sign_fraction_and_floor),
	        cmocka_unit_test(test_date__slash_date_reports_both_readings),
	        cmocka_unit_test(test_date__slash_date_with_day_over_12_is_one_reading),
	        cmocka_unit_test(test_date__slash_date_time_and_am_pm),
	        cmocka_unit_test(test_date__slash_date_rejects_other_shapes),
	        cmocka_unit_test(test_date__year_first_slash_date_is_unambiguous),
	        cmocka_unit_test(test_date__dotted_date_is_day_first),
	        cmocka_unit_test(test_date__explicit_mdy_and_dmy_kinds),
	        cmocka_unit_test(test_date__auto_rejects_everything_else),
	        cmocka_unit_test(test_date__format_names_are_read),
	        cmocka_unit_test(test_date__format_parse_rejects_bad_specs_with_a_message),
	        cmocka_unit_test(test_date__patterns_read_their_fields),
	        cmocka_unit_test(test_date__patterns_reject_mismatches),
	        cmocka_unit_test(test_date__unchecked_pattern_structs_are_safe),
	        cmocka_unit_test(test_date__format_day_and_ts),
	        cmocka_unit_test(test_date__format_cuts_to_the_buffer),
	        cmocka_unit_test(test_date__formatted_timestamps_parse_back),
	        cmocka_unit_test(test_date__period_names_round_trip),
	        cmocka_unit_test(test_date__period_labels),
	        cmocka_unit_test(test_date__iso_week_label_uses_week_year),
	        cmocka_unit_test(test_date__iso_week_labels_match_gnu_date),
	        cmocka_unit_test(test_date__week_index_is_consecutive_and_starts_on_monday),
	        cmocka_unit_test(test_date__calendar_periods_step_with_the_calendar),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
