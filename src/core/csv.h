/* An RFC 4180 CSV reader over a buffer (internal to libportscope). */
#pragma once

#include <stddef.h>

struct csv_reader {
        const char *p, *end;
        unsigned line;          /* 1-based line of p */
        const char *line_start; /* start of the line p is on, for columns */
};

struct csv_error {
        unsigned line, column;
        const char *message; /* static string (translated) */
};

void csv_init(struct csv_reader *r, const char *data, size_t len);

/* Reads one record. The fields' unescaped, NUL-terminated text is appended to out (which must
 * have room for the rest of the input plus one byte per field: unescaping never grows a field);
 * offs[i] receives the offset of field i within out, relative to out_base.
 * Returns the number of fields (> 0; up to maxfields — more is an error), 0 at end of input,
 * or -EINVAL with *err set. *ret_line is the record's first line. */
int csv_next(struct csv_reader *r, char *out_base, size_t *out_used, size_t *offs, size_t maxfields,
             unsigned *ret_line, struct csv_error *err);
