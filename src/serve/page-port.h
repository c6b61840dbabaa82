/* portscope serve — the parts of the port page (page-port.c, page-port-explain.c). */
#pragma once

#include "pages.h"

#define PAGE_MAX_REFS 24

/* Numbered references of one page, in order of first citation. */
struct page_refs {
        size_t n;
        struct {
                char text[200];
                char url[300];
        } v[PAGE_MAX_REFS];
};

/* What the page knows of its port, gathered once. */
struct page_port_facts {
        uint16_t port;
        enum registry_status st[PS_NPROTO];
        const uint32_t *rows; /* registry rows covering the port, file order */
        size_t nrows;
        const struct knowledge_entry *const *ke; /* known uses, mainstream first */
        size_t nke;
        long rank_tcp, rank_udp; /* rank in nmap-services (1 = most often open), 0 when absent */
        const char *advice;      /* what to think of a listener (portinfo_advice) */
        bool private_use;        /* every protocol assigned is so only for private use ("any private
                                  * mail system"): no named service */
};

/* The rank of port among proto's ports in nmap-services, 1 = most often open; 0 when it has no
 * entry; -ENOMEM. */
long page_nmap_rank(const struct registry *r, enum ps_proto proto, uint16_t port);
/* Orders known uses: applications, development, tools, then misuse, malware, C2 (stable). */
void page_knowledge_sort(const struct knowledge_entry **ke, size_t n);
void page_port_explain(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f,
                       struct page_refs *refs);
void page_port_rows(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f,
                    struct page_refs *refs);
/* The port's history across the registry versions `update` kept (page-port-history.c). */
void page_port_history(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f);
void page_port_faq(const struct http_ctx *c, struct http_buf *b, const struct page_port_facts *f);
/* Cites e's source (a link when it is an http(s) URL). */
void page_port_knowledge_refs(struct http_buf *b, struct page_refs *refs, const struct knowledge_entry *e);
void page_refs_print(struct http_buf *b, const struct page_refs *refs);
