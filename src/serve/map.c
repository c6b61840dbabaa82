/* portscope serve — the map of all 65,536 ports: one class per port, drawn as a small PNG.
 *
 * The PNG encoder is the minimum the format needs (IHDR, PLTE, IDAT, IEND; filter 0; zlib from
 * the system), enough for an image that is computed once at start-up and then served as bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "serve-internal.h"

/* English; pages show them through _(). */
static const char *const class_names[HTTP_NMAP_CLASSES] = {
        /* TRANSLATORS: the classes of the port map's legend: what the registry says of a port. */
        [HTTP_MAP_UNASSIGNED] = N_("unassigned"),
        [HTTP_MAP_ASSIGNED] = N_("assigned"),
        [HTTP_MAP_RESERVED] = N_("reserved"),
        [HTTP_MAP_UNOFFICIAL] = N_("unofficial use"),
        /* TRANSLATORS: a port of the map where a program listens on this machine. */
        [HTTP_MAP_LISTENING] = N_("listening here"),
        [HTTP_MAP_WIDE] = N_("inside a wide range of known use"),
};

/* Chosen to be told apart with the common colour-vision deficiencies and against the page. */
static const uint32_t class_colors[HTTP_NMAP_CLASSES] = {
        [HTTP_MAP_UNASSIGNED] = 0xe4e7eb,
        [HTTP_MAP_ASSIGNED] = 0x1f5fa8,
        [HTTP_MAP_RESERVED] = 0xd08c00,
        [HTTP_MAP_UNOFFICIAL] = 0x8e44ad,
        [HTTP_MAP_LISTENING] = 0xd62728,
        [HTTP_MAP_WIDE] = 0xf1e6f6, /* light, hatched with HTTP_MAP_UNOFFICIAL's colour */
};
/* The extra palette entry: the lines at the range boundaries (1024, 49152). */
#define BOUNDARY_INDEX HTTP_NMAP_CLASSES
#define BOUNDARY_COLOR 0x1b1f24

const char *http_map_class_name(enum http_map_class c)
{
        return (unsigned)c < HTTP_NMAP_CLASSES ? class_names[c] : "unknown";
}

uint32_t http_map_color(enum http_map_class c)
{
        return (unsigned)c < HTTP_NMAP_CLASSES ? class_colors[c] : 0;
}

void http_map_classify_proto(const struct registry *r, const struct knowledge *k, int proto, uint8_t classes[65536])
{
        for (unsigned port = 0; port < 65536; port++) {
                uint8_t c = HTTP_MAP_UNASSIGNED;
                bool reserved = false;
                for (int p = 0; p < PS_NPROTO; p++) {
                        if (proto >= 0 && p != proto)
                                continue;
                        enum registry_status s = registry_status(r, (uint16_t)port, (enum ps_proto)p);
                        if (s == REGISTRY_ASSIGNED)
                                c = HTTP_MAP_ASSIGNED;
                        else if (s == REGISTRY_RESERVED)
                                reserved = true;
                }
                if (c == HTTP_MAP_UNASSIGNED && reserved)
                        c = HTTP_MAP_RESERVED;
                for (int p = PS_TCP; c == HTTP_MAP_UNASSIGNED && k && p <= PS_UDP; p++) {
                        if (proto >= 0 && p != proto)
                                continue;
                        const struct knowledge_entry *e[16];
                        size_t n = knowledge_for_port(k, (uint16_t)port, (enum ps_proto)p, e, 16);
                        bool narrow = false, wide = false;
                        for (size_t i = 0; i < n && i < 16; i++)
                                for (size_t j = 0; j < e[i]->nports; j++) {
                                        const struct ps_portspec *ps = &e[i]->ports[j];
                                        if (ps->lo > port || port > ps->hi || !(ps->protos & PS_PROTO_BIT(p)))
                                                continue;
                                        if ((unsigned)(ps->hi - ps->lo) >= HTTP_MAP_WIDE_SPAN)
                                                wide = true;
                                        else
                                                narrow = true;
                                }
                        if (narrow || (n > 0 && !wide))
                                c = HTTP_MAP_UNOFFICIAL;
                        else if (wide)
                                c = HTTP_MAP_WIDE;
                }
                classes[port] = c;
        }
}

void http_map_classify(const struct registry *r, const struct knowledge *k, uint8_t classes[65536])
{
        http_map_classify_proto(r, k, -1, classes);
}

static void put32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* Appends one chunk (length, type, data, CRC) at out + *pos. */
static void chunk(uint8_t *out, size_t *pos, const char type[4], const uint8_t *data, uint32_t len)
{
        uint8_t *p = out + *pos;
        put32(p, len);
        memcpy(p + 4, type, 4);
        if (len)
                memcpy(p + 8, data, len);
        uLong crc = crc32(0L, Z_NULL, 0);
        crc = crc32(crc, p + 4, len + 4);
        put32(p + 8 + len, (uint32_t)crc);
        *pos += 12 + (size_t)len;
}

int http_map_png(const uint8_t classes[65536], uint8_t **ret, size_t *ret_len)
{
        enum { SIDE = 512, SCALE = 2 };
        size_t rawlen = (size_t)SIDE * (SIDE + 1);
        uint8_t *raw = malloc(rawlen);
        if (!raw)
                return -ENOMEM;
        for (size_t y = 0; y < SIDE; y++) {
                uint8_t *row = raw + y * (SIDE + 1);
                row[0] = 0; /* filter: none */
                for (size_t x = 0; x < SIDE; x++) {
                        uint8_t c = classes[(y / SCALE) * 256 + x / SCALE];
                        c = c < HTTP_NMAP_CLASSES ? c : 0;
                        /* Wide ranges hatched: diagonal lines on pixels whose x + y is 1 mod 4,
                         * never the top-left pixel of a port (the page's script reads that one). */
                        if (c == HTTP_MAP_WIDE && (x + y) % 4 == 1)
                                c = HTTP_MAP_UNOFFICIAL;
                        /* The range boundaries: a line on the last pixel row above 1024 and 49152. */
                        if (y == 2 * (1024 / 256) - 1 || y == 2 * (49152 / 256) - 1)
                                c = BOUNDARY_INDEX;
                        row[1 + x] = c;
                }
        }
        uLongf zlen = compressBound((uLong)rawlen);
        uint8_t *z = malloc(zlen);
        if (!z) {
                free(raw);
                return -ENOMEM;
        }
        int zr = compress2(z, &zlen, raw, (uLong)rawlen, 9);
        free(raw);
        if (zr != Z_OK) {
                free(z);
                return -EIO;
        }
        size_t cap = 8 + (12 + 13) + (12 + 3 * (HTTP_NMAP_CLASSES + 1)) + (12 + zlen) + 12;
        uint8_t *out = malloc(cap);
        if (!out) {
                free(z);
                return -ENOMEM;
        }
        static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
        size_t pos = 0;
        memcpy(out, sig, 8);
        pos = 8;
        uint8_t ihdr[13];
        put32(ihdr, SIDE);
        put32(ihdr + 4, SIDE);
        ihdr[8] = 8;  /* bit depth */
        ihdr[9] = 3;  /* colour type: palette */
        ihdr[10] = 0; /* deflate */
        ihdr[11] = 0; /* adaptive filtering */
        ihdr[12] = 0; /* no interlace */
        chunk(out, &pos, "IHDR", ihdr, sizeof ihdr);
        uint8_t plte[3 * (HTTP_NMAP_CLASSES + 1)];
        for (int i = 0; i <= HTTP_NMAP_CLASSES; i++) {
                uint32_t col = i < HTTP_NMAP_CLASSES ? class_colors[i] : BOUNDARY_COLOR;
                plte[3 * i] = (uint8_t)(col >> 16);
                plte[3 * i + 1] = (uint8_t)(col >> 8);
                plte[3 * i + 2] = (uint8_t)col;
        }
        chunk(out, &pos, "PLTE", plte, sizeof plte);
        chunk(out, &pos, "IDAT", z, (uint32_t)zlen);
        chunk(out, &pos, "IEND", NULL, 0);
        free(z);
        *ret = out;
        *ret_len = pos;
        return 0;
}
