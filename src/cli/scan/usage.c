/* portscope scan: its --help, and the nmap spellings it accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portscope/error.h"
#include "portscope/i18n.h"
#include "scan-cli.h"

void scan_cli_help(void)
{
        fputs(
_("Usage: portscope scan [OPTIONS] TARGET...\n"
"\n"
"Scans ports and explains every open one: its IANA registry status, what the\n"
"knowledge file says about it, the service that answered, and a verdict\n"
"(expected, info, unexplained, mismatch, suspicious).\n"
"\n"
"Targets: names, IPv4/IPv6 addresses, CIDR blocks (198.18.0.0/24), ranges\n"
"  (198.18.0.1-9, fd00::1-fd00::9).\n"
"  -iL, --input-file FILE     read targets from FILE ('-': standard input)\n"
"      --exclude LIST         comma-separated targets to leave out\n"
"      --exclude-file FILE    targets to leave out, from a file\n"
"Ports (default: the 1000 most frequently open in nmap-services):\n"
"  -p, --ports SPEC           22,80,8000-8100 | - (1-65535) |\n"
"                             system-unassigned | unassigned | reserved |\n"
"                             assigned | assigned:tcp | malware | top:N\n"
"      --top-ports N          the N most frequently open ports (nmap-services)\n"
"Engines:\n"
"      --engine E             connect (-sT), syn (-sS, needs CAP_NET_RAW),\n"
"                             udp (-sU); default: syn when privileged, else\n"
"                             connect\n"
"      --rate PPS             probes per second (default: as fast as the kernel\n"
"                             allows)\n"
"      --max-retries N        retries of unanswered probes (default: automatic,\n"
"                             while they help)\n"
"      --timeout MS           longest wait for one answer (default 1000;\n"
"                             adaptive below it)\n"
"      --max-inflight N       connect: sockets in flight (default 4096, bounded\n"
"                             by ulimit -n)\n"
"      --source-ports LO-HI   syn: our source ports (default 61000-61999)\n"
"      --udp-budget MS        udp: time to spend on silent ports (default 5000)\n"
"      --payloads FILE        udp: nmap-payloads file\n"
"Order and splitting:\n"
"      --seed N               the random order of (target, port) pairs (default:\n"
"                             random)\n"
"      --shard I/N            scan the I-th of N disjoint parts (same --seed on\n"
"                             every part)\n"
"      --resume FILE          continue the scan saved in FILE; an interrupted\n"
"                             scan saves there\n"
"      --merge FILE...        no scan: merge the --jsonl outputs of the shards\n"
"                             of one scan into one report (any output format;\n"
"                             verdicts judged again)\n"
"Service identification (open TCP and UDP ports, on by default), as nmap -sV:\n"
"  -sV, --service             identify services (banners, nmap-service-probes,\n"
"                             inside TLS)\n"
"      --no-service           do not connect to open ports after the scan\n"
"      --service-wait MS      the most time spent on one port (default 5000)\n"
"      --version-intensity N  0-9: send probes of rarity up to N (default 7); a\n"
"                             probe that names the port is sent whatever its\n"
"                             rarity\n"
"      --version-light        intensity 2;   --version-all   intensity 9\n"
"      --service-probes FILE  nmap-service-probes file\n"
"Output:\n"
"      --json | --jsonl       JSON document | one JSON object per port and host\n"
"  -oX FILE, -oG FILE, -oJ FILE   also write nmap XML, greppable, JSON to FILE\n"
"                             ('-': stdout)\n"
"      --all-states           list closed and filtered ports too\n"
"      --no-progress          no progress line (never shown when stderr is not a\n"
"                             terminal)\n"
"      --store                record the results in the SQLite store\n"
"      --changes              record, and compare with the previous scan of each\n"
"                             host\n"
"      --registry FILE        IANA CSV or services file;   --knowledge FILE\n"
"\n"
"Examples:\n"
"  portscope scan localhost                       top 1000 TCP ports of this\n"
"                                                 machine\n"
"  portscope scan -p- 198.18.0.2                  all 65535 ports (SYN scan when\n"
"                                                 root)\n"
"  portscope scan --ports system-unassigned,malware 198.18.0.0/24\n"
"  portscope scan -sU -p 53,123,161 198.18.0.2    UDP with protocol payloads\n"
"  portscope scan --seed 7 --shard 1/2 -p- 198.18.0.0/28   (run 2/2 elsewhere)\n"
"  portscope scan --merge --json shard1.jsonl shard2.jsonl\n"
"  portscope scan --json -p 22,625,3025 localhost | jq '.hosts[].ports[].verdict'\n"
"  portscope scan -oX scan.xml --changes 198.18.0.2\n"
"\n"
"Verdicts are the audit's (expected, info, unexplained, mismatch, suspicious,\n"
"each with a severity; docs/verdicts.md). Exit status: 0 nothing notable, 1 an\n"
"open port was judged medium or high, 2 bad input or error, 130 interrupted.\n"
"Only scan what you may scan.\n"),
              stdout);
}

/* nmap spellings: -sT -sS -sU -sV -iL -oX -oG -oJ -p- -Pn. */
void scan_cli_translate_nmap(int argc, char **argv)
{
        static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        for (int i = 1; i < argc; i++) {
                char *a = argv[i];
                if (strcmp(a, "--") == 0)
                        break;
                if (strcmp(a, "-sT") == 0)
                        argv[i] = (char *)"--engine=connect";
                else if (strcmp(a, "-sS") == 0)
                        argv[i] = (char *)"--engine=syn";
                else if (strcmp(a, "-sU") == 0)
                        argv[i] = (char *)"--engine=udp";
                else if (strcmp(a, "-sV") == 0)
                        argv[i] = (char *)"--service";
                else if (strcmp(a, "-iL") == 0)
                        argv[i] = (char *)"--input-file";
                else if (strcmp(a, "-oX") == 0)
                        argv[i] = (char *)"--xml-file";
                else if (strcmp(a, "-oG") == 0)
                        argv[i] = (char *)"--grep-file";
                else if (strcmp(a, "-oJ") == 0)
                        argv[i] = (char *)"--json-file";
                else if (strcmp(a, "-Pn") == 0 || strcmp(a, "-n") == 0)
                        argv[i] = (char *)"--no-ping";
                else if (strcmp(a, "-p-") == 0)
                        argv[i] = (char *)"--ports=-";
                else if (a[0] == '-' && a[1] == 's' && a[2] && strchr(letters, a[2]) && a[3] == '\0') {
                        /* nmap's other scan types (-sX, -sF, -sA, -sn...): named, not "unknown option '-s'". */
                        ps_errorf(_("scan: %s is an nmap scan type portscope does not make: it scans with -sS (SYN), "
                                    "-sT (connect) and -sU (UDP), and identifies services with -sV"),
                                  a);
                        exit(PS_EXIT_ERROR);
                }
        }
}
