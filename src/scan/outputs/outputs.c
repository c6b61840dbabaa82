/* portscope scan — the output table and helpers. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outputs.h"
#include "portscope/util.h"

const struct scan_output *const scan_outputs[] = {
        &scan_output_text, &scan_output_json, &scan_output_jsonl, &scan_output_xml, &scan_output_grep, NULL,
};

const struct scan_output *scan_output_find(const char *name)
{
        for (size_t i = 0; scan_outputs[i]; i++)
                if (strcmp(scan_outputs[i]->name, name) == 0)
                        return scan_outputs[i];
        return NULL;
}

char *scan_escape(const char *s, size_t len)
{
        char *buf = NULL;
        size_t blen = 0;
        FILE *f = open_memstream(&buf, &blen);
        if (!f)
                return NULL;
        ps_term_escape(f, s, len, false);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

void scan_xml_escape(FILE *f, const char *s)
{
        size_t len = strlen(s);

        for (size_t i = 0; i < len;) {
                uint32_t cp = 0;
                size_t n = ps_utf8_seq(s + i, len - i, &cp);
                /* Invalid UTF-8, U+FFFE and U+FFFF are not XML characters, whatever reached here. */
                if (n == 0 || cp == 0xfffe || cp == 0xffff) {
                        fputs("\xef\xbf\xbd", f);
                        i += n ? n : 1;
                        continue;
                }
                switch (cp) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&apos;", f); break;
                default:
                        if (cp >= 0x20 || cp == '\t')
                                fwrite(s + i, 1, n, f);
                }
                i += n;
        }
}

void scan_addr_str(const struct scan_addr *a, char *buf, size_t len)
{
        if (scan_addr_format(a, buf, len) < 0 && len)
                buf[0] = '\0';
}

char *scan_service_desc(const struct scan_service *s)
{
        char raw[sizeof(s->product) + sizeof(s->version) + sizeof(s->info) + 8];
        int n = snprintf(raw, sizeof(raw), "%s%s%s%s%s%s", s->product, s->product[0] && s->version[0] ? " " : "",
                         s->version, (s->product[0] || s->version[0]) && s->info[0] ? " (" : (s->info[0] ? "(" : ""),
                         s->info, s->info[0] ? ")" : "");
        if (n < 0)
                raw[0] = '\0';
        return scan_escape(raw, strlen(raw));
}

void scan_registered_name(const struct scan_port_report *p, char *buf, size_t len)
{
        const char *reg = p->facts ? p->facts->registered : "";
        snprintf(buf, len, "%.*s", (int)strcspn(reg, ","), reg);
}

void scan_timestr(long long t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;
        if (len)
                buf[0] = '\0';
        if (localtime_r(&tt, &tm))
                strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm);
}

bool scan_host_shown(const struct scan_report *rep, const struct scan_host_report *h)
{
        if (rep->all_states)
                return true;
        if (!h->nports && !h->filtered && !h->open_filtered)
                return false;
        return h->up || h->open_filtered || scan_total_hosts(rep, 0) <= SCAN_SILENT_HOSTS_SHOWN;
}
