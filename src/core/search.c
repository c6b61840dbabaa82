/* Search across the registry's rows and the knowledge entries. */
#include "portscope/search.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portscope/jsonw.h"
#include "portscope/portinfo.h"
#include "portscope/util.h"

struct collector {
        struct search_hit *v;
        size_t n, cap;
};

static int add(struct collector *c, struct search_hit h)
{
        if (PS_GROW(c->v, c->cap, c->n + 1, SIZE_MAX) < 0)
                return -ENOMEM;
        c->v[c->n++] = h;
        return 0;
}

static int name_score(const char *name, const char *q)
{
        if (strcasecmp(name, q) == 0)
                return 100;
        if (strncasecmp(name, q, strlen(q)) == 0)
                return 80;
        if (ps_strcasestr(name, q))
                return 60;
        return 0;
}

static int cmp_hits(const void *a, const void *b)
{
        const struct search_hit *x = a, *y = b;
        if (x->score != y->score)
                return y->score - x->score;
        if (x->kind != y->kind)
                return (int)x->kind - (int)y->kind;
        if (x->kind == SEARCH_HIT_ROW)
                return (x->row_id > y->row_id) - (x->row_id < y->row_id);
        return (x->entry > y->entry) - (x->entry < y->entry);
}

long search_run(const struct registry *r, const struct knowledge *k, const char *text, struct search_hit *out,
                size_t max)
{
        struct collector c = { 0 };
        uint32_t nrows = registry_nrows(r);

        if (!*text)
                return 0;
        for (uint32_t i = 0; i < nrows; i++) {
                struct registry_row row;
                struct search_hit h = { .kind = SEARCH_HIT_ROW, .row_id = i };
                registry_row(r, i, &row);
                if (row.kind == REGISTRY_ROW_RESERVED || row.kind == REGISTRY_ROW_UNASSIGNED)
                        continue;
                if ((h.score = name_score(row.service, text)))
                        h.field = "name";
                else if (ps_strcasestr(row.description, text))
                        h.field = "description", h.score = 40;
                else if (ps_strcasestr(row.assignee, text) || ps_strcasestr(row.contact, text))
                        h.field = "assignee", h.score = 20;
                else if (ps_strcasestr(row.notes, text))
                        h.field = "notes", h.score = 20;
                else if (ps_strcasestr(row.reference, text))
                        h.field = "reference", h.score = 10;
                else
                        continue;
                if (add(&c, h) < 0)
                        goto oom;
        }
        for (size_t i = 0; k && i < knowledge_nentries(k); i++) {
                const struct knowledge_entry *e = knowledge_entry(k, i);
                struct search_hit h = { .kind = SEARCH_HIT_KNOWLEDGE, .entry = e };
                if ((h.score = name_score(e->name, text)))
                        h.field = "name";
                else if (ps_strcasestr(e->summary, text))
                        h.field = "summary", h.score = 40;
                else {
                        for (size_t j = 0; j < e->nprocesses && !h.score; j++)
                                if (strcasecmp(e->processes[j], text) == 0)
                                        h.field = "process", h.score = 50;
                        if (!h.score)
                                continue;
                }
                if (add(&c, h) < 0)
                        goto oom;
        }
        if (c.n) /* qsort(NULL, 0, ...) is undefined */
                qsort(c.v, c.n, sizeof(*c.v), cmp_hits);
        for (size_t i = 0; i < c.n && i < max; i++)
                out[i] = c.v[i];
        free(c.v);
        return (long)c.n;
oom:
        free(c.v);
        return -ENOMEM;
}

int search_write(struct jsonw *w, const struct registry *r, const struct knowledge *k, const char *text, size_t max)
{
        struct search_hit *hits = calloc(max ? max : 1, sizeof(*hits));
        long n;

        if (!hits)
                return -ENOMEM;
        n = search_run(r, k, text, hits, max);
        if (n < 0) {
                free(hits);
                return (int)n;
        }
        json_t *src = portinfo_source_json(r);
        jsonw_begin_object(w);
        jsonw_name(w, "query");
        jsonw_string(w, text);
        jsonw_name(w, "registry");
        jsonw_json(w, src);
        json_decref(src);
        jsonw_name(w, "total");
        jsonw_int(w, n);
        jsonw_name(w, "results");
        jsonw_begin_array(w);
        for (size_t i = 0; i < (size_t)n && i < max; i++) {
                /* A row and a knowledge entry are portinfo's jansson values (the API's too). */
                json_t *v = hits[i].kind == SEARCH_HIT_ROW ? portinfo_row_json(r, hits[i].row_id)
                                                           : portinfo_knowledge_json(hits[i].entry);
                jsonw_begin_object(w);
                jsonw_name(w, "type");
                jsonw_string(w, hits[i].kind == SEARCH_HIT_ROW ? "registry" : "knowledge");
                jsonw_name(w, hits[i].kind == SEARCH_HIT_ROW ? "row" : "entry");
                jsonw_json(w, v);
                jsonw_name(w, "matched");
                jsonw_string(w, hits[i].field);
                jsonw_end_object(w);
                json_decref(v);
        }
        jsonw_end_array(w);
        jsonw_end_object(w);
        free(hits);
        return jsonw_error(w);
}

json_t *search_json(const struct registry *r, const struct knowledge *k, const char *text, size_t max)
{
        /* The writer's document read back: one definition of the object for the CLI and the API. */
        struct dynbuf b = DYNBUF_INIT((size_t)256 << 20); /* the whole registry is ~10 MB */
        struct jsonw w;
        json_t *o = NULL;

        jsonw_init_dynbuf(&w, &b, 0);
        if (search_write(&w, r, k, text, max) == 0 && jsonw_finish(&w) == 0)
                o = json_loadb(dynbuf_ptr(&b), dynbuf_len(&b), JSON_ALLOW_NUL, NULL);
        dynbuf_free(&b);
        return o;
}
