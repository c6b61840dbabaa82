/* Build tool: turns a file into a C source defining `const char NAME[]` and `NAME_len`. */
#include <stdio.h>

int main(int argc, char **argv)
{
        FILE *in, *out;
        unsigned long n = 0;
        int c;

        if (argc != 4) {
                fprintf(stderr, "usage: embed INPUT OUTPUT SYMBOL\n");
                return 2;
        }
        in = fopen(argv[1], "rb");
        out = fopen(argv[2], "w");
        if (!in || !out) {
                perror("embed");
                return 1;
        }
        fprintf(out, "#include <stddef.h>\nextern const char %s[];\nextern const size_t %s_len;\nconst char %s[] = {", argv[3],
                argv[3], argv[3]);
        while ((c = fgetc(in)) != EOF)
                fprintf(out, "%s%d,", n++ % 20 ? "" : "\n", c);
        fprintf(out, "0};\nconst size_t %s_len = %lu;\n", argv[3], n);
        if (ferror(in) || fclose(out) != 0) {
                perror("embed");
                return 1;
        }
        fclose(in);
        return 0;
}
