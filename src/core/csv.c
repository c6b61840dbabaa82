/* RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a quoted field may hold
 * commas, line breaks and doubled quotes. Text must be UTF-8 without NUL bytes. */
#include "csv.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "portscope/i18n.h"
#include "portscope/util.h"

void csv_init(struct csv_reader *r, const char *data, size_t len)
{
        r->p = data;
        r->end = data + len;
        r->line = 1;
        r->line_start = data;
        /* A UTF-8 byte order mark is not data. */
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                r->p += 3;
}

static int fail(struct csv_reader *r, const char *at, struct csv_error *err, const char *msg)
{
        err->line = r->line;
        err->column = (unsigned)(at - r->line_start) + 1;
        err->message = msg;
        return -EINVAL;
}

int csv_next(struct csv_reader *r, char *out_base, size_t *out_used, size_t *offs, size_t maxfields,
             unsigned *ret_line, struct csv_error *err)
{
        const char *p = r->p, *end = r->end;
        size_t nfields = 0, used = *out_used;

        if (p >= end)
                return 0;
        *ret_line = r->line;
        for (;;) {
                char *o = out_base + used;
                /* Where the field starts, for errors found once it has been read. */
                unsigned fline = r->line, fcol = (unsigned)(p - r->line_start) + 1;

                if (nfields == maxfields)
                        return fail(r, p, err, _("too many fields"));
                offs[nfields] = used;
                if (p < end && *p == '"') {
                        unsigned qline = r->line, qcol = (unsigned)(p - r->line_start) + 1;
                        p++;
                        for (;;) {
                                if (p >= end) {
                                        err->line = qline;
                                        err->column = qcol;
                                        err->message = _("quoted field is never closed");
                                        return -EINVAL;
                                }
                                if (*p == '"') {
                                        if (p + 1 < end && p[1] == '"') {
                                                *o++ = '"';
                                                p += 2;
                                                continue;
                                        }
                                        p++;
                                        break;
                                }
                                if (*p == '\0')
                                        return fail(r, p, err, _("NUL byte (binary data, not CSV)"));
                                if (*p == '\n') {
                                        r->line++;
                                        r->line_start = p + 1;
                                }
                                *o++ = *p++;
                        }
                        if (p < end && *p != ',' && *p != '\n' && *p != '\r')
                                return fail(r, p, err, _("text after a closing quote"));
                } else {
                        while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
                                if (*p == '"')
                                        return fail(r, p, err, _("quote inside an unquoted field"));
                                if (*p == '\0')
                                        return fail(r, p, err, _("NUL byte (binary data, not CSV)"));
                                *o++ = *p++;
                        }
                }
                if (!ps_utf8_valid(out_base + offs[nfields], (size_t)(o - (out_base + offs[nfields])))) {
                        err->line = fline;
                        err->column = fcol;
                        err->message = _("invalid UTF-8 in this field");
                        return -EINVAL;
                }
                *o++ = '\0';
                used = (size_t)(o - out_base);
                nfields++;
                if (p < end && *p == ',') {
                        p++;
                        continue;
                }
                /* End of record: CRLF, LF, lone CR, or end of input. */
                if (p < end && *p == '\r')
                        p++;
                if (p < end && *p == '\n')
                        p++;
                if (p < end || p == end) {
                        r->line++;
                        r->line_start = p;
                }
                break;
        }
        r->p = p;
        *out_used = used;
        return (int)nfields;
}
