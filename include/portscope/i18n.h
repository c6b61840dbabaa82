/* Messages in the reader's language (gettext).
 *
 * Every sentence portscope composes for a person goes through _() (or ngettext's ps_ngettext);
 * N_() marks a string for xgettext where it is stored and translated later. Keys, enums, JSON and
 * registry text (IANA's English) are never translated. The CLI follows LANG/LC_MESSAGES/LANGUAGE;
 * a server thread chooses the language of the page it is writing. */
#ifndef PORTSCOPE_I18N_H
#define PORTSCOPE_I18N_H

#define _(s) ps_gettext(s)
#define N_(s) (s)

const char *ps_gettext(const char *msgid);
const char *ps_ngettext(const char *one, const char *many, unsigned long n);

#endif
