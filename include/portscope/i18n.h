/* Messages in the reader's language (gettext).
 *
 * Every sentence portscope composes for a person goes through _() (or ps_ngettext for counts);
 * N_() marks a string for xgettext where it is stored and translated later. Keys, enums, JSON and
 * registry text (IANA's English) are never translated. The CLI follows LANG/LC_MESSAGES/LANGUAGE;
 * a server thread chooses the language of the page it is writing with ps_i18n_thread_use(). */
#ifndef PORTSCOPE_I18N_H
#define PORTSCOPE_I18N_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define _(s) ps_gettext(s)
#define N_(s) s /* unparenthesised: also initialises a char array */

struct ps_language {
        const char *code;         /* "en", "he", ... (BCP 47 primary tag; URL prefix /he/) */
        const char *native_name;  /* "עברית", in its own script, for the language switcher */
        const char *english_name; /* "Hebrew" */
        bool rtl;                 /* written right to left: <html dir="rtl"> */
        const char *group;        /* the digit group separator of counts and ranks: "," or "." ... */
        const char *decimal;      /* the decimal separator: "." or "," */
        const char *percent_gap;  /* between a number and "%": "" or a narrow no-break space */
};

/* The languages portscope has catalogues for, English first. */
const struct ps_language *ps_languages(size_t *n);
/* The language with this code (len bytes; case-insensitive), or NULL. */
const struct ps_language *ps_language_find(const char *code, size_t len);
/* The best language for an Accept-Language header (RFC 9110 12.5.4: q-values, ranges such as
 * "he-IL" matching "he", "*"); English when nothing matches or the header is NULL or malformed. */
const struct ps_language *ps_language_negotiate(const char *accept_language);

/* The CLI: the locale from the environment, the catalogue bound. Call first thing in main(). */
void ps_i18n_init(void);
/* A server: every language's catalogue bound so that any thread can write in any language. */
void ps_i18n_init_server(void);
/* _() in this thread speaks `lang` from now on (NULL: the process's own locale, as in the CLI). */
void ps_i18n_thread_use(const struct ps_language *lang);
/* This thread speaks English from now on (what machine-readable output is written in); returns
 * the language it spoke, for ps_i18n_thread_use() to restore. */
const struct ps_language *ps_i18n_use_english(void);
/* The language this thread speaks (English when the CLI has no catalogue for the locale). */
const struct ps_language *ps_i18n_thread_language(void);

/* format_arg: printf-style checks see through _() to the msgid (-Wformat=2 stays on). */
const char *ps_gettext(const char *msgid) __attribute__((format_arg(1)));
/* A msgid in a context, where one English word means two things ("none" as a severity and as an
 * absent cache); xgettext's keyword ps_pgettext:1c,2. */
const char *ps_pgettext(const char *context, const char *msgid) __attribute__((format_arg(2)));
const char *ps_ngettext(const char *one, const char *many, unsigned long n)
        __attribute__((format_arg(1), format_arg(2)));

/* Whether this thread speaks English (then one text serves people and programs alike). */
bool ps_i18n_is_english(void);
/* The separator between two clauses of a sentence in this thread's language ("; " in English,
 * "\u00a0; " in French, "؛ " in Arabic): for reasons, pages and every clause list people read. */
const char *ps_i18n_clause_sep(void);

/* v with its digits grouped in this thread's language ("1,283", "1.283", "1 283"); returns buf. */
const char *ps_i18n_number(unsigned long long v, char *buf, size_t len);

/* v% with prec decimals as this thread's language writes it ("0.1869%", "0,1869 %"); returns buf. */
const char *ps_i18n_percent(double v, int prec, char *buf, size_t len);

/* Terminal columns of UTF-8 text (wide characters count two, combining marks none; a byte that is
 * not UTF-8 counts one), so that translated table headings and words line up. */
/* An HTTP weight (RFC 9110, section 12.4.2: "0", "0.5", "1.000") at *p, after "q=", in
 * thousandths; moves *p past it. False when malformed ("1.5", four decimals). Accept-Language's
 * parser and serve's Accept-Encoding share it. */
bool ps_http_qvalue(const char **p, int *ret);

size_t ps_text_width(const char *s);
/* Writes s and pads it with spaces to width columns (nothing when it is wider). */
void ps_put_padded(FILE *f, const char *s, int width);

#endif
