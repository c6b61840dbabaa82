/* What the floor (h2o-floor.c) reads: the bytes of a page, the response headers
 * `curl -D` saved for it, and a listening socket of their own for each thread. Header-only,
 * static: each floor is one `cc` of one file. */
#pragma once
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *floor_slurp(const char *file, size_t *len)
{
        FILE *f = fopen(file, "rb");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t cap = 0, n = 0;
        for (;;) {
                if (n == cap) {
                        cap = cap ? 2 * cap : 65536;
                        char *b = realloc(buf, cap + 1);
                        if (!b)
                                break;
                        buf = b;
                }
                size_t r = fread(buf + n, 1, cap - n, f);
                if (r == 0)
                        break;
                n += r;
        }
        int bad = ferror(f);
        fclose(f);
        if (bad || !buf) {
                free(buf);
                return NULL;
        }
        buf[n] = '\0';
        *len = n;
        return buf;
}

/* Calls fn(arg, name, value) for each header of a `curl -D` block but the status line, Date,
 * Content-Length and Connection (the servers make those). Returns 0, or -1 when the file cannot be
 * read or fn fails. */
static int floor_each_header(const char *file, int (*fn)(void *arg, const char *name, const char *value), void *arg)
{
        FILE *f = fopen(file, "r");
        if (!f)
                return -1;
        char line[8192];
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\r\n")] = '\0';
                char *colon = strchr(line, ':');
                if (!colon || strncmp(line, "HTTP/", 5) == 0)
                        continue;
                *colon = '\0';
                const char *value = colon + 1 + strspn(colon + 1, " \t");
                if (strcasecmp(line, "date") == 0 || strcasecmp(line, "content-length") == 0 ||
                    strcasecmp(line, "connection") == 0)
                        continue;
                if (fn(arg, line, value) < 0) {
                        fclose(f);
                        return -1;
                }
        }
        fclose(f);
        return 0;
}

/* A listening socket on 127.0.0.1:port with SO_REUSEPORT (one per thread), or -1. */
static int floor_listener(unsigned port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        if (fd < 0)
                return -1;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1024) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}
