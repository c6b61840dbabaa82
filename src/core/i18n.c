/* Message lookup: gettext's catalogue of the "portscope" domain.
 * (Placeholder: English only until the catalogues are built; the interface is final.) */
#include <libintl.h>
#include <string.h>
#include <strings.h>

#include "portscope/i18n.h"

static const struct ps_language languages[] = {
        {"en", "English", "English", false},
};

static _Thread_local const struct ps_language *thread_lang;

const struct ps_language *ps_languages(size_t *n)
{
        *n = sizeof languages / sizeof languages[0];
        return languages;
}

const struct ps_language *ps_language_find(const char *code, size_t len)
{
        for (size_t i = 0; i < sizeof languages / sizeof languages[0]; i++)
                if (strlen(languages[i].code) == len && strncasecmp(languages[i].code, code, len) == 0)
                        return &languages[i];
        return NULL;
}

const struct ps_language *ps_language_negotiate(const char *accept_language)
{
        (void)accept_language;
        return &languages[0];
}

void ps_i18n_init(void) {}
void ps_i18n_init_server(void) {}

void ps_i18n_thread_use(const struct ps_language *lang)
{
        thread_lang = lang;
}

const struct ps_language *ps_i18n_thread_language(void)
{
        return thread_lang ? thread_lang : &languages[0];
}

const char *ps_gettext(const char *msgid)
{
        return dgettext("portscope", msgid);
}

const char *ps_ngettext(const char *one, const char *many, unsigned long n)
{
        return dngettext("portscope", one, many, n);
}
