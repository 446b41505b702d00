/* Reading an input into a partial of order records (see data/partial.h):
 * the reading thread finds row boundaries and hands blocks of whole rows to
 * worker threads, each of which parses, cleans and folds its rows into its
 * own partial; the partials are then merged bucket by bucket. */
#ifndef REBUY_INGEST_INGEST_H
#define REBUY_INGEST_INGEST_H

#include "data/partial.h"
#include "rebuy/input.h"

/* Reads opts->path (or opts->data). On success *parts holds the partials
 * of the reading threads (*n_parts of them; the caller frees each with
 * rebuy__partial_free and the array with rebuy__free) and *use_alt says
 * whether ambiguous slash dates resolved to day-first (records then take
 * their alt reading). *report is filled in both cases as far as reading got
 * (release its names with rebuy__report_release_names). */
enum rebuy_status rebuy__ingest_read(const struct rebuy_input_options *opts,
                                     struct rebuy_input_report *report,
                                     struct rebuy__partial ***parts, size_t *n_parts, int *use_alt,
                                     struct rebuy_error *err);

/* The number of threads opts ask for (0 -> online CPUs). */
unsigned rebuy__ingest_threads(const struct rebuy_input_options *opts);

#endif
