/* The registry's parsers: the IANA CSV, a services(5) file and nmap-services into a builder,
 * then into an image (registry-image.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "portscope/i18n.h"
#include "portscope/util.h"
#include "registry-internal.h"

static const char *const csv_header[NCOLS] = {
        "Service Name", "Port Number",  "Transport Protocol", "Description",
        "Assignee",     "Contact",      "Registration Date",  "Modification Date",
        "Reference",    "Service Code", "Unauthorized Use Reported", "Assignment Notes",
};

int registry_csv_column(const char *name)
{
        for (int i = 0; i < NCOLS; i++)
                if (strcasecmp(name, csv_header[i]) == 0)
                        return i;
        /* IANA called "Unauthorized Use Reported" "Known Unauthorized Uses". */
        return strcasecmp(name, "Known Unauthorized Uses") == 0 ? 10 : -1;
}

const char *registry_csv_header(int col)
{
        return col >= 0 && col < NCOLS ? csv_header[col] : NULL;
}

/* ---- parsing ----------------------------------------------------------------------------- */

static void builder_free(struct builder *b)
{
        free(b->pool.data);
        free(b->rows.data);
        free(b->obs.data);
}

static enum registry_kind classify(const char *service, const char *description)
{
        if (*service)
                return REGISTRY_ROW_SERVICE;
        /* "Reserved", "Reserved - IANA"; the 2024-04 registry also says "IANA Reserved" (49151). */
        if (strncasecmp(description, "Reserved", 8) == 0 || strncasecmp(description, "IANA Reserved", 13) == 0)
                return REGISTRY_ROW_RESERVED;
        if (strncasecmp(description, "Unassigned", 10) == 0)
                return REGISTRY_ROW_UNASSIGNED;
        if (strncasecmp(description, "any private", 11) == 0)
                return REGISTRY_ROW_PRIVATE;
        return REGISTRY_ROW_OTHER;
}

/* "N" or "N-M"; empty means no port. */
static int parse_port_field(const char *s, struct idx_row *row)
{
        const char *dash = strchr(s, '-');
        int r;

        if (*s == '\0') {
                row->has_port = 0;
                return 0;
        }
        if (dash) {
                r = ps_port_parse_n(s, (size_t)(dash - s), &row->lo);
                if (r == 0)
                        r = ps_port_parse_n(dash + 1, strlen(dash + 1), &row->hi);
        } else {
                r = ps_port_parse_n(s, strlen(s), &row->lo);
                row->hi = row->lo;
        }
        if (r < 0 || row->lo > row->hi)
                return -EINVAL;
        row->has_port = 1;
        return 0;
}

/* YYYY-MM or YYYY-MM-DD (the only shapes the registry uses), a day of the calendar (2099-99-99 is none: it would pass for the newest
 * date, and every later copy would look older). */
static bool is_date(const char *d)
{
        size_t n = strlen(d);
        if (n != 7 && n != 10)
                return false;
        for (size_t i = 0; i < n; i++)
                if ((i == 4 || i == 7) ? d[i] != '-' : (d[i] < '0' || d[i] > '9'))
                        return false;
        unsigned y = (unsigned)((d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0'));
        unsigned m = (unsigned)((d[5] - '0') * 10 + (d[6] - '0'));
        if (m < 1 || m > 12)
                return false;
        if (n == 7)
                return true;
        static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned day = (unsigned)((d[8] - '0') * 10 + (d[9] - '0'));
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return day >= 1 && day <= mdays[m - 1] && !(m == 2 && day == 29 && !leap);
}

static void note_date(struct builder *b, const char *d)
{
        /* The newest date compares greatest as text. Anything that is not a date is left out:
         * the newest date is printed on every output and must be exactly a date. */
        if (is_date(d) && strcmp(d, b->date) > 0)
                memcpy(b->date, d, strlen(d) + 1);
}

static int parse_csv(struct builder *b, const char *data, size_t len, struct ps_error *err)
{
        struct csv_reader rd;
        struct csv_error cerr;
        size_t offs[NCOLS + 1];
        size_t start;
        unsigned line;
        int n;

        /* Unescaped text never outgrows the input: one reservation holds every field. */
        if (buf_reserve(&b->pool, len + 2 * NCOLS + 2) < 0)
                return -ENOMEM;
        csv_init(&rd, data, len);

        start = b->pool.len;
        n = csv_next(&rd, b->pool.data, &b->pool.len, offs, NCOLS + 1, &line, &cerr);
        if (n < 0)
                return ps_error_set(err, -EINVAL, b->name, cerr.line, cerr.column, "%s", cerr.message);
        if (n == 0)
                return ps_error_set(err, -EINVAL, b->name, 1, 0, _("empty file: not the IANA CSV"));
        if (n != NCOLS)
                return ps_error_set(err, -EINVAL, b->name, 1, 0,
                                    _("header has %d columns, expected the IANA CSV's %d "
                                      "(\"Service Name,Port Number,...\")"),
                                    n, NCOLS);
        for (int i = 0; i < NCOLS; i++) {
                if (strcmp(b->pool.data + offs[i], csv_header[i]) == 0)
                        continue;
                /* The IANA columns all there, in another order or case: update rewrites such a
                 * copy in IANA's order, which this reader takes. */
                bool known = true;
                for (int j = 0; j < NCOLS && known; j++)
                        known = registry_csv_column(b->pool.data + offs[j]) >= 0;
                if (known)
                        return ps_error_set(err, -EINVAL, b->name, 1, 0,
                                            _("header column %d is \"%.60s\", expected \"%s\": IANA's columns in "
                                              "another order or spelling, which 'portscope update --from FILE' "
                                              "installs in IANA's"),
                                            i + 1, b->pool.data + offs[i], csv_header[i]);
                return ps_error_set(err, -EINVAL, b->name, 1, 0, _("header column %d is \"%.60s\", expected \"%s\""),
                                    i + 1, b->pool.data + offs[i], csv_header[i]);
        }
        b->pool.len = start; /* the header is not data */

        for (;;) {
                struct idx_row row = { .alias_of = -1 };
                enum ps_proto p;

                start = b->pool.len;
                n = csv_next(&rd, b->pool.data, &b->pool.len, offs, NCOLS + 1, &line, &cerr);
                if (n == 0)
                        break;
                if (n < 0)
                        return ps_error_set(err, -EINVAL, b->name, cerr.line, cerr.column, "%s", cerr.message);
                if (n == 1 && b->pool.data[offs[0]] == '\0') {
                        b->pool.len = start; /* a blank line */
                        continue;
                }
                if (n != NCOLS)
                        return ps_error_set(err, -EINVAL, b->name, line, 0,
                                            ps_ngettext("row has %d column, expected %d",
                                                        "row has %d columns, expected %d", (unsigned long)n),
                                            n, NCOLS);
                for (int i = 0; i < NCOLS; i++)
                        row.col[i] = b->pool.data[offs[i]] ? (uint32_t)offs[i] : 0;
                row.line = line;
                if (parse_port_field(pool_str(b, row.col[1]), &row) < 0)
                        return ps_error_set(err, -EINVAL, b->name, line, 0,
                                            _("bad port number \"%.40s\" (expected N or N-M, 0-65535)"),
                                            pool_str(b, row.col[1]));
                if (row.col[2] == 0)
                        row.protos = PS_PROTO_ALL;
                else if (ps_proto_parse(pool_str(b, row.col[2]), &p) == 0)
                        row.protos = (uint8_t)PS_PROTO_BIT(p);
                else
                        return ps_error_set(err, -EINVAL, b->name, line, 0,
                                            _("unknown transport protocol \"%.40s\" (expected tcp, udp, sctp, "
                                              "dccp or empty)"),
                                            pool_str(b, row.col[2]));
                if (row.col[0] == 0 && !row.has_port)
                        return ps_error_set(err, -EINVAL, b->name, line, 0,
                                            _("row has neither a service name nor a port"));
                row.kind = (uint8_t)classify(pool_str(b, row.col[0]), pool_str(b, row.col[3]));
                note_date(b, pool_str(b, row.col[6]));
                note_date(b, pool_str(b, row.col[7]));
                if (buf_add(&b->rows, &row, sizeof(row)) < 0)
                        return -ENOMEM;
        }
        if (b->rows.len == 0)
                return ps_error_set(err, -EINVAL, b->name, rd.line, 0, _("no rows after the header (truncated?)"));
        return 0;
}

/* services(5): "name port/proto[/proto...] [aliases...] [# comment]". */
static int parse_services(struct builder *b, const char *data, size_t len, struct ps_error *err)
{
        const char *p = data, *end = data + len;
        unsigned line = 0;

        const char *nul = memchr(data, '\0', len);
        if (nul) {
                unsigned nl = 1;
                for (const char *q = data; q < nul; q++)
                        nl += *q == '\n';
                return ps_error_set(err, -EINVAL, b->name, nl, 0, _("NUL byte: binary data, not a services file"));
        }
        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end, *hash, *q, *name, *spec;
                size_t name_len, spec_len;
                int64_t name_off, port_off, desc_off = 0;
                struct idx_row row = { .alias_of = -1 };

                line++;
                hash = memchr(p, '#', (size_t)(le - p));
                q = p;
                while (q < (hash ? hash : le) && isspace((unsigned char)*q))
                        q++;
                if (q == (hash ? hash : le)) {
                        p = eol ? eol + 1 : end;
                        continue;
                }
                if (!ps_utf8_valid(p, (size_t)(le - p)))
                        return ps_error_set(err, -EINVAL, b->name, line, 0, _("invalid UTF-8"));
                name = q;
                while (q < le && !isspace((unsigned char)*q) && *q != '#')
                        q++;
                name_len = (size_t)(q - name);
                while (q < le && (*q == ' ' || *q == '\t'))
                        q++;
                spec = q;
                while (q < le && !isspace((unsigned char)*q) && *q != '#')
                        q++;
                spec_len = (size_t)(q - spec);
                const char *slash = memchr(spec, '/', spec_len);
                if (!slash)
                        return ps_error_set(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1,
                                            _("expected PORT/PROTO after the service name"));
                char portbuf[16];
                size_t plen = (size_t)(slash - spec);
                if (plen == 0 || plen >= sizeof(portbuf))
                        return ps_error_set(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1,
                                            _("bad port number"));
                memcpy(portbuf, spec, plen);
                portbuf[plen] = '\0';
                if (parse_port_field(portbuf, &row) < 0)
                        return ps_error_set(err, -EINVAL, b->name, line, (unsigned)(spec - p) + 1,
                                            _("bad port number"));
                if (hash) {
                        const char *d = hash + 1;
                        while (d < le && isspace((unsigned char)*d))
                                d++;
                        size_t dl = (size_t)(le - d);
                        while (dl > 0 && isspace((unsigned char)d[dl - 1]))
                                dl--;
                        desc_off = pool_add(&b->pool, d, dl);
                }
                name_off = pool_add(&b->pool, name, name_len);
                port_off = pool_add(&b->pool, portbuf, plen);
                if (name_off < 0 || port_off < 0 || desc_off < 0)
                        return -ENOMEM;
                /* One row per protocol, as in the CSV. */
                for (const char *pp = slash; pp < spec + spec_len;) {
                        const char *pe = pp + 1;
                        char proto[8];
                        enum ps_proto pr;
                        while (pe < spec + spec_len && *pe != '/')
                                pe++;
                        size_t pl = (size_t)(pe - pp - 1);
                        if (pl == 0 || pl >= sizeof(proto))
                                return ps_error_set(err, -EINVAL, b->name, line, (unsigned)(pp - p) + 2,
                                                    _("bad protocol"));
                        memcpy(proto, pp + 1, pl);
                        proto[pl] = '\0';
                        pp = pe;
                        if (ps_proto_parse(proto, &pr) < 0)
                                continue; /* e.g. "ddp" in some services files: not a transport we know */
                        struct idx_row r = row;
                        int64_t proto_off = pool_add(&b->pool, ps_proto_name(pr), strlen(ps_proto_name(pr)));
                        if (proto_off < 0)
                                return -ENOMEM;
                        r.col[0] = (uint32_t)name_off;
                        r.col[1] = (uint32_t)port_off;
                        r.col[2] = (uint32_t)proto_off;
                        r.col[3] = (uint32_t)desc_off;
                        r.protos = (uint8_t)PS_PROTO_BIT(pr);
                        r.kind = REGISTRY_ROW_SERVICE;
                        r.line = line;
                        if (buf_add(&b->rows, &r, sizeof(r)) < 0)
                                return -ENOMEM;
                }
                p = eol ? eol + 1 : end;
        }
        if (b->rows.len == 0)
                return ps_error_set(err, -EINVAL, b->name, line, 0, _("no services in the file"));
        return 0;
}

/* nmap-services: "name<TAB>port/proto<TAB>frequency[<TAB># comment]". Malformed lines are
 * skipped: this is field knowledge, not the registry, and it must never stop portscope. */
static int parse_observed(struct builder *b, const char *data, size_t len)
{
        const char *p = data, *end = data + len;

        while (p < end) {
                const char *eol = memchr(p, '\n', (size_t)(end - p));
                const char *le = eol ? eol : end;
                const char *f[4] = { 0 }, *fe[4] = { 0 };
                int nf = 0;
                const char *q = p;

                while (q < le && nf < 4) {
                        f[nf] = q;
                        while (q < le && *q != '\t')
                                q++;
                        fe[nf++] = q;
                        if (q < le)
                                q++;
                }
                p = eol ? eol + 1 : end;
                if (nf < 3 || *f[0] == '#' || fe[0] == f[0])
                        continue;
                const char *slash = memchr(f[1], '/', (size_t)(fe[1] - f[1]));
                struct idx_obs o = { 0 };
                enum ps_proto pr;
                char proto[8], freq[32];
                if (!slash || ps_port_parse_n(f[1], (size_t)(slash - f[1]), &o.port) < 0)
                        continue;
                size_t pl = (size_t)(fe[1] - slash - 1), fl = (size_t)(fe[2] - f[2]);
                if (pl == 0 || pl >= sizeof(proto) || fl == 0 || fl >= sizeof(freq))
                        continue;
                memcpy(proto, slash + 1, pl);
                proto[pl] = '\0';
                memcpy(freq, f[2], fl);
                freq[fl] = '\0';
                if (ps_proto_parse(proto, &pr) < 0)
                        continue;
                char *fend;
                double fv = strtod(freq, &fend);
                if (*fend != '\0' || !(fv >= 0 && fv <= 1)) /* also refuses NaN */
                        continue;
                if (!ps_utf8_valid(f[0], (size_t)(fe[0] - f[0])))
                        continue;
                o.proto = (uint8_t)pr;
                o.freq = (float)fv;
                int64_t no = pool_add(&b->pool, f[0], (size_t)(fe[0] - f[0]));
                int64_t co = 0;
                if (nf == 4) {
                        const char *c = f[3];
                        while (c < fe[3] && (*c == '#' || *c == ' '))
                                c++;
                        if (ps_utf8_valid(c, (size_t)(fe[3] - c)))
                                co = pool_add(&b->pool, c, (size_t)(fe[3] - c));
                }
                if (no < 0 || co < 0)
                        return -ENOMEM;
                o.name = (uint32_t)no;
                o.comment = (uint32_t)co;
                if (buf_add(&b->obs, &o, sizeof(o)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static enum registry_source_kind detect_kind(const char *data, size_t len)
{
        const char *nl;
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                data += 3, len -= 3;
        if (len >= 12 && memcmp(data, "Service Name", 12) == 0)
                return REGISTRY_SOURCE_IANA_CSV;
        nl = memchr(data, '\n', len);
        /* A first line with commas is a CSV, even if its header is wrong: say so in the error. */
        if (memchr(data, ',', nl ? (size_t)(nl - data) : len) && (len == 0 || data[0] != '#'))
                return REGISTRY_SOURCE_IANA_CSV;
        return REGISTRY_SOURCE_SERVICES;
}

int registry_build(const char *name, const char *data, size_t len, int kind, const struct file_key *src,
                   const char *obs_path, const char *obs_data, size_t obs_len, const struct file_key *obs,
                   unsigned char **ret, size_t *ret_size, struct ps_error *err)
{
        struct builder b = { .name = name };
        int r;

        if (len == 0)
                return ps_error_set(err, -EINVAL, name, 0, 0, _("empty file: not a port registry"));
        b.kind = kind >= 0 ? (enum registry_source_kind)kind : detect_kind(data, len);
        if (buf_add(&b.pool, "", 1) < 0)
                return -ENOMEM;
        r = b.kind == REGISTRY_SOURCE_IANA_CSV ? parse_csv(&b, data, len, err) : parse_services(&b, data, len, err);
        if (r == 0 && obs_data)
                r = parse_observed(&b, obs_data, obs_len);
        if (r == 0)
                r = registry_image_build(&b, name, src, obs_path, obs, ret, ret_size);
        if (r == -ENOMEM)
                ps_error_set(err, r, name, 0, 0, _("out of memory"));
        else if (r == -EFBIG)
                ps_error_set(err, r, name, 0, 0,
                             _("the port ranges cover more than %u (port, row) pairs: not the IANA registry"),
                             MAX_COVER);
        builder_free(&b);
        return r;
}

int registry_parse_buffer(const char *name, const char *data, size_t len, enum registry_source_kind kind,
                          struct registry **ret, struct ps_error *err)
{
        struct file_key none = { 0 };
        unsigned char *img;
        size_t size;
        int r = registry_build(name, data, len, (int)kind, &none, NULL, NULL, 0, NULL, &img, &size, err);

        if (r < 0)
                return r;
        *ret = registry_image_wrap(img, size, false);
        if (!*ret) {
                free(img);
                return ps_error_set(err, -ENOMEM, name, 0, 0, _("out of memory"));
        }
        return 0;
}

int registry_parse_file(const char *path, enum registry_source_kind kind, struct registry **ret,
                        struct ps_error *err)
{
        char *data;
        size_t len;
        int r = ps_read_file(path, MAX_SOURCE_SIZE, &data, &len);

        if (r < 0)
                return ps_error_set(err, r, path, 0, 0, _("cannot read: %s"), strerror(-r));
        r = registry_parse_buffer(path, data, len, kind, ret, err);
        free(data);
        return r;
}
