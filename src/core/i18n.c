/* Message lookup: gettext's catalogue of the "portscope" domain. */
#include <libintl.h>

#include "portscope/i18n.h"

const char *ps_gettext(const char *msgid)
{
        return dgettext("portscope", msgid);
}

const char *ps_ngettext(const char *one, const char *many, unsigned long n)
{
        return dngettext("portscope", one, many, n);
}
