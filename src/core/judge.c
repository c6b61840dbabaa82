/* The verdict engine. The rules are tried in this order (docs/verdicts.md):
 *
 *   scan: closed or filtered                           → info/none      not-open
 *   audit --all: a connection                          → info/none      connection
 *   the baseline names it                              → expected/none  baseline
 *   a raw or packet socket, its holder known for one   → expected/none  raw
 *   a raw or packet socket, nothing explains it        → suspicious/medium (a packet socket with a
 *                                                        BPF filter: high; owner unknown:
 *                                                        unexplained/medium; one that receives
 *                                                        nothing: info/low) raw-unexplained
 *   a known server of the service assigned to the port → expected/none  known-server
 *   a knowledge entry for the port names the occupant  → expected/none  known-use (application,
 *                                                        development), info/low (tool, misuse),
 *                                                        suspicious/high (c2)
 *   a malware entry for the port names the occupant    → suspicious/high threat-named
 *   UDP client socket of a server, ephemeral range     → info/none      ephemeral-client
 *   malware or C2 entry on the exact port, unexplained → suspicious/high threat-port
 *     (unless the port's assigned service is common-   (scan, service not identified: unexplained/medium)
 *     place: known servers and open on >= 1% of hosts
 *     in nmap-services; then the entry is about attacks)
 *   scan, not identified, an application entry on the   → info/low      likely-use
 *     exact port of a port with no assigned server
 *   system port not assigned                           → suspicious/high system-unregistered
 *   assigned for private use                           → unexplained/medium private-use
 *   assigned, servers known, occupant is not one       → mismatch/medium
 *   assigned, no servers known                         → unexplained/medium no-servers-known
 *                                                        (scan, service not identified: info/none)
 *   assigned, occupant unknown                         → unexplained/medium owner-unknown
 *   user port not assigned                             → unexplained/medium user-unregistered
 *   dynamic port                                       → info/low       dynamic
 * then "reachable from loopback only" lowers the severity one step.
 *
 * Knowledge is weighed: every entry covering the (port, protocol) is considered, entries on the
 * exact port (or a narrow range) before wide ranges, and a wide range (RTP's 10000-20000,
 * Kubernetes NodePorts) explains only an occupant it names: it is never cited against one. */
#include "portscope/judge.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "portscope/i18n.h"

static const char *const kind_names[VERDICT_NKINDS] = { "expected", "info", "unexplained", "mismatch", "suspicious" };
static const char *const sev_names[4] = { "none", "low", "medium", "high" };
static const char *const rule_names[JUDGE_NRULES] = {
        "not-open",        "connection",          "baseline",    "raw",             "raw-unexplained",
        "known-server",    "known-use",           "threat-named", "ephemeral-client",
        "runtime-use",     "disguised",           "stray-executable", "threat-port",     "likely-use",          "system-unregistered", "private-use",
        "socket-activation", "mismatch",
        "no-servers-known", "owner-unknown",      "user-unregistered", "dynamic",
        "no-registry",
};

/* A range wider than this is a convention for a span of ports, not a claim about each port. */
#define NARROW_SPAN 16
/* nmap-services' fraction of scanned hosts with the port open above which its service is
 * commonplace (about the 100 most often open TCP ports). */
#define COMMONPLACE 0.01

const char *verdict_kind_name(enum verdict_kind k)
{
        return (unsigned)k < VERDICT_NKINDS ? kind_names[k] : "?";
}

const char *verdict_severity_name(enum verdict_severity s)
{
        return (unsigned)s < 4 ? sev_names[s] : "?";
}

int verdict_severity_parse(const char *s, enum verdict_severity *ret)
{
        for (unsigned i = 0; i < 4; i++)
                if (strcasecmp(s, sev_names[i]) == 0) {
                        *ret = (enum verdict_severity)i;
                        return 0;
                }
        return -EINVAL;
}

const char *judge_rule_name(enum judge_rule r)
{
        return (unsigned)r < JUDGE_NRULES ? rule_names[r] : "?";
}

/* ---- identity -------------------------------------------------------------------------------- */

void judge_identity_add(struct judge_identity *id, const char *name)
{
        if (!name || !*name || id->nnames >= JUDGE_MAX_NAMES)
                return;
        for (size_t i = 0; i < id->nnames; i++)
                if (strcasecmp(id->names[i], name) == 0)
                        return;
        id->names[id->nnames++] = name;
        if (!id->display)
                id->display = name;
}

/* Copies [s, s + n) into the identity's storage and adds it. */
static void add_copy(struct judge_identity *id, const char *s, size_t n)
{
        if (n == 0 || id->used + n + 1 > sizeof(id->store))
                return;
        char *d = id->store + id->used;
        memcpy(d, s, n);
        d[n] = '\0';
        for (size_t i = 0; i < id->nnames; i++)
                if (strcasecmp(id->names[i], d) == 0)
                        return;
        id->used += n + 1;
        judge_identity_add(id, d);
}

static const char *base_of(const char *s, size_t *len)
{
        const char *b = s;
        for (size_t i = 0; i < *len; i++)
                if (s[i] == '/')
                        b = s + i + 1;
        *len -= (size_t)(b - s);
        return b;
}

static bool has_suffix(const char *s, size_t n, const char *suf)
{
        size_t m = strlen(suf);
        return n > m && strncasecmp(s + n - m, suf, m) == 0;
}

enum interp { I_NONE, I_PYTHON, I_JAVA, I_NODE, I_RUBY, I_PERL, I_PHP };

static enum interp interpreter(const char *s, size_t n)
{
        if (n >= 6 && strncmp(s, "python", 6) == 0)
                return I_PYTHON;
        if ((n == 4 && strncmp(s, "java", 4) == 0))
                return I_JAVA;
        if ((n == 4 && strncmp(s, "node", 4) == 0) || (n == 6 && strncmp(s, "nodejs", 6) == 0))
                return I_NODE;
        if (n >= 4 && strncmp(s, "ruby", 4) == 0)
                return I_RUBY;
        if (n >= 4 && strncmp(s, "perl", 4) == 0)
                return I_PERL;
        if (n >= 3 && strncmp(s, "php", 3) == 0 && !(n >= 7 && strncmp(s, "php-fpm", 7) == 0))
                return I_PHP;
        return I_NONE;
}

bool judge_is_interpreter(const char *name)
{
        return name && interpreter(name, strlen(name)) != I_NONE;
}

/* Options of the interpreter that take a separate argument. */
static bool takes_arg(enum interp k, const char *o, size_t n)
{
        static const char *const py[] = { "-W", "-X", "-c", NULL };
        static const char *const java[] = { "-cp", "-classpath", "--class-path", "-p", "--module-path", NULL };
        static const char *const rb[] = { "-I", "-r", "-e", NULL };
        const char *const *v = k == I_PYTHON ? py : k == I_JAVA ? java : k == I_RUBY || k == I_PERL ? rb : NULL;
        for (; v && *v; v++)
                if (strlen(*v) == n && strncmp(*v, o, n) == 0)
                        return true;
        return false;
}

/* The display "comm script" of an interpreter running script (the script's basename as given). */
static void set_display(struct judge_identity *id, const char *comm, const char *s, size_t n)
{
        size_t c = comm ? strlen(comm) : 0;
        if (!c || id->used + c + 1 + n + 1 > sizeof(id->store))
                return;
        char *d = id->store + id->used;
        memcpy(d, comm, c);
        d[c] = ' ';
        memcpy(d + c + 1, s, n);
        d[c + 1 + n] = '\0';
        id->used += c + n + 2;
        id->display = d;
        id->program = d + c + 1;
}

/* Whether option o gives the program's code on the command line itself. */
static bool inline_code(enum interp k, const char *o, size_t n)
{
        static const char *const py[] = { "-c", NULL };
        static const char *const e[] = { "-e", "-E", NULL };
        static const char *const node[] = { "-e", "--eval", "-p", "--print", NULL };
        const char *const *v = k == I_PYTHON ? py : k == I_RUBY || k == I_PERL ? e : k == I_NODE ? node : NULL;
        for (; v && *v; v++)
                if (strlen(*v) == n && strncmp(*v, o, n) == 0)
                        return true;
        return false;
}

/* The script, module or jar s an interpreter runs; display: the process is the identity's first,
 * which the reasons name ("python3 app.py"). */
static void add_script(struct judge_identity *id, enum interp k, const char *s, size_t n, bool display)
{
        static const char *const suffixes[] = { ".py", ".jar", ".war", ".js", ".mjs", ".cjs", ".rb", ".pl", ".php", NULL };

        s = base_of(s, &n);
        if (n == 0)
                return;
        if (display)
                set_display(id, id->display, s, n);
        add_copy(id, s, n); /* "manage.py", as a knowledge file may list it */
        for (const char *const *x = suffixes; *x; x++)
                if (has_suffix(s, n, *x)) {
                        n -= strlen(*x);
                        break;
                }
        if (k == I_JAVA) {
                /* A main class "org.example.Main": its last component too. */
                const char *dot = memrchr(s, '.', n);
                add_copy(id, s, n);
                if (dot && dot + 1 < s + n)
                        add_copy(id, dot + 1, (size_t)(s + n - dot - 1));
                return;
        }
        add_copy(id, s, n);
}

enum program_kind { PROGRAM_NONE, PROGRAM_FILE, PROGRAM_MODULE };

/* The program an interpreter's command line runs (args after argv[0], separated by spaces): a
 * script or jar (PROGRAM_FILE: "app.py", "/opt/x.jar") or a module (python -m http.server,
 * -mhttp.server); none when the code is on the command line (python -c, ruby/perl -e, node -e). */
static enum program_kind program_of(enum interp k, const char *p, const char **ret, size_t *ret_len)
{
        bool skip_next = false, module_next = false, jar_next = false;
        size_t n;
        for (; *p;) {
                p += strspn(p, " ");
                n = strcspn(p, " ");
                if (n == 0)
                        break;
                if (skip_next) {
                        skip_next = false;
                } else if (module_next || jar_next) {
                        *ret = p;
                        *ret_len = n;
                        return module_next ? PROGRAM_MODULE : PROGRAM_FILE;
                } else if (p[0] == '-') {
                        if (inline_code(k, p, n))
                                return PROGRAM_NONE;
                        if (k == I_PYTHON && n == 2 && p[1] == 'm')
                                module_next = true;
                        else if (k == I_PYTHON && n > 2 && p[1] == 'm') {
                                *ret = p + 2;
                                *ret_len = n - 2;
                                return PROGRAM_MODULE;
                        } else if (k == I_JAVA && n == 4 && strncmp(p, "-jar", 4) == 0)
                                jar_next = true;
                        else if (takes_arg(k, p, n))
                                skip_next = true;
                } else {
                        *ret = p;
                        *ret_len = n;
                        return PROGRAM_FILE;
                }
                p += n;
        }
        return PROGRAM_NONE;
}

/* The interpreter a command line (or, failing its argv[0], comm) names. */
static enum interp interpreter_of(const char *comm, const char *cmdline, const char **ret_args)
{
        size_t n = strcspn(cmdline, " "), bn = n;
        const char *b = base_of(cmdline, &bn);
        enum interp k = interpreter(b, bn);
        if (k == I_NONE && comm)
                k = interpreter(comm, strlen(comm));
        *ret_args = cmdline + n;
        return k;
}

void judge_identity_from_process(struct judge_identity *id, const char *comm, const char *exe, const char *argv0,
                                 const char *cmdline)
{
        bool first = id->nnames == 0;
        judge_identity_add(id, comm);
        judge_identity_add(id, exe);
        judge_identity_add(id, argv0);
        if (!cmdline || !*cmdline)
                return;
        const char *args, *p;
        size_t n;
        enum interp k = interpreter_of(comm, cmdline, &args);
        if (k == I_NONE)
                return;
        for (size_t i = 0; i < id->nnames; i++) {
                size_t m = strlen(id->names[i]);
                const char *nb = base_of(id->names[i], &m);
                if (interpreter(nb, m) != I_NONE)
                        id->interpreter |= 1u << i;
        }
        switch (program_of(k, args, &p, &n)) {
        case PROGRAM_MODULE: {
                /* python -m http.server: the module, and its package ("http"). */
                add_script(id, k, p, n, first);
                const char *dot = memchr(p, '.', n);
                if (dot)
                        add_copy(id, p, (size_t)(dot - p));
                break;
        }
        case PROGRAM_FILE:
                add_script(id, k, p, n, first); /* the script; java -jar app.jar: the jar */
                break;
        case PROGRAM_NONE:
                break;
        }
}

void judge_identity_from_service(struct judge_identity *id, const char *service, const char *product)
{
        judge_identity_add(id, service);
        for (const char *p = product; p && *p;) {
                p += strspn(p, " /-_(),;:");
                size_t n = strcspn(p, " /-_(),;:");
                if (n >= 3) {
                        char w[48];
                        size_t m = n < sizeof(w) - 1 ? n : sizeof(w) - 1;
                        for (size_t i = 0; i < m; i++)
                                w[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
                        add_copy(id, w, m);
                }
                p += n;
        }
}

static bool identity_has(const struct judge_identity *id, const char *name, const char **ret_matched)
{
        for (size_t i = 0; id && i < id->nnames; i++)
                if (!(id->interpreter >> i & 1u) && strcasecmp(id->names[i], name) == 0) {
                        *ret_matched = id->names[i];
                        return true;
                }
        return false;
}

/* The name by which the occupant runs on the interpreter that name (a knowledge entry's
 * process) is, or NULL: "python3.11" for "python3", "node" for "node". */
const char *judge_identity_runs_on(const struct judge_identity *id, const char *name)
{
        enum interp want = name ? interpreter(name, strlen(name)) : I_NONE;
        for (size_t i = 0; id && want != I_NONE && i < id->nnames; i++) {
                size_t m = strlen(id->names[i]);
                const char *b = base_of(id->names[i], &m);
                if ((id->interpreter >> i & 1u) && interpreter(b, m) == want)
                        return id->names[i];
        }
        return NULL;
}

/* Whether e covers (port, proto) with an item no wider than NARROW_SPAN ports. */
static bool covers_narrowly(const struct knowledge_entry *e, uint16_t port, enum ps_proto proto)
{
        for (size_t i = 0; i < e->nports; i++) {
                const struct ps_portspec *r = &e->ports[i];
                if ((r->protos & PS_PROTO_BIT(proto)) && r->lo <= port && port <= r->hi &&
                    (unsigned)(r->hi - r->lo) < NARROW_SPAN)
                        return true;
        }
        return false;
}

static bool is_threat(const struct knowledge_entry *e)
{
        return e->kind == KNOWLEDGE_MALWARE || e->kind == KNOWLEDGE_C2;
}

/* Whether the occupant is a known server (or namesake) of service s; the name that matched. */
static bool serves(const struct judge_context *c, const struct judge_identity *id, const char *s,
                   const struct knowledge_service **ret_ks, const char **ret_matched)
{
        const struct knowledge_service *ks = c->knowledge ? knowledge_service(c->knowledge, s) : NULL;
        for (size_t i = 0; ks && i < ks->nservers; i++)
                if (identity_has(id, ks->servers[i], ret_matched)) {
                        *ret_ks = ks;
                        return true;
                }
        if (identity_has(id, s, ret_matched)) {
                *ret_ks = NULL;
                return true;
        }
        return false;
}

bool judge_threat_port(const struct judge_context *c, uint16_t port, enum ps_proto proto)
{
        const struct knowledge_entry *kent[32];
        size_t nk = c->knowledge ? knowledge_for_port(c->knowledge, port, proto, kent, 32) : 0;
        for (size_t i = 0; i < nk && i < 32; i++)
                if (is_threat(kent[i]) && covers_narrowly(kent[i], port, proto))
                        return true;
        return false;
}

/* A service, other than those of the port, that the occupant is a known server of. */
static const struct knowledge_service *serves_elsewhere(const struct judge_context *c, const struct judge_identity *id)
{
        size_t n = c->knowledge ? knowledge_nservices(c->knowledge) : 0;
        const char *m;
        for (size_t i = 0; i < n; i++) {
                const struct knowledge_service *ks = knowledge_service_at(c->knowledge, i);
                for (size_t j = 0; j < ks->nservers; j++)
                        if (identity_has(id, ks->servers[j], &m))
                                return ks;
        }
        return NULL;
}

/* Whether a service name nmap's probes gave and a registered name are the same service. */
static bool service_alike(const char *a, const char *b)
{
        static const char *const alias[][2] = {
                { "http", "www-http" },       { "http", "www" },      { "https", "http" },   { "domain", "dns" },
                { "http-proxy", "http-alt" }, { "http", "http-alt" }, { "http", "http-proxy" },
                { "microsoft-ds", "smb" },    { "ms-wbt-server", "rdp" }, { "imaps", "imap" }, { "pop3s", "pop3" },
                { "https", "https-alt" },
        };
        if (strncasecmp(a, "ssl/", 4) == 0)
                a += 4;
        if (strncasecmp(b, "ssl/", 4) == 0)
                b += 4;
        if (strcasecmp(a, b) == 0)
                return true;
        for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
                if ((strcasecmp(a, alias[i][0]) == 0 && strcasecmp(b, alias[i][1]) == 0) ||
                    (strcasecmp(b, alias[i][0]) == 0 && strcasecmp(a, alias[i][1]) == 0))
                        return true;
        return false;
}

/* Scan: the answering service is the one registered for the port, or the one nmap-services
 * names for it. */
static bool answers_as_registered(const struct judge_context *c, const struct judge_input *in,
                                  const struct judgement *j, const char *svc)
{
        for (size_t i = 0; i < j->nservices; i++)
                if (service_alike(svc, j->services[i]))
                        return true;
        if (c->registry) {
                struct registry_observed obs[8];
                size_t n = registry_observed(c->registry, in->port, obs, 8);
                for (size_t i = 0; i < n && i < 8; i++)
                        if (obs[i].proto == in->proto && service_alike(obs[i].name, svc))
                                return true;
        }
        return false;
}

static void set(struct judgement *j, enum judge_rule r, enum verdict_kind k, enum verdict_severity s)
{
        j->rule = r;
        j->kind = k;
        j->severity = s;
}

static void registry_facts(const struct judge_context *c, const struct judge_input *in, struct judgement *j)
{
        uint32_t ids[32];
        size_t n;

        j->status = REGISTRY_UNASSIGNED;
        if (!c->registry || in->raw)
                return;
        j->status = registry_status(c->registry, in->port, in->proto);
        j->assignments_only = registry_source(c->registry)->kind == REGISTRY_SOURCE_SERVICES;
        n = registry_covering(c->registry, in->port, in->proto, ids, 32);
        for (size_t i = 0; i < n && i < 32; i++) {
                struct registry_row row;
                bool dup = false;
                /* Aliases ("dec_dlm" for "dec-dlm") name the same service twice. */
                if (registry_row(c->registry, ids[i], &row) < 0 || row.kind != REGISTRY_ROW_SERVICE ||
                    !row.service[0] || row.alias_of >= 0)
                        continue;
                for (size_t k = 0; k < j->nservices && !dup; k++)
                        dup = strcasecmp(j->services[k], row.service) == 0;
                if (!dup && j->nservices < JUDGE_MAX_SERVICES)
                        j->services[j->nservices++] = row.service;
        }
}

/* Whether the banner names word (at least 4 characters, bounded by non-alphanumerics). */
static bool banner_names(const struct judge_input *in, const char *word)
{
        size_t n = strlen(word);
        if (!in->banner || n < 4 || in->banner_len < n)
                return false;
        for (size_t i = 0; i + n <= in->banner_len; i++) {
                if (strncasecmp((const char *)in->banner + i, word, n) != 0)
                        continue;
                bool before = i == 0 || !isalnum(in->banner[i - 1]);
                bool after = i + n == in->banner_len || !isalnum(in->banner[i + n]);
                if (before && after)
                        return true;
        }
        return false;
}

/* A raw IP socket or a packet socket sees traffic without a port; a packet socket sees frames before
 * the firewall does. Programs that need one (DHCP clients, tcpdump, ping) are in the knowledge's
 * socket records; anything else holding one is what a backdoor waiting for a magic packet looks
 * like (BPFDoor: a packet socket with a BPF filter). */
static void raw_rules(const struct judge_context *c, const struct judge_input *in, const struct judge_identity *who,
                      struct judgement *j)
{
        unsigned kind = in->packet ? KNOWLEDGE_SOCKET_PACKET : KNOWLEDGE_SOCKET_RAW;

        for (size_t i = 0; who && c->knowledge && i < knowledge_nsockets(c->knowledge); i++) {
                const struct knowledge_socket *s = knowledge_socket_at(c->knowledge, i);
                for (size_t p = 0; (s->kinds & kind) && p < s->nprocesses; p++)
                        if (identity_has(who, s->processes[p], &j->matched)) {
                                j->holder = s;
                                return set(j, JUDGE_RAW, VERDICT_EXPECTED, VERDICT_NONE);
                        }
        }
        j->matched = NULL;
        /* A socket that receives nothing waits for nothing: a tool that crafts packets, or one whose
         * interface went away. Worth knowing, not a backdoor. */
        if (in->deaf)
                return set(j, JUDGE_RAW_UNEXPLAINED, VERDICT_INFO, VERDICT_LOW);
        if (!who)
                return set(j, JUDGE_RAW_UNEXPLAINED, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
        set(j, JUDGE_RAW_UNEXPLAINED, VERDICT_SUSPICIOUS, in->packet && in->filter ? VERDICT_HIGH : VERDICT_MEDIUM);
}

static void judge_rules(const struct judge_context *c, const struct judge_input *in, struct judgement *j)
{
        const struct judge_identity *who = in->who && in->who->nnames ? in->who : NULL;
        const struct knowledge_entry *kent[32];
        size_t nk = 0;
        enum ps_range range = ps_range_of(in->port);
        bool assigned = j->status == REGISTRY_ASSIGNED && j->nservices > 0;
        /* A scanned port whose service was not identified: only the registry and knowledge speak. */
        bool unidentified = in->remote && !who;

        if (in->not_open)
                return set(j, JUDGE_NOT_OPEN, VERDICT_INFO, VERDICT_NONE);
        if (in->connection)
                return set(j, JUDGE_CONNECTION, VERDICT_INFO, VERDICT_NONE);
        if (in->baseline >= 0)
                return set(j, JUDGE_BASELINE, VERDICT_EXPECTED, VERDICT_NONE);
        if (in->raw)
                return raw_rules(c, in, who, j);
        /* A known server of a service the port is assigned to. */
        if (who && in->remote && answers_as_registered(c, in, j, who->names[0])) {
                j->matched = who->names[0];
                return set(j, JUDGE_KNOWN_SERVER, VERDICT_EXPECTED, VERDICT_NONE);
        }
        for (size_t i = 0; who && i < j->nservices; i++)
                if (serves(c, who, j->services[i], &j->servers, &j->matched))
                        return set(j, JUDGE_KNOWN_SERVER, VERDICT_EXPECTED, VERDICT_NONE);

        if (c->knowledge)
                nk = knowledge_for_port(c->knowledge, in->port, in->proto, kent, 32);
        if (nk > 32)
                nk = 32;
        /* Entries on the exact port first, then wide ranges: stable partition. */
        const struct knowledge_entry *order[32];
        size_t no = 0, nexact = 0;
        for (size_t i = 0; i < nk; i++)
                if (covers_narrowly(kent[i], in->port, in->proto))
                        order[no++] = kent[i];
        nexact = no;
        for (size_t i = 0; i < nk; i++)
                if (!covers_narrowly(kent[i], in->port, in->proto))
                        order[no++] = kent[i];

        /* A knowledge entry that names the occupant (or that the answer names: "X-Varnish"):
         * benign kinds first. */
        for (int pass = 0; (who || in->banner) && pass < 2; pass++)
                for (size_t i = 0; i < no; i++) {
                        const struct knowledge_entry *k = order[i];
                        if ((pass == 0) == is_threat(k))
                                continue;
                        bool named = identity_has(who, k->id, &j->matched);
                        for (size_t p = 0; !named && p < k->nprocesses; p++)
                                named = identity_has(who, k->processes[p], &j->matched);
                        if (!named && in->remote && covers_narrowly(k, in->port, in->proto)) {
                                named = banner_names(in, k->id);
                                for (size_t p = 0; !named && p < k->nprocesses; p++)
                                        named = banner_names(in, k->processes[p]);
                                if (named)
                                        j->matched = k->id;
                        }
                        if (!named)
                                continue;
                        j->knowledge = k;
                        if (k->kind == KNOWLEDGE_MALWARE)
                                return set(j, JUDGE_THREAT_NAMED, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                        if (k->kind == KNOWLEDGE_C2)
                                return set(j, JUDGE_KNOWN_USE, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                        if (k->kind == KNOWLEDGE_APPLICATION || k->kind == KNOWLEDGE_DEVELOPMENT)
                                return set(j, JUDGE_KNOWN_USE, VERDICT_EXPECTED, VERDICT_NONE);
                        return set(j, JUDGE_KNOWN_USE, VERDICT_INFO, VERDICT_LOW);
                }
        j->matched = NULL;
        if (in->ephemeral_client)
                return set(j, JUDGE_EPHEMERAL_CLIENT, VERDICT_INFO, VERDICT_NONE);
        /* A benign entry for the exact port that names the interpreter the occupant runs on (node,
         * for an Express app on 3000): that use is likely, but an interpreter runs any program, so
         * it is not explained; nor is the port read as a threat's (BeEF's 3000, a Ruby program). */
        for (size_t i = 0; who && i < nexact; i++)
                for (size_t p = 0; !is_threat(order[i]) && p < order[i]->nprocesses; p++)
                        if ((j->matched = judge_identity_runs_on(who, order[i]->processes[p]))) {
                                j->knowledge = order[i];
                                j->runtime = order[i]->processes[p];
                                return set(j, JUDGE_RUNTIME_USE, VERDICT_UNEXPLAINED, VERDICT_LOW);
                        }
        /* The first entry on the exact port is the context a reason may cite. */
        if (nexact)
                j->context = order[0];
        /* A malware entry on a port whose assigned service is commonplace (known servers, and open
         * on at least 1% of the hosts nmap scans) is about attacks on that service (Code Red on
         * 80, Conficker on 445): a stranger there is a mismatch, not a backdoor. */
        const struct knowledge_service *legit = NULL;
        for (size_t i = 0; assigned && i < j->nservices && !legit; i++) {
                const struct knowledge_service *ks = c->knowledge ? knowledge_service(c->knowledge, j->services[i]) : NULL;
                if (ks && ks->nservers)
                        legit = ks;
        }
        if (legit && c->registry) {
                struct registry_observed obs[8];
                size_t n = registry_observed(c->registry, in->port, obs, 8);
                double freq = 0;
                for (size_t i = 0; i < n && i < 8; i++)
                        if (obs[i].proto == in->proto && obs[i].frequency > freq)
                                freq = obs[i].frequency;
                if (freq < COMMONPLACE)
                        legit = NULL;
        }
        for (size_t i = 0; i < nexact && !legit; i++)
                if (is_threat(order[i])) {
                        j->knowledge = order[i];
                        if (unidentified)
                                return set(j, JUDGE_THREAT_PORT, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                        return set(j, JUDGE_THREAT_PORT, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                }
        /* A scan that could not identify the service: what usually runs there is worth saying. */
        if (unidentified && !legit && (range != PS_RANGE_SYSTEM || assigned))
                for (size_t i = 0; i < nexact; i++)
                        if (order[i]->kind == KNOWLEDGE_APPLICATION || order[i]->kind == KNOWLEDGE_DEVELOPMENT) {
                                j->knowledge = order[i];
                                return set(j, JUDGE_LIKELY_USE, VERDICT_INFO, VERDICT_LOW);
                        }
        if (!c->registry)
                return set(j, JUDGE_NO_REGISTRY, VERDICT_UNEXPLAINED, unidentified ? VERDICT_LOW : VERDICT_MEDIUM);
        if (j->status == REGISTRY_ASSIGNED && j->nservices == 0 && range != PS_RANGE_DYNAMIC)
                return set(j, JUDGE_PRIVATE_USE, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
        /* A services file lists assignments only (wireshark's lacks 300/tcp, /etc/services 599 of
         * IANA's system ports): a port it does not list may well be assigned, so "lost or hiding"
         * would accuse stock daemons. Unexplained, and the reason says how to know. */
        if (!assigned && range == PS_RANGE_SYSTEM)
                return j->assignments_only ? set(j, JUDGE_SYSTEM_UNREGISTERED, VERDICT_UNEXPLAINED, VERDICT_MEDIUM)
                                           : set(j, JUDGE_SYSTEM_UNREGISTERED, VERDICT_SUSPICIOUS, VERDICT_HIGH);
        if (assigned && range != PS_RANGE_DYNAMIC) {
                if (!who) {
                        if (unidentified)
                                return set(j, JUDGE_NO_SERVERS_KNOWN, VERDICT_INFO, VERDICT_NONE);
                        return set(j, JUDGE_OWNER_UNKNOWN, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
                }
                if (in->activation)
                        return set(j, JUDGE_SOCKET_ACTIVATION, VERDICT_INFO, VERDICT_NONE);
                for (size_t i = 0; i < j->nservices && !j->servers; i++) {
                        const struct knowledge_service *ks = c->knowledge ? knowledge_service(c->knowledge, j->services[i]) : NULL;
                        if (ks && ks->nservers)
                                j->servers = ks;
                }
                if (j->servers || in->remote) {
                        j->serves_other = serves_elsewhere(c, who);
                        return set(j, JUDGE_MISMATCH, VERDICT_MISMATCH, VERDICT_MEDIUM);
                }
                return set(j, JUDGE_NO_SERVERS_KNOWN, VERDICT_UNEXPLAINED, VERDICT_MEDIUM);
        }
        if (range == PS_RANGE_USER)
                return set(j, JUDGE_USER_UNREGISTERED, VERDICT_UNEXPLAINED, unidentified ? VERDICT_LOW : VERDICT_MEDIUM);
        return set(j, JUDGE_DYNAMIC, VERDICT_INFO, VERDICT_LOW);
}

void judge(const struct judge_context *c, const struct judge_input *in, struct judgement *j)
{
        memset(j, 0, sizeof(*j));
        j->in = in;
        registry_facts(c, in, j);
        judge_rules(c, in, j);
        if (in->claimed && j->kind != VERDICT_EXPECTED && !in->remote) {
                /* The names a program chose (prctl(PR_SET_NAME), exec -a) would make it expected:
                 * a python3 that calls itself sshd on 22 is hiding, not serving ssh. */
                struct judge_input as = *in;
                struct judgement c2;
                as.who = in->claimed;
                as.claimed = NULL;
                memset(&c2, 0, sizeof c2);
                c2.in = &as;
                registry_facts(c, &as, &c2);
                judge_rules(c, &as, &c2);
                if (c2.kind == VERDICT_EXPECTED &&
                    (c2.rule == JUDGE_KNOWN_SERVER || c2.rule == JUDGE_KNOWN_USE || c2.rule == JUDGE_RAW)) {
                        j->matched = c2.matched;
                        j->knowledge = c2.knowledge;
                        j->servers = c2.servers;
                        j->holder = c2.holder;
                        j->context = NULL;
                        set(j, JUDGE_DISGUISED, VERDICT_SUSPICIOUS, VERDICT_HIGH);
                }
        }
        /* A copy of sshd in /tmp bears the name sshd, and is not the sshd a package installed. A
         * deleted executable may be a package removed while its daemon ran, and one any user can
         * rewrite may be a careless chmod: medium. */
        if (in->place != JUDGE_EXE_INSTALLED && !in->remote && j->kind == VERDICT_EXPECTED &&
            (j->rule == JUDGE_KNOWN_SERVER || j->rule == JUDGE_KNOWN_USE || j->rule == JUDGE_RAW))
                set(j, JUDGE_STRAY_EXECUTABLE, VERDICT_SUSPICIOUS,
                    in->place == JUDGE_EXE_DELETED || in->place == JUDGE_EXE_WRITABLE_FILE ? VERDICT_MEDIUM
                                                                                          : VERDICT_HIGH);
        if (in->loopback && j->severity > VERDICT_NONE && j->rule != JUDGE_NOT_OPEN) {
                j->severity--;
                j->lowered = true;
        }
}
