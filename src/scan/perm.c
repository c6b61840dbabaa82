/* portscope scan — the scan order: a seeded walk of a cyclic multiplicative group.
 *
 * The pairs 0..n-1 are mapped to the elements 1..p-1 of (Z/pZ)* for the smallest usable prime
 * p > n. A primitive root g generates the whole group, so x, x·g, x·g², ... visits every
 * element exactly once in an order that looks random; elements above n are skipped (p is close
 * to n, so few are). Cycle position k belongs to shard k mod N: the shard starts at start·g^s
 * and steps by g^N, which splits the work with no overlap and no gap and lets a shard resume
 * after any number of positions with one modular exponentiation. */
#include <errno.h>

#include "scan-internal.h"

typedef unsigned __int128 u128;

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
        return (uint64_t)((u128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
        uint64_t r = 1 % m;
        b %= m;
        while (e) {
                if (e & 1)
                        r = mulmod(r, b, m);
                b = mulmod(b, b, m);
                e >>= 1;
        }
        return r;
}

/* Deterministic Miller-Rabin for 64-bit numbers. */
static bool is_prime(uint64_t n)
{
        if (n < 2)
                return false;
        static const uint64_t small[] = { 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37 };
        for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
                if (n == small[i])
                        return true;
                if (n % small[i] == 0)
                        return false;
        }
        uint64_t d = n - 1;
        unsigned s = 0;
        while (!(d & 1)) {
                d >>= 1;
                s++;
        }
        for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++) {
                uint64_t x = powmod(small[i], d, n);
                if (x == 1 || x == n - 1)
                        continue;
                bool comp = true;
                for (unsigned r = 1; r < s; r++) {
                        x = mulmod(x, x, n);
                        if (x == n - 1) {
                                comp = false;
                                break;
                        }
                }
                if (comp)
                        return false;
        }
        return true;
}

/* Factors m into distinct primes by trial division up to 2^20 plus a prime cofactor. Returns the
 * number of factors, or 0 when the cofactor is composite (the caller then tries the next prime). */
static size_t factor(uint64_t m, uint64_t *f, size_t max)
{
        size_t n = 0;
        for (uint64_t d = 2; d * d <= m && d < (1u << 20); d += (d == 2 ? 1 : 2)) {
                if (m % d == 0) {
                        if (n == max)
                                return 0;
                        f[n++] = d;
                        while (m % d == 0)
                                m /= d;
                }
        }
        if (m > 1) {
                if (!is_prime(m) || n == max)
                        return 0;
                f[n++] = m;
        }
        return n;
}

static uint64_t splitmix(uint64_t *s)
{
        uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

int scan_perm_init(struct scan_perm *ret, uint64_t n, uint64_t seed, uint32_t shard, uint32_t nshards)
{
        if (n == 0 || n >= (UINT64_C(1) << 62) || nshards == 0 || shard >= nshards)
                return -EINVAL;
        uint64_t p = n + 1, f[64];
        size_t nf;
        for (;; p++) {
                if (!is_prime(p))
                        continue;
                nf = p > 2 ? factor(p - 1, f, 64) : 0;
                if (p == 2 || nf > 0)
                        break;
        }
        uint64_t st = seed, g = 1;
        if (p == 3) {
                g = 2;
        } else if (p > 3) {
                for (;;) {
                        g = 2 + splitmix(&st) % (p - 3);
                        bool prim = true;
                        for (size_t i = 0; i < nf && prim; i++)
                                if (powmod(g, (p - 1) / f[i], p) == 1)
                                        prim = false;
                        if (prim)
                                break;
                }
        }
        struct scan_perm s = {
                .n = n,
                .prime = p,
                .gen = g,
                .start = 1 + splitmix(&st) % (p - 1),
                .shard = shard,
                .nshards = nshards,
        };
        uint64_t cycle = p - 1;
        s.step = powmod(g, nshards, p);
        s.first = mulmod(s.start, powmod(g, shard, p), p);
        s.positions = shard < cycle ? (cycle - shard + nshards - 1) / nshards : 0;
        *ret = s;
        return 0;
}

void scan_perm_begin(const struct scan_perm *p, uint64_t done, struct scan_perm_iter *ret)
{
        if (done > p->positions)
                done = p->positions;
        ret->pos = done;
        ret->x = mulmod(p->first, powmod(p->step, done, p->prime), p->prime);
}

bool scan_perm_next(const struct scan_perm *p, struct scan_perm_iter *it, uint64_t *ret)
{
        while (it->pos < p->positions) {
                uint64_t v = it->x - 1;
                it->x = mulmod(it->x, p->step, p->prime);
                it->pos++;
                if (v < p->n) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}
