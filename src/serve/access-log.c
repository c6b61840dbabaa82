/* portscope serve — the access log: one line per request in Common Log Format plus the duration.
 *
 * Each worker thread formats its line in memory and appends it to a buffer of its own (the slot
 * of its server_slot(): its lock is taken by that thread and, every few milliseconds, by the writer,
 * so workers never contend with each other). One writer thread hands what the slots hold to the file with
 * write(2) within about COALESCE_NS (4 ms): one write per line when requests are rare, one per
 * slot and 4 ms under load. Lines never interleave; lines of different threads may be out of
 * order by up to that much (as with nginx's buffered logs). The target is the request line's, as
 * sent: an absolute-form one ("http://HOST/PATH", of which only the path is routed) stays whole, as
 * nginx's $request and Apache's %r keep it. The target and the user agent
 * are escaped by ps_term_escape(); the common case (printable ASCII without a backslash, which it
 * writes unchanged) is copied without a stream.
 *
 * The writer sleeps when every slot is empty. A worker that appends wakes it only when it has
 * said so (writer_idle): the worker stores the slot's length, then reads writer_idle; the writer
 * stores writer_idle, then reads every length (both sequentially consistent), so one of them
 * sees the other and no line waits for the next request. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"
#include "portscope/util.h"

#define LINE_FAST 2048          /* a line longer than this is formatted by the slow path */
#define SLOT_BYTES (64u << 10)  /* a thread's pending lines; when full, the thread writes them */
#define COALESCE_NS 4000000L    /* a line waits at most about this long to be written; at 100k
                                 * requests/s a slot fills about a third of SLOT_BYTES meanwhile.
                                 * 4 ms rather than 1: a quarter of the wake-ups under load */

struct slot {
        pthread_mutex_t lock;
        char *buf;              /* SLOT_BYTES, allocated at the first line */
        atomic_size_t len;      /* written under lock; read by the writer without it */
} __attribute__((aligned(64)));

struct access_log {
        int fd;
        pthread_mutex_t lock;   /* stop, and the writer's sleep */
        pthread_mutex_t fd_lock; /* one write(2) at a time: a pipe or socket could interleave two */
        pthread_cond_t wake;
        atomic_bool writer_idle;
        bool stop, started;
        pthread_t writer;
        char *spare;            /* SLOT_BYTES: swapped with a slot's buffer by the writer */
        unsigned nslots;
        struct slot slots[];
};

static void write_all(struct access_log *l, const char *p, size_t n)
{
        pthread_mutex_lock(&l->fd_lock);
        while (n > 0) {
                ssize_t w = write(l->fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break; /* nowhere to log to: the lines are lost, the requests are not */
                p += w;
                n -= (size_t)w;
        }
        pthread_mutex_unlock(&l->fd_lock);
}

static bool pending(struct access_log *l)
{
        for (unsigned i = 0; i < l->nslots; i++)
                if (atomic_load(&l->slots[i].len) > 0)
                        return true;
        return false;
}

/* Writes what every slot holds. Only the writer thread calls it: l->spare is its own. */
static void flush_slots(struct access_log *l)
{
        for (unsigned i = 0; i < l->nslots; i++) {
                struct slot *sl = &l->slots[i];
                if (atomic_load_explicit(&sl->len, memory_order_relaxed) == 0)
                        continue;
                pthread_mutex_lock(&sl->lock);
                char *out = sl->buf;
                size_t len = atomic_load_explicit(&sl->len, memory_order_relaxed);
                sl->buf = l->spare;
                atomic_store_explicit(&sl->len, 0, memory_order_relaxed);
                pthread_mutex_unlock(&sl->lock);
                l->spare = out;
                write_all(l, out, len);
        }
}

static void *writer_main(void *arg)
{
        struct access_log *l = arg;
        for (;;) {
                pthread_mutex_lock(&l->lock);
                while (!l->stop) {
                        atomic_store(&l->writer_idle, true);
                        if (pending(l))
                                break;
                        pthread_cond_wait(&l->wake, &l->lock);
                }
                atomic_store(&l->writer_idle, false);
                bool stop = l->stop;
                pthread_mutex_unlock(&l->lock);
                if (!stop) {
                        /* Let the lines of the next 4 ms join this write: under load, one
                         * wake-up and one write(2) per slot for many requests instead of one each. */
                        struct timespec ts = { 0, COALESCE_NS };
                        nanosleep(&ts, NULL);
                }
                flush_slots(l);
                if (stop)
                        return NULL;
        }
}

int access_log_open(FILE *f, unsigned nslots, struct access_log **ret)
{
        if (nslots == 0)
                return -EINVAL;
        size_t size = sizeof(struct access_log) + nslots * sizeof(struct slot); /* a multiple of 64 */
        struct access_log *l = aligned_alloc(_Alignof(struct access_log), size);
        if (!l)
                return -ENOMEM;
        memset(l, 0, size);
        l->fd = fileno(f);
        l->nslots = nslots;
        l->spare = malloc(SLOT_BYTES);
        if (l->fd < 0 || !l->spare) {
                int e = l->fd < 0 ? -EBADF : -ENOMEM;
                free(l->spare);
                free(l);
                return e;
        }
        /* Whatever the caller left in the stream's buffer goes first. */
        fflush(f);
        pthread_mutex_init(&l->lock, NULL);
        pthread_mutex_init(&l->fd_lock, NULL);
        pthread_cond_init(&l->wake, NULL);
        for (unsigned i = 0; i < nslots; i++)
                pthread_mutex_init(&l->slots[i].lock, NULL);
        int r = pthread_create(&l->writer, NULL, writer_main, l);
        if (r != 0) {
                access_log_close(l);
                return -r;
        }
        l->started = true;
        *ret = l;
        return 0;
}

void access_log_close(struct access_log *l)
{
        if (!l)
                return;
        if (l->started) {
                pthread_mutex_lock(&l->lock);
                l->stop = true;
                pthread_cond_signal(&l->wake);
                pthread_mutex_unlock(&l->lock);
                pthread_join(l->writer, NULL);
        }
        for (unsigned i = 0; i < l->nslots; i++) {
                pthread_mutex_destroy(&l->slots[i].lock);
                free(l->slots[i].buf);
        }
        pthread_mutex_destroy(&l->lock);
        pthread_mutex_destroy(&l->fd_lock);
        pthread_cond_destroy(&l->wake);
        free(l->spare);
        free(l);
}

/* Queues one whole line for the writer. */
static void emit(struct access_log *l, unsigned slot, const char *line, size_t n)
{
        struct slot *sl = &l->slots[slot < l->nslots ? slot : l->nslots - 1];
        pthread_mutex_lock(&sl->lock);
        if (!sl->buf && !(sl->buf = malloc(SLOT_BYTES))) {
                pthread_mutex_unlock(&sl->lock);
                write_all(l, line, n); /* no memory for a buffer: written here, whole */
                return;
        }
        size_t len = atomic_load_explicit(&sl->len, memory_order_relaxed);
        if (len + n > SLOT_BYTES) {
                /* Full (the file is slower than the requests), or a line longer than the whole
                 * slot (a huge user agent): this thread writes, and waits for the file itself. */
                write_all(l, sl->buf, len);
                len = 0;
                if (n > SLOT_BYTES) {
                        write_all(l, line, n);
                        n = 0;
                }
        }
        memcpy(sl->buf + len, line, n);
        atomic_store(&sl->len, len + n);
        pthread_mutex_unlock(&sl->lock);
        if (atomic_load(&l->writer_idle)) {
                pthread_mutex_lock(&l->lock);
                pthread_cond_signal(&l->wake);
                pthread_mutex_unlock(&l->lock);
        }
}

struct line {
        char buf[LINE_FAST];
        size_t len;
        bool slow; /* something to escape, or too long */
};

static void add(struct line *l, const char *s, size_t n)
{
        if (l->slow || n > sizeof l->buf - l->len) {
                l->slow = true;
                return;
        }
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static void add_str(struct line *l, const char *s)
{
        add(l, s, strlen(s));
}

/* Writes v in decimal, zero-padded to width; returns the length. snprintf() costs as much as
 * the rest of a log line, and the line is written on every request. */
static size_t fmt_u(char *p, unsigned long long v, int width)
{
        char tmp[24];
        int n = 0;
        do {
                tmp[n++] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        while (n < width)
                tmp[n++] = '0';
        for (int i = 0; i < n; i++)
                p[i] = tmp[n - 1 - i];
        return (size_t)n;
}

/* "01/Dec/2026:17:48:35 +0000" (Common Log Format, UTC) without gmtime_r(), which takes the
 * time zone lock of the C library on every call. Days to civil date: H. Hinnant's algorithm. */
static void clf_time(time_t t, char out[64])
{
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        long long days = (long long)t / 86400, secs = (long long)t % 86400;
        if (secs < 0) {
                secs += 86400;
                days--;
        }
        long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        long long doe = z - era * 146097;
        long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long long mp = (5 * doy + 2) / 153;
        long long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
        long long y = yoe + era * 400 + (m <= 2);
        if (y < 0 || y > 9999) {
                snprintf(out, 64, "-");
                return;
        }
        char *p = out;
        p += fmt_u(p, (unsigned long long)d, 2);
        *p++ = '/';
        memcpy(p, months[m - 1], 3);
        p += 3;
        *p++ = '/';
        p += fmt_u(p, (unsigned long long)y, 4);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs / 3600), 2);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs / 60 % 60), 2);
        *p++ = ':';
        p += fmt_u(p, (unsigned long long)(secs % 60), 2);
        memcpy(p, " +0000", 7);
}

/* What log_escape() writes unchanged: printable ASCII but '\\' and '"'. A bitmap of the 256 byte
 * values: this runs over every logged field of every request. */
static bool plain(const char *s, size_t n)
{
        static const uint32_t ok[8] = { 0, 0xfffffffbu /* 0x20-0x3f but '"' */, 0xefffffffu /* 0x40-0x5f but '\\' */,
                                        0x7fffffffu /* 0x60-0x7e */ };
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!(ok[c >> 5] >> (c & 31) & 1))
                        return false;
        }
        return true;
}

/* A field from the client, escaped for terminals (ps_term_escape()) and for the log's own
 * quoting: '"' is written \x22, as nginx does, so that no field can end early and forge others. */
static void log_escape(FILE *m, const char *s, size_t n)
{
        for (const char *q; (q = memchr(s, '"', n)); n -= (size_t)(q - s) + 1, s = q + 1) {
                ps_term_escape(m, s, (size_t)(q - s), false);
                fputs("\\x22", m);
        }
        ps_term_escape(m, s, n, false);
}

static void add_escaped(struct line *l, const char *s, size_t n)
{
        if (!plain(s, n))
                l->slow = true;
        add(l, s, n);
}

void access_log_addr(const struct sockaddr *sa, char out[INET6_ADDRSTRLEN])
{
        out[0] = '-';
        out[1] = '\0';
        if (!sa)
                return;
        if (sa->sa_family == AF_INET) {
                const unsigned char *b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
                char *p = out;
                for (int i = 0; i < 4; i++) {
                        p += fmt_u(p, b[i], 1);
                        *p++ = i < 3 ? '.' : '\0';
                }
        } else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, INET6_ADDRSTRLEN);
}

void access_log_write(struct http_server *s, const char *ua, size_t ua_len, const struct req *rq, const char *addr,
                      unsigned status, double seconds)
{
        if (!ua) {
                ua = "-";
                ua_len = 1;
        }
        /* The time changes once a second: each thread formats it then. */
        static _Thread_local time_t when_t = -1;
        static _Thread_local char when[64];
        time_t now = time(NULL);
        if (now != when_t) {
                clf_time(now, when);
                when_t = now;
        }
        const char *method = rq->method[0] ? rq->method : "-";
        char tail[48], *p = tail;
        unsigned long long us = seconds > 0 ? (unsigned long long)(seconds * 1e6 + 0.5) : 0;
        memcpy(p, "\" ", 2);
        p += 2;
        p += fmt_u(p, us / 1000, 1);
        *p++ = '.';
        p += fmt_u(p, us % 1000, 3);
        memcpy(p, "ms\n", 4);
        /* The status and the body's bytes ("-": none, or not all of it sent). */
        char mid[48];
        p = mid;
        memcpy(p, "\" ", 2);
        p += 2;
        p += fmt_u(p, status, 1);
        *p++ = ' ';
        if (rq->sent >= 0 && strcmp(method, "HEAD") != 0)
                p += fmt_u(p, (unsigned long long)rq->sent, 1);
        else
                *p++ = '-';
        memcpy(p, " \"", 3);

        struct line line, *l = &line; /* not zeroed: 2 KB a request for nothing */
        line.len = 0;
        line.slow = false;
        add_str(l, addr);
        add_str(l, " - - [");
        add_str(l, when);
        add_str(l, "] \"");
        add_escaped(l, method, strlen(method));
        add_str(l, " ");
        if (rq->target)
                add_escaped(l, rq->line_target, rq->line_target_len);
        else
                add_str(l, "(too long)");
        if (rq->version[0]) {
                add_str(l, " ");
                add_escaped(l, rq->version, strlen(rq->version));
        }
        add_str(l, mid);
        add_escaped(l, ua, ua_len);
        add_str(l, tail);
        if (!l->slow) {
                emit(s->log, server_slot(s), l->buf, l->len);
                return;
        }

        /* Escapes to write, or a long line: the same pieces through log_escape(). */
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return;
        fprintf(m, "%s - - [%s] \"", addr, when);
        log_escape(m, method, strlen(method));
        fputc(' ', m);
        if (rq->target)
                log_escape(m, rq->line_target, rq->line_target_len);
        else
                fputs("(too long)", m);
        if (rq->version[0]) {
                fputc(' ', m);
                log_escape(m, rq->version, strlen(rq->version));
        }
        fputs(mid, m);
        log_escape(m, ua, ua_len);
        fputs(tail, m);
        if (fclose(m) == 0)
                emit(s->log, server_slot(s), text, len);
        free(text);
}
