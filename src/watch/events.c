/* watch: events, their verdicts, and the line outputs (JSON lines, terminal, syslog). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "portscope/i18n.h"
#include "portscope/portinfo.h"
#include "portscope/registry.h"
#include "portscope/sockets.h"
#include "portscope/util.h"
#include "portscope/watch.h"
#include "watch-internal.h"

int64_t watch_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool watch_addr_loopback(int family, const uint8_t addr[16])
{
        return sockets_addr_is_loopback(family, addr);
}

const char *watch_event_kind_name(enum watch_event_kind k)
{
        static const char *const names[] = { "probe", "scan", "listener-new", "listener-gone", "dropped", "status" };
        return (unsigned)k < WATCH_EVENT_NKINDS ? names[k] : "?";
}

/* The event's kind as the terminal line shows it, in the reader's language (JSON, syslog and the
 * store keep watch_event_kind_name()). */
static const char *kind_label(enum watch_event_kind k)
{
        switch (k) {
        /* TRANSLATORS: the kinds of watch's events, the first word of its terminal lines (13 columns
         * wide in English; longer words widen the line). */
        case WATCH_EVENT_PROBE: return _("probe");
        case WATCH_EVENT_SCAN: return _("scan");
        case WATCH_EVENT_LISTENER_NEW: return _("listener-new");
        case WATCH_EVENT_LISTENER_GONE: return _("listener-gone");
        case WATCH_EVENT_DROPPED: return _("dropped");
        case WATCH_EVENT_STATUS: return _("status");
        default: return watch_event_kind_name(k);
        }
}

const char *watch_rule_name(enum watch_rule r)
{
        static const char *const names[] = { "", "dark-port", "closed-port", "filtered", "vertical", "slow", "sweep", "stealth" };
        return (unsigned)r < WATCH_RULE_NRULES ? names[r] : "?";
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20

const char *watch_probe_type(enum ps_proto proto, uint8_t f)
{
        if (proto == PS_UDP)
                return "udp";
        f &= 0x3f;
        if (f == F_SYN)
                return "syn";
        if (f == 0)
                return "null";
        if (f == F_FIN)
                return "fin";
        if (f == (F_FIN | F_PSH | F_URG))
                return "xmas";
        if ((f & (F_SYN | F_FIN)) == (F_SYN | F_FIN))
                return "syn-fin";
        return "other";
}

bool watch_probe_is_stealth(enum ps_proto proto, uint8_t f)
{
        if (proto != PS_TCP)
                return false;
        f &= 0x3f;
        return !(f & (F_RST | F_ACK)) && f != F_SYN && ((f & F_SYN) == 0 || (f & F_FIN));
}

static void verdict_from(const struct judgement *j, struct verdict *v)
{
        memset(v, 0, sizeof(*v));
        v->kind = j->kind;
        v->severity = j->severity;
        v->rule = j->rule;
        v->status = j->status;
        v->nservices = j->nservices < VERDICT_MAX_SERVICES ? j->nservices : VERDICT_MAX_SERVICES;
        for (size_t i = 0; i < v->nservices; i++)
                v->services[i] = j->services[i];
        v->knowledge = j->knowledge;
        v->baseline = -1;
        v->matched = j->matched;
        judge_reason(j, v->reason, sizeof(v->reason));
}

/* Why nothing owns a probed port, in this thread's language: a clause of the probe's reason. A
 * packet the firewall dropped says nothing of whether something listens behind it. */
static void probe_why(char *buf, size_t len, const char *src, bool filtered)
{
        if (filtered)
                /* TRANSLATORS: part of a verdict's reason; %s is the address that sent the probe. */
                snprintf(buf, len, _("the firewall dropped it; probed from %s"), src);
        else
                /* TRANSLATORS: part of a verdict's reason; %s is the address that sent the probe. */
                snprintf(buf, len, _("nothing listens; probed from %s"), src);
}

void watch_event_judge(struct watch_event *e, const struct verdict_context *c, char *text, size_t len)
{
        if (e->kind != WATCH_EVENT_PROBE && e->kind != WATCH_EVENT_SCAN)
                return;
        char src[INET6_ADDRSTRLEN], why[160];
        sockets_format_addr(e->family, e->source, src, sizeof(src));
        struct judge_input in = JUDGE_INPUT_INIT;
        in.port = e->port;
        in.proto = e->proto;
        in.owner_missing = why; /* read by the reason only: written in each language below */
        in.empty = true;
        /* Nothing occupies the port: the knowledge describes occupants (a malware entry is about
         * what listens there), so a probe is judged by the registry alone. */
        struct judgement j;
        struct judge_context jc = { .registry = c->registry };
        judge(&jc, &in, &j);
        const struct ps_language *was = ps_i18n_use_english();
        probe_why(why, sizeof(why), src, e->rule == WATCH_RULE_FILTERED);
        verdict_from(&j, &e->verdict);
        ps_i18n_thread_use(was);
        e->judged = true;
        e->reason_text = NULL; /* a text for an earlier verdict says nothing of this one */
        if (text && len && !ps_i18n_is_english()) {
                probe_why(why, sizeof(why), src, e->rule == WATCH_RULE_FILTERED);
                judge_reason(&j, text, len);
                e->reason_text = text;
        }
}

static void fmt_time(int64_t ms, char *buf, size_t len)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        char s[32];
        strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, len, "%s.%03dZ", s, (int)(ms % 1000));
}

static json_t *str_json(const char *s)
{
        return portinfo_string(s ? s : "");
}

void watch_write_jsonl(FILE *f, const struct watch_event *e, const struct registry *reg)
{
        json_t *o = json_object();
        if (!o)
                return;
        char buf[INET6_ADDRSTRLEN + 8];
        json_object_set_new(o, "event", json_string(watch_event_kind_name(e->kind)));
        fmt_time(e->time_ms, buf, sizeof(buf));
        json_object_set_new(o, "time", json_string(buf));
        if (e->kind != WATCH_EVENT_DROPPED && e->kind != WATCH_EVENT_STATUS) {
                json_object_set_new(o, "netns", json_integer(e->netns));
                if (e->netns_name)
                        json_object_set_new(o, "netns_name", str_json(e->netns_name));
                json_object_set_new(o, "protocol", json_string(ps_proto_name(e->proto)));
                json_object_set_new(o, "port", json_integer(e->port));
        }
        if (e->kind == WATCH_EVENT_PROBE || e->kind == WATCH_EVENT_SCAN) {
                sockets_format_addr(e->family, e->source, buf, sizeof(buf));
                json_object_set_new(o, "source", json_string(buf));
                sockets_format_addr(e->family, e->address, buf, sizeof(buf));
                json_object_set_new(o, "address", json_string(buf));
                json_object_set_new(o, "rule", json_string(watch_rule_name(e->rule)));
        }
        if (e->kind == WATCH_EVENT_PROBE) {
                json_object_set_new(o, "source_port", json_integer(e->source_port));
                json_object_set_new(o, "probe", json_string(e->probe_type ? e->probe_type : ""));
        }
        if (e->kind == WATCH_EVENT_SCAN) {
                json_object_set_new(o, "probes", json_integer((json_int_t)e->probes));
                json_object_set_new(o, "ports", json_integer(e->ports));
                if (e->rule == WATCH_RULE_SWEEP)
                        json_object_set_new(o, "targets", json_integer(e->targets));
                fmt_time(e->first_ms, buf, sizeof(buf));
                json_object_set_new(o, "first", json_string(buf));
                fmt_time(e->last_ms, buf, sizeof(buf));
                json_object_set_new(o, "last", json_string(buf));
                json_object_set_new(o, "final", json_boolean(e->final));
        }
        if (e->kind == WATCH_EVENT_LISTENER_NEW || e->kind == WATCH_EVENT_LISTENER_GONE) {
                sockets_format_addr(e->family, e->address, buf, sizeof(buf));
                json_object_set_new(o, "address", json_string(buf));
                if (e->pid > 0)
                        json_object_set_new(o, "pid", json_integer(e->pid));
                if (e->process && *e->process)
                        json_object_set_new(o, "process", str_json(e->process));
                if (e->container && *e->container)
                        json_object_set_new(o, "container", str_json(e->container));
        }
        if (e->judged) {
                const struct verdict *v = &e->verdict;
                json_object_set_new(o, "status", json_string(registry_status_name(v->status)));
                json_t *svc = json_array();
                for (size_t i = 0; i < v->nservices; i++)
                        json_array_append_new(svc, str_json(v->services[i]));
                json_object_set_new(o, "services", svc);
                json_object_set_new(o, "verdict", json_string(verdict_kind_name(v->kind)));
                json_object_set_new(o, "severity", json_string(verdict_severity_name(v->severity)));
                json_object_set_new(o, "verdict_rule", json_string(judge_rule_name(v->rule)));
                json_object_set_new(o, "reason", str_json(v->reason));
        }
        if (e->kind == WATCH_EVENT_DROPPED)
                json_object_set_new(o, "dropped", json_integer((json_int_t)e->count));
        if (e->kind == WATCH_EVENT_STATUS) {
                json_object_set_new(o, "message", str_json(e->message));
                json_object_set_new(o, "registry", portinfo_source_json(reg));
        }
        json_dumpf(o, f, JSON_COMPACT);
        fputc('\n', f);
        json_decref(o);
}

static const char *severity_color(enum verdict_severity s)
{
        switch (s) {
        case VERDICT_HIGH: return "\033[1;31m";
        case VERDICT_MEDIUM: return "\033[33m";
        case VERDICT_LOW: return "\033[36m";
        default: return "";
        }
}

static void put(FILE *f, const char *s)
{
        ps_term_escape(f, s, strlen(s), false);
}

void watch_write_line(FILE *f, const struct watch_event *e, bool color)
{
        char t[40], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
        time_t now = (time_t)(e->time_ms / 1000);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(t, sizeof(t), "%H:%M:%S", &tm);
        sockets_format_addr(e->family, e->source, src, sizeof(src));
        sockets_format_addr(e->family, e->address, dst, sizeof(dst));
        const char *on = color && e->judged ? severity_color(e->verdict.severity) : "";
        const char *off = *on ? "\033[0m" : "";
        fprintf(f, "%s %s", t, on);
        ps_put_padded(f, kind_label(e->kind), 13);
        fprintf(f, "%s ", off);
        switch (e->kind) {
        case WATCH_EVENT_PROBE: {
                /* An IPv6 source with its port is bracketed ([::1]:53126), as in a URL. */
                char from[INET6_ADDRSTRLEN + 2];
                snprintf(from, sizeof(from), e->family == AF_INET6 ? "[%s]" : "%s", src);
                /* TRANSLATORS: a probe event: port/protocol, the probe's kind (SYN, ...), the source
                 * address and port, the destination, the rule's name (not translated). */
                fprintf(f, _("%u/%s %s from %s:%u to %s (%s)"), e->port, ps_proto_name(e->proto),
                        e->probe_type ? e->probe_type : "", from, e->source_port, dst, watch_rule_name(e->rule));
                break;
        }
        case WATCH_EVENT_SCAN:
                if (e->final)
                        /* TRANSLATORS: a label before the last event of a scan (written when watch
                         * stops): "summary: vertical scan from ...". Keep the colon and space. */
                        fputs(_("summary: "), f);
                {
                        char nprobes[64], nports[64];
                        /* TRANSLATORS: the probes a scan sent (counted in a scan event). */
                        snprintf(nprobes, sizeof(nprobes),
                                 ps_ngettext("%" PRIu64 " probe", "%" PRIu64 " probes", (unsigned long)e->probes),
                                 (uint64_t)e->probes);
                        /* TRANSLATORS: the ports a scan probed (counted in a scan event). */
                        snprintf(nports, sizeof(nports), ps_ngettext("%u port", "%u ports", e->ports), e->ports);
                        /* TRANSLATORS: a scan event: the rule's name (vertical, sweep, ...: not translated),
                         * the source address; then the probes and the ports ("12 probes", "10 ports"); the
                         * port/protocol the scan is judged by (the worst it touched), and the address
                         * probed last. */
                        fprintf(f, _("%s scan from %s: %s, %s (judged by %u/%s; last to %s)"), watch_rule_name(e->rule),
                                src, nprobes, nports, e->port, ps_proto_name(e->proto), dst);
                }
                if (e->rule == WATCH_RULE_SWEEP)
                        fprintf(f, ps_ngettext(", %u target", ", %u targets", e->targets), e->targets);
                break;
        case WATCH_EVENT_LISTENER_NEW:
        case WATCH_EVENT_LISTENER_GONE:
                /* TRANSLATORS: a listener event: port/protocol on an address. */
                fprintf(f, _("%u/%s on %s"), e->port, ps_proto_name(e->proto), dst);
                if (e->pid > 0)
                        fprintf(f, " pid %d", (int)e->pid);
                if (e->process && *e->process) {
                        fputs(" (", f);
                        put(f, e->process);
                        fputc(')', f);
                }
                break;
        case WATCH_EVENT_DROPPED:
                fprintf(f, ps_ngettext("%" PRIu64 " event lost in the kernel ring so far",
                                       "%" PRIu64 " events lost in the kernel ring so far", (unsigned long)e->count),
                        (uint64_t)e->count);
                break;
        case WATCH_EVENT_STATUS:
                put(f, e->text ? e->text : e->message ? e->message : "");
                break;
        default:
                break;
        }
        if (e->netns_name) {
                fputs(" [", f);
                put(f, e->netns_name);
                fputc(']', f);
        }
        if (e->judged) {
                /* The verdict as the audit table says it, in the reader's language (syslog and JSON keep
                 * the English keys). */
                fprintf(f, " — %s%s/%s%s: ", on, verdict_kind_label(e->verdict.kind),
                        verdict_severity_label(e->verdict.severity), off);
                put(f, e->reason_text ? e->reason_text : e->verdict.reason);
        }
        fputc('\n', f);
}

void watch_format_syslog(const struct watch_event *e, char *buf, size_t len)
{
        char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
        sockets_format_addr(e->family, e->source, src, sizeof(src));
        sockets_format_addr(e->family, e->address, dst, sizeof(dst));
        switch (e->kind) {
        case WATCH_EVENT_SCAN:
                /* one line a fail2ban filter reads: "... from <HOST> ..." */
                snprintf(buf, len, "%s scan from %s: %" PRIu64 " probes, %u closed ports, rule %s%s", "port", src,
                         (uint64_t)e->probes, e->ports, watch_rule_name(e->rule), e->final ? " (summary)" : "");
                break;
        case WATCH_EVENT_PROBE:
                snprintf(buf, len, "probe of %u/%s from %s to %s (%s)%s%s", e->port, ps_proto_name(e->proto), src, dst,
                         watch_rule_name(e->rule), e->judged ? ": " : "", e->judged ? verdict_kind_name(e->verdict.kind) : "");
                break;
        case WATCH_EVENT_LISTENER_NEW:
        case WATCH_EVENT_LISTENER_GONE:
                snprintf(buf, len, "%s %u/%s on %s pid %d%s%s", watch_event_kind_name(e->kind), e->port,
                         ps_proto_name(e->proto), dst, (int)e->pid, e->judged ? ": " : "",
                         e->judged ? verdict_kind_name(e->verdict.kind) : "");
                break;
        case WATCH_EVENT_DROPPED:
                snprintf(buf, len, "%" PRIu64 " events lost in the kernel ring so far", (uint64_t)e->count);
                break;
        default:
                snprintf(buf, len, "%s", e->message ? e->message : "");
                break;
        }
}
