/* Shared by the diff (diff.c) and its text (diff-print.c). */
#ifndef PORTSCOPE_UPDATE_DIFF_INTERNAL_H
#define PORTSCOPE_UPDATE_DIFF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* The categories of a change, in the order they are printed. */
struct diff_category {
        const char *key, *title; /* the JSON key; the title (N_, translated when printed) */
        bool occupant;           /* a change of who may be on the port: its status or its services */
};
extern const struct diff_category diff_categories[];
extern const size_t diff_ncategories;

#endif
