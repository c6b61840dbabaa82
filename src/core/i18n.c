/* Messages in the reader's language: gettext (glibc's libintl) and nothing else.
 *
 * The CLI (ps_i18n_init): setlocale(LC_ALL, "") and the domain "portscope", as any gettext
 * program. Many machines have no he_IL (or fr_FR ...) locale generated, and then setlocale()
 * fails and gettext would speak English; so on that failure the process takes the built-in
 * C.UTF-8 locale and, unless LANGUAGE is set, derives LANGUAGE from LC_ALL / LC_MESSAGES / LANG
 * ("he_IL.UTF-8@x" gives "he_IL"; gettext then tries he_IL, then he). `LANG=he_IL.UTF-8
 * portscope info 625` speaks Hebrew with or without the locale.
 *
 * A server (ps_i18n_init_server) writes each page in the language its request asked for, from
 * many threads at once. glibc chooses a catalogue from the process's LC_MESSAGES and LANGUAGE
 * (or a thread's uselocale(), which needs a generated locale per language), and switching
 * either at run time would race. Instead every language has a text domain of its own,
 * "portscope-he", "portscope-ar", ..., whose catalogue exists only in that language's directory
 * (<localedir>/he/LC_MESSAGES/portscope-he.mo, the same catalogue as portscope.mo); the process
 * runs in C.UTF-8 (LANGUAGE is ignored only when LC_MESSAGES is exactly "C") with
 * LANGUAGE=he:ar:fr:de:es, set once before any thread starts. dgettext("portscope-ar", id) then
 * walks he/ (no such file), ar/ (found): each thread picks its language by the domain it names,
 * nothing global changes after start-up, and glibc's lookups are thread-safe. English is the
 * msgids themselves. Tests: tests/unit/test-i18n.c (two threads, two languages).
 *
 * Only the messages (and LC_CTYPE, for the width of text) follow the locale: LC_NUMERIC and LC_TIME
 * stay "C", since JSON, metrics and nmap-format outputs need "0.5" and "Tue Dec 1".
 *
 * Catalogues are looked up in <directory of the executable>/locale first (the build tree:
 * build/locale), then in the installed <prefix>/share/locale; $PORTSCOPE_LOCALEDIR overrides
 * both (tests). */
#include <ctype.h>
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "config.h"
#include "portscope/i18n.h"

#define DOMAIN "portscope"

static const struct ps_language languages[] = {
        /* Group separators as the languages' own conventions (CLDR): French groups with a narrow
         * no-break space (U+202F), German and Spanish with a dot. */
        /* Separators as the languages' own conventions (CLDR, with Latin digits): French groups
         * with a narrow no-break space (U+202F); German and Spanish with a dot; French, German and
         * Spanish write a decimal comma and a space before "%". */
        { "en", "English", "English", false, ",", ".", "" },
        { "he", "עברית", "Hebrew", true, ",", ".", "" },
        { "ar", "العربية", "Arabic", true, ",", ".", "" },
        { "fr", "Français", "French", false, "\u202f", ",", "\u202f" },
        { "de", "Deutsch", "German", false, ".", ",", "\u202f" },
        { "es", "Español", "Spanish", false, ".", ",", "\u202f" },
};
#define N_LANGUAGES (sizeof languages / sizeof languages[0])

/* Process-wide state, written once by the init functions before any thread starts. */
static bool server_mode;
static const struct ps_language *process_lang; /* the language of the environment, once bound */
static char domains[N_LANGUAGES][16];          /* "portscope-he", ... ("" for English) */

static _Thread_local const struct ps_language *thread_lang;

const struct ps_language *ps_languages(size_t *n)
{
        *n = N_LANGUAGES;
        return languages;
}

const struct ps_language *ps_language_find(const char *code, size_t len)
{
        if (!code)
                return NULL;
        for (size_t i = 0; i < N_LANGUAGES; i++)
                if (strlen(languages[i].code) == len && strncasecmp(languages[i].code, code, len) == 0)
                        return &languages[i];
        return NULL;
}

/* Accept-Language (RFC 9110 12.5.4, ranges of RFC 4647 2.1):
 *   Accept-Language = #( language-range [ OWS ";" OWS "q=" qvalue ] )
 *   language-range  = 1*8ALPHA *( "-" 1*8alphanum ) / "*"
 *   qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 * Empty list elements are allowed. Anything else makes the whole header malformed: English. */
#define MAX_RANGES 64
#define MAX_HEADER 4096

struct lang_range {
        const char *tag; /* not terminated; "*" for the wildcard */
        size_t len;
        int q;           /* 0..1000 */
};

static bool is_ows(char c)
{
        return c == ' ' || c == '\t';
}

static const char *skip_ows(const char *p)
{
        while (is_ows(*p))
                p++;
        return p;
}

bool ps_http_qvalue(const char **p, int *ret)
{
        const char *s = *p;
        int q, digits = 0, scale = 100;

        if (*s != '0' && *s != '1')
                return false;
        q = (*s == '1') ? 1000 : 0;
        s++;
        if (*s == '.') {
                s++;
                while (isdigit((unsigned char)*s) && digits < 3) {
                        q += (*s - '0') * scale;
                        scale /= 10;
                        s++;
                        digits++;
                }
                if (isdigit((unsigned char)*s))
                        return false; /* more than three decimals */
        }
        if (q > 1000)
                return false; /* "1.5" */
        *p = s;
        *ret = q;
        return true;
}

/* Splits the header into ranges, leaving out the malformed ones; false when it is too long. */
static bool parse_accept_language(const char *h, struct lang_range *v, size_t *ret_n)
{
        const char *p = h;
        size_t n = 0;

        if (strnlen(h, MAX_HEADER + 1) > MAX_HEADER)
                return false;
        for (;;) {
                struct lang_range r = { .q = 1000 };

                p = skip_ows(p);
                if (*p == ',') { /* empty element */
                        p++;
                        continue;
                }
                if (*p == '\0')
                        break;
                r.tag = p;
                if (*p == '*') {
                        p++;
                } else {
                        size_t sub = 0;
                        bool first = true;

                        for (;;) {
                                while (first ? isalpha((unsigned char)*p) : isalnum((unsigned char)*p)) {
                                        p++;
                                        sub++;
                                }
                                if (sub < 1 || sub > 8)
                                        goto skip;
                                if (*p != '-')
                                        break;
                                p++;
                                sub = 0;
                                first = false;
                        }
                }
                r.len = (size_t)(p - r.tag);
                p = skip_ows(p);
                if (*p == ';') {
                        p = skip_ows(p + 1);
                        if ((*p != 'q' && *p != 'Q') || p[1] != '=')
                                goto skip;
                        p += 2;
                        if (!ps_http_qvalue(&p, &r.q))
                                goto skip;
                        p = skip_ows(p);
                }
                if (*p != ',' && *p != '\0')
                        goto skip;
                if (n < MAX_RANGES)
                        v[n++] = r;
                if (*p == ',')
                        p++;
                continue;
skip:
                /* A malformed element ("fr;q=1.5") is left out; the others still count. */
                p = strchr(p, ',');
                if (!p)
                        break;
                p++;
        }
        *ret_n = n;
        return true;
}

/* How well range r names language code: 3 exact, 2 a longer range of it ("he-IL" for "he"),
 * 1 the wildcard, 0 not at all. */
static int range_match(const struct lang_range *r, const char *code)
{
        size_t cl = strlen(code);

        if (r->len == 1 && r->tag[0] == '*')
                return 1;
        /* "iw", Hebrew's code before 1989, which older systems still send. */
        if (strcmp(code, "he") == 0 && r->len >= 2 && strncasecmp(r->tag, "iw", 2) == 0 && (r->len == 2 || r->tag[2] == '-'))
                return r->len == 2 ? 3 : 2;
        if (r->len == cl && strncasecmp(r->tag, code, cl) == 0)
                return 3;
        if (r->len > cl && r->tag[cl] == '-' && strncasecmp(r->tag, code, cl) == 0)
                return 2;
        return 0;
}

const struct ps_language *ps_language_negotiate(const char *accept_language)
{
        struct lang_range v[MAX_RANGES];
        const struct ps_language *best = &languages[0];
        int best_q = 0;
        size_t best_pos = MAX_RANGES + 1, n;

        if (!accept_language || !parse_accept_language(accept_language, v, &n))
                return &languages[0];
        for (size_t i = 0; i < N_LANGUAGES; i++) {
                /* The most specific range that names the language decides its q (RFC 4647 3.3:
                 * "he-IL" falls back to "he"; of several equally specific, the highest q). */
                int level = 0, q = 0;
                size_t pos = MAX_RANGES;

                for (size_t j = 0; j < n; j++) {
                        int m = range_match(&v[j], languages[i].code);

                        if (m == 0 || m < level)
                                continue;
                        if (m > level || v[j].q > q) {
                                q = v[j].q;
                                pos = j;
                        }
                        level = m;
                }
                /* Equal q: the range written first wins (browsers list by preference). */
                if (level > 0 && q > 0 && (q > best_q || (q == best_q && pos < best_pos))) {
                        best = &languages[i];
                        best_q = q;
                        best_pos = pos;
                }
        }
        return best;
}

/* The catalogue directory: $PORTSCOPE_LOCALEDIR, <exe dir>/locale, or the installed one. */
static void locale_dir(char *buf, size_t size)
{
        const char *env = getenv("PORTSCOPE_LOCALEDIR");
        char self[PATH_MAX];
        ssize_t len;
        struct stat st;

        if (env && *env && (size_t)snprintf(buf, size, "%s", env) < size)
                return;
        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len > 0) {
                char *slash;
                int n;

                self[len] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        *slash = '\0';
                        n = snprintf(buf, size, "%s/locale", self);
                        if (n > 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
                                return;
                }
        }
        snprintf(buf, size, "%s", PORTSCOPE_LOCALEDIR);
}

/* The language of a locale name such as "he_IL.UTF-8@x" (into buf: "he_IL"); false for C/POSIX. */
static bool locale_language(const char *name, char *buf, size_t size)
{
        size_t len = strcspn(name, ".@");

        if (len == 0 || len >= size || strcmp(name, "C") == 0 || strcmp(name, "POSIX") == 0 ||
            strncmp(name, "C.", 2) == 0)
                return false;
        memcpy(buf, name, len);
        buf[len] = '\0';
        return true;
}

static const char *first_env(const char *const *names)
{
        for (; *names; names++) {
                const char *v = getenv(*names);

                if (v && *v)
                        return v;
        }
        return NULL;
}

/* The language of the catalogue gettext chose for domain "portscope" (its "Language:" header). */
static const struct ps_language *catalogue_language(void)
{
        const char *hdr = dgettext(DOMAIN, "");
        const char *l;
        const struct ps_language *lang;

        if (!hdr || !*hdr || !(l = strstr(hdr, "Language: ")))
                return &languages[0];
        l += strlen("Language: ");
        lang = ps_language_find(l, strcspn(l, "_-@.\n"));
        return lang ? lang : &languages[0];
}

void ps_i18n_init(void)
{
        static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG", NULL };
        char dir[PATH_MAX];

        if (!setlocale(LC_ALL, "")) {
                const char *name = first_env(vars);
                char lang[64];

                setlocale(LC_ALL, "C.UTF-8");
                if (name && !getenv("LANGUAGE") && locale_language(name, lang, sizeof(lang)))
                        setenv("LANGUAGE", lang, 1);
        } else if (!first_env(vars) && first_env((const char *const[]){ "LANGUAGE", NULL })) {
                /* LANGUAGE alone: no locale was chosen, and in "C" gettext ignores LANGUAGE. An
                 * explicit LC_ALL=C or LANG=C still means English, as in any gettext program. */
                setlocale(LC_MESSAGES, "C.UTF-8");
                setlocale(LC_CTYPE, "C.UTF-8");
        }
        /* Numbers and dates stay C's: JSON, Prometheus and nmap's formats read "0.5" and "Tue Dec". */
        setlocale(LC_NUMERIC, "C");
        setlocale(LC_TIME, "C");
        locale_dir(dir, sizeof(dir));
        bindtextdomain(DOMAIN, dir);
        bind_textdomain_codeset(DOMAIN, "UTF-8");
        textdomain(DOMAIN);
        /* Read once: the catalogue's header is a lookup and a search (watch asks at every event). */
        process_lang = catalogue_language();
}

void ps_i18n_init_server(void)
{
        char dir[PATH_MAX], list[64] = "";
        size_t used = 0;

        ps_i18n_init();
        locale_dir(dir, sizeof(dir));
        for (size_t i = 1; i < N_LANGUAGES; i++) {
                snprintf(domains[i], sizeof(domains[i]), DOMAIN "-%s", languages[i].code);
                bindtextdomain(domains[i], dir);
                bind_textdomain_codeset(domains[i], "UTF-8");
                int n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ":" : "", languages[i].code);
                if (n > 0 && (size_t)n < sizeof(list) - used)
                        used += (size_t)n;
        }
        /* LANGUAGE applies to every domain, glibc's own too: strerror() would speak the first of
         * the list that the system has a catalogue for (French, often) whatever the user's
         * language. glibc's messages are looked up where it has none, so they stay English. */
        bindtextdomain("libc", dir);
        setlocale(LC_ALL, "C.UTF-8");
        setenv("LANGUAGE", list, 1);
        server_mode = true;
}

void ps_i18n_thread_use(const struct ps_language *lang)
{
        thread_lang = lang;
}

const struct ps_language *ps_i18n_use_english(void)
{
        const struct ps_language *was = thread_lang;
        thread_lang = &languages[0];
        return was;
}

const struct ps_language *ps_i18n_thread_language(void)
{
        if (thread_lang)
                return thread_lang;
        return process_lang ? process_lang : catalogue_language(); /* catalogue_language(): before ps_i18n_init() */
}

/* The domain that speaks this thread's language; NULL: English (the msgids themselves). */
static const char *thread_domain(void)
{
        const struct ps_language *l = thread_lang;

        if (!server_mode) {
                /* Only the environment's language is bound: English on request, else the locale. */
                return (l && strcmp(l->code, "en") == 0) ? NULL : DOMAIN;
        }
        if (!l)
                l = process_lang;
        for (size_t i = 0; i < N_LANGUAGES; i++)
                if (l == &languages[i])
                        return i == 0 ? NULL : domains[i];
        /* By code: the caller's pointer need not point into the table. */
        l = ps_language_find(l->code, strlen(l->code));
        return (!l || l == &languages[0]) ? NULL : domains[l - languages];
}

const char *ps_gettext(const char *msgid)
{
        const char *d = thread_domain();

        return d ? dgettext(d, msgid) : msgid;
}

/* gettext's pgettext: the catalogue key is "context\004msgid"; untranslated, the msgid alone. */
const char *ps_pgettext(const char *context, const char *msgid)
{
        const char *d = thread_domain();
        char key[256];
        int n;

        if (!d)
                return msgid;
        n = snprintf(key, sizeof(key), "%s\004%s", context, msgid);
        if (n < 0 || (size_t)n >= sizeof(key))
                return msgid;
        const char *t = dgettext(d, key);
        return t == key ? msgid : t;
}

bool ps_i18n_is_english(void)
{
        return strcmp(ps_i18n_thread_language()->code, "en") == 0;
}

const char *ps_i18n_clause_sep(void)
{
        /* TRANSLATORS: the separator between two clauses of a sentence ("...; ..."), in a verdict's
         * reason, on a page, in a history or a diff. */
        return ps_pgettext("clause separator", "; ");
}

const char *ps_ngettext(const char *one, const char *many, unsigned long n)
{
        const char *d = thread_domain();

        return d ? dngettext(d, one, many, n) : (n == 1 ? one : many);
}

const char *ps_i18n_number(unsigned long long v, char *buf, size_t len)
{
        char digits[24];
        int n = snprintf(digits, sizeof(digits), "%llu", v);
        const char *sep = ps_i18n_thread_language()->group;
        size_t seplen = strlen(sep), o = 0;

        if (len == 0)
                return buf;
        for (int i = 0; i < n; i++) {
                if (i > 0 && (n - i) % 3 == 0) {
                        if (o + seplen >= len)
                                break;
                        memcpy(buf + o, sep, seplen);
                        o += seplen;
                }
                if (o + 1 >= len)
                        break;
                buf[o++] = digits[i];
        }
        buf[o] = '\0';
        return buf;
}

const char *ps_i18n_percent(double v, int prec, char *buf, size_t len)
{
        const struct ps_language *l = ps_i18n_thread_language();
        char num[64];
        int n = snprintf(num, sizeof(num), "%.*f", prec < 0 ? 0 : prec > 12 ? 12 : prec, v);
        char *dot = n > 0 ? strchr(num, '.') : NULL;

        if (dot)
                *dot = '\0';
        snprintf(buf, len, "%s%s%s%s%%", num, dot ? l->decimal : "", dot ? dot + 1 : "", l->percent_gap);
        return buf;
}

size_t ps_text_width(const char *s)
{
        mbstate_t st = { 0 };
        size_t w = 0;

        while (*s) {
                wchar_t wc;
                size_t n = mbrtowc(&wc, s, MB_LEN_MAX, &st);
                int cw;

                if (n == (size_t)-1 || n == (size_t)-2) {
                        memset(&st, 0, sizeof(st));
                        w++;
                        s++;
                        continue;
                }
                cw = wcwidth(wc);
                w += cw > 0 ? (size_t)cw : 0;
                s += n;
        }
        return w;
}

void ps_put_padded(FILE *f, const char *s, int width)
{
        size_t w = ps_text_width(s);

        fputs(s, f);
        for (; width > 0 && w < (size_t)width; w++)
                fputc(' ', f);
}
