/* libFuzzer target: the streaming JSON writer, differentially against jansson.
 * fuzz-sources: src/core/jsonw.c src/core/dynbuf.c src/core/util.c -lm
 *
 * The first byte picks a mode and the layout (bit 0x80: pretty):
 *   0: the rest is one string. Its output must parse (JSON_ALLOW_NUL) to exactly the input when
 *      the input is valid UTF-8, else to the input with each maximal ill-formed subpart replaced
 *      by one U+FFFD, as computed here by a reference that shares no code with the writer.
 *   1: the rest is a sequence of int64 and doubles (8 bytes each, a tag byte before each): the
 *      array must parse back to the same numbers (non-finite doubles as null).
 *   2: the rest drives the writer's calls (begin/end/name/values); when the writer reports
 *      success the output must parse, and writing the parsed tree again must give the same bytes.
 * Every mode writes into a dynbuf whose maximum is also drawn from the input, and must fail with
 * -E2BIG, never overflow, when it is too small. */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "portscope/jsonw.h"
#include "portscope/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether p[0..k) can begin a well-formed UTF-8 sequence: some completion by continuation bytes
 * is valid (the second byte's range is the only one that varies, so its ends suffice). */
static bool utf8_prefix(const uint8_t *p, size_t k)
{
        static const uint8_t cont[] = { 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf };
        uint8_t buf[4];

        /* One code point: a lead byte, then continuation bytes only. */
        if (p[0] < 0xc0)
                return false;
        for (size_t i = 1; i < k; i++)
                if (p[i] < 0x80 || p[i] > 0xbf)
                        return false;
        memcpy(buf, p, k);
        for (size_t total = k; total <= 4; total++) {
                if (total == k) {
                        if (k && ps_utf8_valid((const char *)buf, k))
                                return true;
                        continue;
                }
                for (size_t a = 0; a < sizeof(cont); a++) {
                        for (size_t i = k; i < total; i++)
                                buf[i] = i == k ? cont[a] : 0x80;
                        if (ps_utf8_valid((const char *)buf, total))
                                return true;
                }
        }
        return false;
}

/* The input with every maximal ill-formed subpart replaced by U+FFFD. */
static size_t reference(const uint8_t *s, size_t len, uint8_t *out)
{
        size_t o = 0;

        for (size_t i = 0; i < len;) {
                size_t best = 0;
                if (s[i] < 0x80) {
                        out[o++] = s[i++];
                        continue;
                }
                for (size_t k = 1; k <= 4 && i + k <= len; k++)
                        if (utf8_prefix(s + i, k))
                                best = k;
                if (best && ps_utf8_valid((const char *)s + i, best)) {
                        memcpy(out + o, s + i, best);
                        o += best;
                        i += best;
                } else {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i += best ? best : 1;
                }
        }
        return o;
}

static json_t *parse(const struct dynbuf *b)
{
        json_error_t err;
        json_t *j = json_loadb(dynbuf_ptr(b), dynbuf_len(b), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

        if (!j) {
                fprintf(stderr, "jansson refused the output (%s): %.*s\n", err.text, (int)dynbuf_len(b), dynbuf_ptr(b));
                abort();
        }
        return j;
}

static void mode_string(const uint8_t *s, size_t len, unsigned flags, size_t max)
{
        struct dynbuf b = DYNBUF_INIT(max);
        struct jsonw w;
        uint8_t *want = malloc(len * 3 + 1);
        size_t nwant;
        json_t *j;
        int r;

        assert(want);
        jsonw_init_dynbuf(&w, &b, flags);
        jsonw_stringn(&w, (const char *)s, len);
        r = jsonw_finish(&w);
        assert(dynbuf_len(&b) <= max);
        if (r == -E2BIG)
                goto out;
        assert(r == 0);
        /* Nothing that JavaScript or a terminal-bound reader must not see raw. */
        for (size_t i = 0; i < dynbuf_len(&b); i++) {
                uint8_t c = (uint8_t)dynbuf_ptr(&b)[i];
                assert(c >= 0x20);
                if (i + 2 < dynbuf_len(&b) && c == 0xe2)
                        assert(!((uint8_t)dynbuf_ptr(&b)[i + 1] == 0x80 && ((uint8_t)dynbuf_ptr(&b)[i + 2] & 0xfe) == 0xa8));
        }
        j = parse(&b);
        assert(json_is_string(j));
        if (ps_utf8_valid((const char *)s, len)) {
                assert(json_string_length(j) == len);
                assert(memcmp(json_string_value(j), s, len) == 0);
        } else {
                nwant = reference(s, len, want);
                assert(json_string_length(j) == nwant);
                assert(memcmp(json_string_value(j), want, nwant) == 0);
        }
        json_decref(j);
out:
        free(want);
        dynbuf_free(&b);
}

static void mode_numbers(const uint8_t *s, size_t len, unsigned flags, size_t max)
{
        struct dynbuf b = DYNBUF_INIT(max);
        struct jsonw w;
        size_t n = len / 9;
        json_t *j;
        int r;

        jsonw_init_dynbuf(&w, &b, flags);
        jsonw_begin_array(&w);
        for (size_t i = 0; i < n; i++) {
                uint64_t u;
                double d;
                memcpy(&u, s + i * 9 + 1, 8);
                memcpy(&d, s + i * 9 + 1, 8);
                if (s[i * 9] & 1)
                        jsonw_double(&w, d);
                else
                        jsonw_int(&w, (int64_t)u);
        }
        jsonw_end_array(&w);
        r = jsonw_finish(&w);
        assert(dynbuf_len(&b) <= max);
        if (r == -E2BIG)
                goto out;
        assert(r == 0);
        j = parse(&b);
        assert(json_array_size(j) == n);
        for (size_t i = 0; i < n; i++) {
                json_t *v = json_array_get(j, i);
                uint64_t u;
                double d;
                memcpy(&u, s + i * 9 + 1, 8);
                memcpy(&d, s + i * 9 + 1, 8);
                if (s[i * 9] & 1) {
                        if (!isfinite(d))
                                assert(json_is_null(v));
                        else
                                assert(json_is_real(v) && json_real_value(v) == d);
                } else
                        assert(json_is_integer(v) && (int64_t)json_integer_value(v) == (int64_t)u);
        }
        json_decref(j);
out:
        dynbuf_free(&b);
}

static void mode_calls(const uint8_t *s, size_t len, unsigned flags, size_t max)
{
        struct dynbuf b = DYNBUF_INIT(max), again = DYNBUF_INIT(SIZE_MAX / 2);
        struct jsonw w;
        json_t *j;
        int r;

        jsonw_init_dynbuf(&w, &b, flags);
        for (size_t i = 0; i < len; i++) {
                uint8_t op = s[i] & 15, arg = (uint8_t)(s[i] >> 4);
                switch (op) {
                case 0: jsonw_begin_object(&w); break;
                case 1: jsonw_end_object(&w); break;
                case 2: jsonw_begin_array(&w); break;
                case 3: jsonw_end_array(&w); break;
                case 4: {
                        char name[2] = { (char)('a' + arg), 0 };
                        jsonw_name(&w, name);
                        break;
                }
                case 5: jsonw_int(&w, (int64_t)arg - 8); break;
                case 6: jsonw_double(&w, arg / 3.0); break;
                case 7: jsonw_bool(&w, arg & 1); break;
                case 8: jsonw_null(&w); break;
                case 9: {
                        size_t n = arg < len - i - 1 ? arg : len - i - 1;
                        jsonw_stringn(&w, (const char *)s + i + 1, n);
                        i += n;
                        break;
                }
                case 10: { /* a name of the input's bytes: escapes, invalid UTF-8 */
                        char name[16];
                        size_t n = arg < len - i - 1 ? arg : len - i - 1;
                        memcpy(name, s + i + 1, n);
                        name[n] = '\0'; /* cut at a NUL inside */
                        jsonw_name(&w, name);
                        i += n;
                        break;
                }
                default: break;
                }
        }
        r = jsonw_finish(&w);
        assert(dynbuf_len(&b) <= max);
        if (r != 0 || !dynbuf_len(&b))
                goto out;
        /* Success means one complete value that jansson reads, and that this writer writes back
         * identically (one canonical layout). Duplicate names are legal JSON that a tree cannot
         * keep: skip the comparison then. */
        j = parse(&b);
        jsonw_init_dynbuf(&w, &again, flags);
        jsonw_json(&w, j);
        assert(jsonw_finish(&w) == 0);
        if (dynbuf_len(&again) == dynbuf_len(&b))
                assert(memcmp(dynbuf_ptr(&again), dynbuf_ptr(&b), dynbuf_len(&b)) == 0);
        json_decref(j);
out:
        dynbuf_free(&b);
        dynbuf_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned flags;
        size_t max;

        if (size < 3)
                return 0;
        flags = (data[0] & 0x80) ? JSONW_PRETTY : 0;
        /* Mostly room enough; sometimes a small maximum that must fail cleanly. */
        max = data[1] < 16 ? (size_t)data[1] * 8 + 1 : SIZE_MAX / 2;
        switch (data[0] % 3) {
        case 0: mode_string(data + 2, size - 2, flags, max); break;
        case 1: mode_numbers(data + 2, size - 2, flags, max); break;
        default: mode_calls(data + 2, size - 2, flags, max); break;
        }
        return 0;
}
