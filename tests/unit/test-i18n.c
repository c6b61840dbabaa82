/* Unit tests of i18n: Accept-Language negotiation, the CLI following LANG when the locale is not
 * generated, and a server's threads speaking two languages at once. The catalogues are the tiny
 * ones of tests/fixtures/i18n, built into a locale tree whose path is argv[1]. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portscope/i18n.h"

static const char *localedir;

static const char *neg(const char *h)
{
        return ps_language_negotiate(h)->code;
}

static void test_languages(void **state)
{
        size_t n;
        const struct ps_language *v = ps_languages(&n);

        (void)state;
        assert_int_equal(n, 6);
        assert_string_equal(v[0].code, "en");
        assert_true(ps_language_find("HE", 2)->rtl);
        assert_true(ps_language_find("ar", 2)->rtl);
        assert_false(ps_language_find("fr", 2)->rtl);
        assert_string_equal(ps_language_find("de", 2)->native_name, "Deutsch");
        assert_null(ps_language_find("h", 1));
        assert_null(ps_language_find("hex", 3));
        assert_null(ps_language_find(NULL, 0));
}

/* Counts grouped as each language groups digits; never past the buffer. */
static void test_number(void **state)
{
        (void)state;
        char b[32];
        ps_i18n_thread_use(ps_language_find("en", 2));
        assert_string_equal(ps_i18n_number(0, b, sizeof(b)), "0");
        assert_string_equal(ps_i18n_number(999, b, sizeof(b)), "999");
        assert_string_equal(ps_i18n_number(1283, b, sizeof(b)), "1,283");
        assert_string_equal(ps_i18n_number(18446744073709551615ull, b, sizeof(b)), "18,446,744,073,709,551,615");
        ps_i18n_thread_use(ps_language_find("de", 2));
        assert_string_equal(ps_i18n_number(1234567, b, sizeof(b)), "1.234.567");
        ps_i18n_thread_use(ps_language_find("fr", 2));
        assert_string_equal(ps_i18n_number(65535, b, sizeof(b)), "65\u202f535");
        ps_i18n_thread_use(ps_language_find("en", 2));
        assert_string_equal(ps_i18n_number(1234567, b, 6), "1,234"); /* cut, terminated */
        assert_string_equal(ps_i18n_number(1234567, b, 1), "");
        assert_string_equal(ps_i18n_percent(0.18688, 4, b, sizeof(b)), "0.1869%");
        assert_string_equal(ps_i18n_percent(12, 0, b, sizeof(b)), "12%");
        ps_i18n_thread_use(ps_language_find("de", 2));
        assert_string_equal(ps_i18n_percent(0.18688, 4, b, sizeof(b)), "0,1869\u202f%");
        ps_i18n_thread_use(ps_language_find("he", 2));
        assert_string_equal(ps_i18n_percent(-1.5, 1, b, sizeof(b)), "-1.5%");
        ps_i18n_thread_use(NULL);
}

static void test_negotiate(void **state)
{
        (void)state;
        assert_string_equal(neg(NULL), "en");
        assert_string_equal(neg(""), "en");
        assert_string_equal(neg("he"), "he");
        assert_string_equal(neg("he-IL"), "he");
        assert_string_equal(neg("HE-il"), "he");
        assert_string_equal(neg("zh-CN, fr;q=0.5"), "fr");
        assert_string_equal(neg("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"), "fr");
        assert_string_equal(neg("de;q=0.7, es;q=0.8"), "es");
        assert_string_equal(neg("en;q=0.1, ar"), "ar");
        /* Equal q: the first written wins. */
        assert_string_equal(neg("es, de"), "es");
        assert_string_equal(neg("de, es"), "de");
        /* q=0: not acceptable, even through a wildcard or a longer range. */
        assert_string_equal(neg("he;q=0, fr;q=0.1"), "fr");
        assert_string_equal(neg("he;q=0"), "en");
        assert_string_equal(neg("*, en;q=0"), "he");
        assert_string_equal(neg("*;q=0"), "en");
        assert_string_equal(neg("fr;q=0, fr-CA;q=0.8"), "en"); /* the exact range decides */
        assert_string_equal(neg("fr-CA;q=0.3, fr-FR;q=0.6, de;q=0.5"), "fr");
        assert_string_equal(neg("*"), "en");
        assert_string_equal(neg("ja, *;q=0.1"), "en");
        assert_string_equal(neg("q=1.0"), "en");
        /* Whitespace (OWS) and empty list elements. */
        assert_string_equal(neg("  ja ,\t, de ; q=0.4 ,, es;Q=0.3 "), "de");
        assert_string_equal(neg(",,,ar,,"), "ar");
        assert_string_equal(neg("fr;q=1, de;q=1.000"), "fr");
        assert_string_equal(neg("fr;q=0.001"), "fr");
        /* A malformed element is left out, the others still count. */
        assert_string_equal(neg("fr;q=1.5, he;q=0.9"), "he");
        assert_string_equal(neg("he_IL, de;q=0.2"), "de");
        assert_string_equal(neg("es;level=1, ar;q=0.5"), "ar");
        assert_string_equal(neg("x-abcdefghi, fr"), "fr");
        /* Malformed alone: English. */
        assert_string_equal(neg("he;q=2"), "en");
        assert_string_equal(neg("he;q=1.5"), "en");
        assert_string_equal(neg("he;q=0.1234"), "en");
        assert_string_equal(neg("he;q="), "en");
        assert_string_equal(neg("he;level=1"), "en");
        assert_string_equal(neg("he_IL"), "en");
        assert_string_equal(neg("he-"), "en");
        assert_string_equal(neg("-he"), "en");
        assert_string_equal(neg("abcdefghi"), "en");
        assert_string_equal(neg("he-abcdefghi"), "en");
        assert_string_equal(neg("he fr"), "en");
        assert_string_equal(neg("fr;q=0.5;q=0.4"), "en");
        assert_string_equal(neg("\xd7\xa2\xd7\x91"), "en");
        assert_string_equal(neg("1he"), "en");
        /* Long headers: many ranges are fine, a header beyond 4 KiB is not read. */
        {
                char big[8192];
                size_t n = 0;

                while (n + 8 < 4000) {
                        memcpy(big + n, "xx-yy, ", 7);
                        n += 7;
                }
                memcpy(big + n, "es", 3);
                assert_string_equal(neg(big), "en"); /* es is beyond the 64th range */
                memcpy(big, "de, ", 4);
                assert_string_equal(neg(big), "de");
                memset(big, 'a', sizeof(big) - 1);
                big[sizeof(big) - 1] = '\0';
                assert_string_equal(neg(big), "en");
        }
}

/* Runs fn in a child process (the init functions change the process's locale and environment). */
static void in_child(int (*fn)(void))
{
        pid_t pid = fork();
        int status;

        assert_true(pid >= 0);
        if (pid == 0) {
                fflush(stdout);
                _exit(fn());
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

#define CHECK(cond)                                                                   \
        do {                                                                          \
                if (!(cond)) {                                                        \
                        fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
                        return 1;                                                     \
                }                                                                     \
        } while (0)

static int cli_env(const char *lc_all, const char *lang, const char *language)
{
        unsetenv("LC_ALL");
        unsetenv("LC_MESSAGES");
        unsetenv("LANGUAGE");
        if (lc_all)
                setenv("LC_ALL", lc_all, 1);
        if (lang)
                setenv("LANG", lang, 1);
        else
                unsetenv("LANG");
        if (language)
                setenv("LANGUAGE", language, 1);
        setenv("PORTSCOPE_LOCALEDIR", localedir, 1);
        ps_i18n_init();
        return 0;
}

static int cli_hebrew(void)
{
        /* No he_IL locale on most test machines: the CLI derives LANGUAGE from LANG. */
        cli_env(NULL, "he_IL.UTF-8", NULL);
        CHECK(strcmp(_("test: hello"), "שלום") == 0);
        CHECK(strcmp(_("not in the catalogue"), "not in the catalogue") == 0);
        /* One English word, two meanings: the context tells them apart. */
        CHECK(strcmp(ps_pgettext("severity", "test: none"), "אין חומרה") == 0);
        CHECK(strcmp(ps_pgettext("cache", "test: none"), "אין מטמון") == 0);
        CHECK(strcmp(ps_pgettext("other", "test: none"), "test: none") == 0);
        CHECK(strcmp(_("test: none"), "test: none") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 1), "פורט %lu") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 5), "%lu פורטים") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "he") == 0);
        /* JSON paths force English. */
        ps_i18n_thread_use(ps_language_find("en", 2));
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        CHECK(strcmp(ps_pgettext("severity", "test: none"), "test: none") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 1), "test: %lu port") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 2), "test: %lu ports") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "en") == 0);
        ps_i18n_thread_use(NULL);
        CHECK(strcmp(_("test: hello"), "שלום") == 0);
        return 0;
}

static int cli_lc_all_wins(void)
{
        cli_env("fr_FR.UTF-8@euro", "he_IL.UTF-8", NULL);
        CHECK(strcmp(_("test: hello"), "bonjour") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 0), "%lu port") == 0); /* n > 1 */
        return 0;
}

static int cli_language_wins(void)
{
        /* LANGUAGE (a list) is gettext's own and wins over LANG. */
        cli_env(NULL, "he_IL.UTF-8", "ja:ar");
        CHECK(strcmp(_("test: hello"), "مرحبا") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "ar") == 0);
        return 0;
}

static int cli_c(void)
{
        cli_env(NULL, "C", NULL);
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "en") == 0);
        cli_env("POSIX", "he_IL.UTF-8", NULL);
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        return 0;
}

static int cli_unknown(void)
{
        cli_env(NULL, "ja_JP.UTF-8", NULL);
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "en") == 0);
        return 0;
}

static int widths(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *m;

        cli_env(NULL, "C.UTF-8", NULL);
        CHECK(ps_text_width("VERDICT") == 7);
        CHECK(ps_text_width("עברית") == 5);            /* 10 bytes, 5 columns */
        CHECK(ps_text_width("日本") == 4);              /* wide */
        CHECK(ps_text_width("e\xcc\x81t\xc3\xa9") == 3); /* a combining accent takes no column */
        CHECK(ps_text_width("a\xff" "b") == 3);           /* a stray byte counts one */
        CHECK(ps_text_width("") == 0);
        m = open_memstream(&buf, &len);
        CHECK(m != NULL);
        ps_put_padded(m, "עברית", 8);
        ps_put_padded(m, "toolongword", 4);
        fclose(m);
        CHECK(strcmp(buf, "עברית   toolongword") == 0);
        free(buf);
        return 0;
}

static void test_cli(void **state)
{
        (void)state;
        in_child(cli_hebrew);
        in_child(cli_lc_all_wins);
        in_child(cli_language_wins);
        in_child(cli_c);
        in_child(cli_unknown);
        in_child(widths);
}

struct worker {
        const char *code, *hello, *one, *many;
        int failures;
        pthread_barrier_t *start;
};

static void *speak(void *arg)
{
        struct worker *w = arg;

        ps_i18n_thread_use(ps_language_find(w->code, strlen(w->code)));
        pthread_barrier_wait(w->start);
        /* Both threads look up the same msgids at the same time, each in its own language. */
        for (int i = 0; i < 20000; i++) {
                if (strcmp(_("test: hello"), w->hello) != 0 ||
                    strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 1), w->one) != 0 ||
                    strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 7), w->many) != 0 ||
                    strcmp(ps_i18n_thread_language()->code, w->code) != 0)
                        w->failures++;
        }
        return NULL;
}

static int server_threads(void)
{
        pthread_barrier_t start;
        struct worker w[] = {
                { "he", "שלום", "פורט %lu", "%lu פורטים", 0, &start },
                { "fr", "bonjour", "%lu port", "%lu ports (fr)", 0, &start },
                { "en", "test: hello", "test: %lu port", "test: %lu ports", 0, &start },
        };
        pthread_t t[3];

        /* The environment asks for German, which has no catalogue here: English by default. */
        cli_env(NULL, "de_DE.UTF-8", NULL);
        ps_i18n_init_server();
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        CHECK(strcmp(ps_i18n_thread_language()->code, "en") == 0);
        pthread_barrier_init(&start, NULL, 3);
        for (int i = 0; i < 3; i++)
                CHECK(pthread_create(&t[i], NULL, speak, &w[i]) == 0);
        for (int i = 0; i < 3; i++) {
                pthread_join(t[i], NULL);
                if (w[i].failures)
                        fprintf(stderr, "thread %s: %d wrong lookups\n", w[i].code, w[i].failures);
                CHECK(w[i].failures == 0);
        }
        pthread_barrier_destroy(&start);
        /* Arabic's six plural forms, from the catalogue's own Plural-Forms. */
        ps_i18n_thread_use(ps_language_find("ar", 2));
        CHECK(strcmp(_("test: hello"), "مرحبا") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 0), "ar0 %lu") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 2), "ar2 %lu") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 3), "ar3 %lu") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 11), "ar4 %lu") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 100), "ar5 %lu") == 0);
        /* A language without a catalogue speaks English. */
        ps_i18n_thread_use(ps_language_find("es", 2));
        CHECK(strcmp(_("test: hello"), "test: hello") == 0);
        CHECK(strcmp(ps_ngettext("test: %lu port", "test: %lu ports", 2), "test: %lu ports") == 0);
        return 0;
}

static int server_default_language(void)
{
        /* A server started with LANG=he_IL speaks Hebrew where no request chose a language. */
        cli_env(NULL, "he_IL.UTF-8", NULL);
        ps_i18n_init_server();
        CHECK(strcmp(ps_i18n_thread_language()->code, "he") == 0);
        CHECK(strcmp(_("test: hello"), "שלום") == 0);
        ps_i18n_thread_use(ps_language_find("fr", 2));
        CHECK(strcmp(_("test: hello"), "bonjour") == 0);
        return 0;
}

static void test_server(void **state)
{
        (void)state;
        in_child(server_threads);
        in_child(server_default_language);
}

int main(int argc, char **argv)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_languages),
                cmocka_unit_test(test_negotiate),
                cmocka_unit_test(test_number),
                cmocka_unit_test(test_cli),
                cmocka_unit_test(test_server),
        };

        if (argc < 2) {
                fprintf(stderr, "usage: test-i18n LOCALEDIR\n");
                return 2;
        }
        localedir = argv[1];
        return cmocka_run_group_tests(tests, NULL, NULL);
}
