/* The registry diff as text: counts first, then every change grouped by range (diff.c computes
 * it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/i18n.h"
#include "portscope/update.h"
#include "portscope/util.h"
#include "diff-internal.h"



static void put(FILE *f, json_t *s)
{
        const char *v = json_string_value(s);
        ps_term_escape(f, v ? v : "", (size_t)-1, false);
}

static void put_names(FILE *f, json_t *arr)
{
        json_t *x;
        size_t i;

        if (json_array_size(arr) == 0) {
                fputs(_("(no name)"), f);
                return;
        }
        json_array_foreach(arr, i, x) {
                if (i)
                        fputs(", ", f);
                put(f, x);
        }
}

/* Registry text escaped into a string, to be placed in a translated sentence (caller frees;
 * NULL when out of memory). */
static char *escaped(json_t *s, bool as_names)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        if (!m)
                return NULL;
        if (as_names)
                put_names(m, s);
        else
                put(m, s);
        if (fclose(m) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* A registry status (the JSON's enum) in words. */
static const char *status_words(json_t *s)
{
        const char *v = json_string_value(s);
        return v ? registry_status_label(v) : "?";
}

/* The service of a metadata line, escaped (caller frees): a name, or the kind of an unnamed row
 * (the JSON's "(private)", "(reserved)", "(unassigned)", "(other)") in words. */
static char *service_words(json_t *s)
{
        const char *v = json_string_value(s);

        if (v && strcmp(v, "(private)") == 0)
                /* TRANSLATORS: a registry row without a service name, reserved for private use. */
                return strdup(_("(private)"));
        if (v && strcmp(v, "(reserved)") == 0)
                /* TRANSLATORS: a registry row without a service name: a reserved port. */
                return strdup(_("(reserved)"));
        if (v && strcmp(v, "(unassigned)") == 0)
                /* TRANSLATORS: a registry row without a service name: an unassigned port. */
                return strdup(_("(unassigned)"));
        if (v && strcmp(v, "(other)") == 0)
                /* TRANSLATORS: a registry row without a service name, of no known kind. */
                return strdup(_("(other)"));
        return escaped(s, false);
}

static void put_quoted(FILE *f, json_t *s)
{
        fputc('"', f);
        put(f, s);
        fputc('"', f);
}

static void print_entry(FILE *f, json_t *x)
{
        const char *cat = json_string_value(json_object_get(x, "category"));
        char where[64];
        int n = snprintf(where, sizeof(where), "%s/", json_string_value(json_object_get(x, "ports")));
        json_t *p;
        size_t i;

        json_array_foreach(json_object_get(x, "protocols"), i, p)
                if (n > 0 && (size_t)n < sizeof(where))
                        n += snprintf(where + n, sizeof(where) - (size_t)n, "%s%s", i ? "," : "", json_string_value(p));
        fprintf(f, "    %-18s ", where);
        if (strcmp(cat, "assigned") == 0 || strcmp(cat, "deassigned") == 0) {
                char *names = escaped(json_object_get(x, "names"), true);
                if (strcmp(cat, "assigned") == 0)
                        /* TRANSLATORS: service names, then the port's earlier status ("reserved", "unassigned"). */
                        fprintf(f, _("%s (was %s)"), names ? names : "", status_words(json_object_get(x, "from")));
                else
                        /* TRANSLATORS: service names, then the port's status now ("reserved", "unassigned"),
                         * under the heading "De-assigned". */
                        fprintf(f, _("%s de-assigned, now %s"), names ? names : "", status_words(json_object_get(x, "to")));
                free(names);
        } else if (strcmp(cat, "status") == 0) {
                fprintf(f, "%s → %s", status_words(json_object_get(x, "from")), status_words(json_object_get(x, "to")));
        } else if (strcmp(cat, "renamed") == 0) {
                put_names(f, json_object_get(x, "from"));
                fputs(" → ", f);
                put_names(f, json_object_get(x, "to"));
        } else if (strcmp(cat, "aliases_added") == 0 || strcmp(cat, "aliases_removed") == 0 ||
                   strcmp(cat, "services_added") == 0 || strcmp(cat, "services_removed") == 0) {
                put_names(f, json_object_get(x, "names"));
        } else if (strcmp(cat, "metadata") == 0) {
                const char *k;
                json_t *v;
                bool first = true;
                char *changes = NULL;
                size_t clen = 0;
                FILE *m = open_memstream(&changes, &clen);
                if (m) {
                        /* The field names are the registry's columns (the JSON's keys): not translated. */
                        json_object_foreach(json_object_get(x, "fields"), k, v) {
                                fprintf(m, "%s%s ", first ? "" : ps_i18n_clause_sep(), k);
                                put_quoted(m, json_object_get(v, "old"));
                                fputs(" → ", m);
                                put_quoted(m, json_object_get(v, "new"));
                                first = false;
                        }
                        if (fclose(m) != 0) {
                                free(changes);
                                changes = NULL;
                        }
                }
                char *service = service_words(json_object_get(x, "service"));
                /* TRANSLATORS: a row's service name (or its kind, "(private)"), then the columns that
                 * changed: 'description "old" → "new"; notes "old" → "new"' (column names not
                 * translated). */
                fprintf(f, ps_pgettext("registry diff", "%s: %s"), service ? service : "", changes ? changes : "");
                free(service);
                free(changes);
        } else if (strcmp(cat, "unauthorized_use") == 0) {
                char *service = service_words(json_object_get(x, "service"));
                char *from = escaped(json_object_get(x, "old"), false), *to = escaped(json_object_get(x, "new"), false);
                /* TRANSLATORS: a row's service name (or its kind, "(private)"), then the registry's
                 * unauthorized-use report before and after (registry text, quoted). */
                fprintf(f, _("%s: \"%s\" → \"%s\""), service ? service : "", from ? from : "", to ? to : "");
                free(service);
                free(from);
                free(to);
        }
        fputc('\n', f);
}

/* "Registry SOURCE (newest date D, N rows)", or its second line "→ SOURCE (...)". */
static void print_version(FILE *f, json_t *v, bool second)
{
        const char *date = json_string_value(json_object_get(v, "date"));
        json_int_t rows = json_integer_value(json_object_get(v, "rows"));
        char *src = escaped(json_object_get(v, "source"), false);

        if (!second)
                /* TRANSLATORS: a file name or URL, a date (2026-02-25) and a count of rows. */
                fprintf(f, ps_ngettext("Registry %s (newest date %s, %lld row)\n", "Registry %s (newest date %s, %lld rows)\n",
                                       (unsigned long)rows),
                        src ? src : "", date ? date : _("unknown"), (long long)rows);
        else
                /* TRANSLATORS: the second line under "Registry %s (...)": the newer version; keep the
                 * arrow below "Registry"'s end or start. */
                fprintf(f, ps_ngettext("      → %s (newest date %s, %lld row)\n", "      → %s (newest date %s, %lld rows)\n",
                                       (unsigned long)rows),
                        src ? src : "", date ? date : _("unknown"), (long long)rows);
        free(src);
}

/* A range's heading: "System ports (0-1023)". */
static void print_range_title(FILE *f, const char *range, const char *bounds)
{
        fputc('\n', f);
        /* TRANSLATORS: %s is a span of port numbers, "0-1023". */
        if (strcmp(range, "system") == 0)
                fprintf(f, _("System ports (%s)"), bounds);
        else if (strcmp(range, "user") == 0)
                fprintf(f, _("User ports (%s)"), bounds);
        else if (strcmp(range, "dynamic") == 0)
                fprintf(f, _("Dynamic ports (%s)"), bounds);
        else
                fprintf(f, "%s (%s)", range, bounds);
        fputc('\n', f);
}

void update_diff_print(FILE *f, json_t *d, size_t limit)
{
        json_t *rows = json_object_get(d, "rows");
        json_t *counts = json_object_get(d, "counts"), *no = json_object_get(d, "names_only"), *rg, *x;
        size_t i, j, shown = 0, total = 0;

        print_version(f, json_object_get(d, "old"), false);
        print_version(f, json_object_get(d, "new"), true);
        /* Each count is its own phrase (ps_ngettext), placed in one sentence. */
        long long radded = json_integer_value(json_object_get(rows, "added"));
        long long rremoved = json_integer_value(json_object_get(rows, "removed"));
        char nadded[64], nremoved[64], nchanged[64];
        /* TRANSLATORS: rows of the registry added (after "Rows: "). */
        snprintf(nadded, sizeof(nadded), ps_ngettext("%lld added", "%lld added", (unsigned long)radded), radded);
        /* TRANSLATORS: rows of the registry removed (after "Rows: "). */
        snprintf(nremoved, sizeof(nremoved), ps_ngettext("%lld removed", "%lld removed", (unsigned long)rremoved), rremoved);
        /* TRANSLATORS: the registry's rows added and removed ("3 added", "1 removed"), in this order. */
        fprintf(f, _("Rows: %s, %s (by service name, port and protocol)\n"), nadded, nremoved);
        fputc('\n', f);
        fputs(_("Changes, counted in port/protocol pairs:\n"), f);
        size_t width = 0; /* the longest title in this language: the counts in one column */
        for (size_t c = 0; c < diff_ncategories; c++) {
                size_t w = ps_text_width(_(diff_categories[c].title));
                width = w > width ? w : width;
        }
        for (size_t c = 0; c < diff_ncategories; c++) {
                json_t *cc = json_object_get(counts, diff_categories[c].key);
                fputs("  ", f);
                ps_put_padded(f, _(diff_categories[c].title), (int)width);
                fprintf(f, " %6lld\n", json_integer_value(json_object_get(cc, "pairs")));
                total += (size_t)json_integer_value(json_object_get(cc, "entries"));
        }
        size_t sadded = json_array_size(json_object_get(no, "added")), sremoved = json_array_size(json_object_get(no, "removed")),
               schanged = json_array_size(json_object_get(no, "changed"));
        /* TRANSLATORS: service names (without a port) added. */
        snprintf(nadded, sizeof(nadded), ps_ngettext("%zu added", "%zu added", (unsigned long)sadded), sadded);
        /* TRANSLATORS: service names (without a port) removed. */
        snprintf(nremoved, sizeof(nremoved), ps_ngettext("%zu removed", "%zu removed", (unsigned long)sremoved), sremoved);
        /* TRANSLATORS: service names (without a port) whose rows changed. */
        snprintf(nchanged, sizeof(nchanged), ps_ngettext("%zu changed", "%zu changed", (unsigned long)schanged), schanged);
        /* TRANSLATORS: a line of the table above (indented by two spaces): service names added,
         * removed and changed ("3 added", "1 removed", "0 changed"), in this order. */
        fprintf(f, _("  Service names without a port: %s, %s, %s\n"), nadded, nremoved, nchanged);
        total += json_array_size(json_object_get(no, "added")) + json_array_size(json_object_get(no, "removed")) +
                 json_array_size(json_object_get(no, "changed"));

        json_array_foreach(json_object_get(d, "ranges"), i, rg) {
                json_t *ch = json_object_get(rg, "changes");
                const char *last = NULL;
                if (json_array_size(ch) == 0 || (limit && shown >= limit))
                        continue;
                print_range_title(f, json_string_value(json_object_get(rg, "range")),
                                  json_string_value(json_object_get(rg, "bounds")));
                json_array_foreach(ch, j, x) {
                        if (limit && shown >= limit)
                                break;
                        const char *cat = json_string_value(json_object_get(x, "category"));
                        if (!last || strcmp(last, cat) != 0)
                                fprintf(f, "  %s\n", update_diff_title(cat));
                        last = cat;
                        print_entry(f, x);
                        shown++;
                }
        }
        static const char *const nkinds[][2] = {
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "added", N_("Added") },
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "removed", N_("Removed") },
                /* TRANSLATORS: what happened to a service name without a port (the name follows);
                 * padded to 8 columns. */
                { "changed", N_("Changed") },
        };
        bool header = false;
        for (size_t k = 0; k < 3; k++) {
                json_t *arr = json_object_get(no, nkinds[k][0]);
                json_array_foreach(arr, j, x) {
                        if (limit && shown >= limit)
                                break;
                        if (!header) {
                                fputc('\n', f);
                                fputs(_("Service names without a port\n"), f);
                        }
                        header = true;
                        fputs("  ", f);
                        ps_put_padded(f, _(nkinds[k][1]), 8);
                        fputc(' ', f);
                        put(f, json_object_get(x, "name"));
                        if (*json_string_value(json_object_get(x, "protocol"))) {
                                fputc('/', f);
                                put(f, json_object_get(x, "protocol"));
                        }
                        if (k < 2) {
                                fputs(": ", f);
                                put(f, json_object_get(x, "description"));
                        } else {
                                const char *key;
                                json_t *v;
                                fputs(":", f);
                                bool first = true;
                                json_object_foreach(json_object_get(x, "fields"), key, v) {
                                        fprintf(f, "%s%s ", first ? " " : ps_i18n_clause_sep(), key);
                                        first = false;
                                        put_quoted(f, json_object_get(v, "old"));
                                        fputs(" → ", f);
                                        put_quoted(f, json_object_get(v, "new"));
                                }
                        }
                        fputc('\n', f);
                        shown++;
                }
        }
        if (shown < total) {
                fputc('\n', f);
                /* TRANSLATORS: the number of changes left out, then the --limit given. */
                fprintf(f, ps_ngettext("… %zu more change not shown (--limit %zu; --limit 0 shows all)\n",
                                       "… %zu more changes not shown (--limit %zu; --limit 0 shows all)\n", total - shown),
                        total - shown, limit);
        }
        if (total == 0) {
                fputc('\n', f);
                fputs(_("No differences.\n"), f);
        }
}

