# fish completion for portscope: commands, then each command's options.
set -l cmds info search list registry update diff audit listening scan serve watch help
complete -c portscope -f
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a info -d 'everything known about a port or a name'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a search -d 'search names, descriptions, knowledge'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a list -d 'ports by status, range and protocol'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a registry -d 'the registry in use'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a update -d 'fetch the registry, say what changed'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a diff -d 'compare two registry files'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a audit -d 'every listener here and a verdict'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a listening -d 'what is listening (on PORT)'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a scan -d 'open ports of hosts and a verdict'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a serve -d 'port pages, map and JSON API'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a watch -d 'probes of empty ports, scans, listeners'
complete -c portscope -n "not __fish_seen_subcommand_from $cmds" -a help -d 'explain a command'
for c in info search list registry audit listening scan
    complete -c portscope -n "__fish_seen_subcommand_from $c" -l json -d 'JSON output'
    complete -c portscope -n "__fish_seen_subcommand_from $c" -l registry -r -F -d 'the IANA CSV'
    complete -c portscope -n "__fish_seen_subcommand_from $c" -l knowledge -r -F -d 'the knowledge file'
end
complete -c portscope -n "__fish_seen_subcommand_from info" -l brief -d 'a few lines per port'
complete -c portscope -n "__fish_seen_subcommand_from info" -l json-object -d 'one port as an object'
complete -c portscope -n "__fish_seen_subcommand_from search" -l limit -r
complete -c portscope -n "__fish_seen_subcommand_from search" -l offset -r
complete -c portscope -n "__fish_seen_subcommand_from list" -l status -x -a 'assigned reserved unassigned reserved-or-unassigned'
complete -c portscope -n "__fish_seen_subcommand_from list" -l range -x -a 'system user dynamic'
complete -c portscope -n "__fish_seen_subcommand_from list" -l proto -x -a 'tcp udp sctp dccp'
complete -c portscope -n "__fish_seen_subcommand_from update" -l from -r -F
complete -c portscope -n "__fish_seen_subcommand_from update" -l check -d 'exit 10 when a newer registry is out'
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l jsonl
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l netns -r
complete -c portscope -n "__fish_seen_subcommand_from listening" -f -a "raw packet" -d 'sockets without a port'
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l baseline -r -F
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l write-baseline -r -F
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l prometheus -r -F
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l fail-on -x -a 'none low medium high never'
complete -c portscope -n "__fish_seen_subcommand_from scan" -s p -r -d 'ports'
complete -c portscope -n "__fish_seen_subcommand_from scan" -l engine -x -a 'connect syn udp'
complete -c portscope -n "__fish_seen_subcommand_from scan" -l top-ports -r
complete -c portscope -n "__fish_seen_subcommand_from scan" -l shard -r -d 'I/N'
complete -c portscope -n "__fish_seen_subcommand_from scan" -l merge -r -F -d 'merge shard JSONL'
complete -c portscope -n "__fish_seen_subcommand_from scan" -l version-intensity -x -a '0 1 2 3 4 5 6 7 8 9'
complete -c portscope -n "__fish_seen_subcommand_from scan" -l no-service
complete -c portscope -n "__fish_seen_subcommand_from serve" -l listen -r
complete -c portscope -n "__fish_seen_subcommand_from serve" -l show-local
complete -c portscope -n "__fish_seen_subcommand_from watch" -l jsonl
complete -c portscope -n "__fish_seen_subcommand_from watch" -l netns -r
complete -c portscope -n "__fish_seen_subcommand_from watch" -l all-netns
complete -c portscope -n "__fish_seen_subcommand_from watch" -l method -x -a 'auto bpf packet'
complete -c portscope -n "__fish_seen_subcommand_from watch" -l metrics -r -F
# The rest of each command's options, as its --help lists them (tests/integration/test_cli.py checks).
for o in no-cache
    complete -c portscope -n "__fish_seen_subcommand_from info search list registry audit listening serve" -l $o
end
complete -c portscope -n "__fish_seen_subcommand_from update" -l url -r
for o in timeout min-rows keep limit
    complete -c portscope -n "__fish_seen_subcommand_from update" -l $o -r
end
for o in force no-listening json
    complete -c portscope -n "__fish_seen_subcommand_from update" -l $o
end
complete -c portscope -n "__fish_seen_subcommand_from diff" -l json
complete -c portscope -n "__fish_seen_subcommand_from diff" -l limit -r
complete -c portscope -n "__fish_seen_subcommand_from list" -l port -r
complete -c portscope -n "__fish_seen_subcommand_from list" -l compact
for o in all changes no-history no-bpf
    complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l $o
end
complete -c portscope -n "__fish_seen_subcommand_from audit listening" -l threads -r
for o in ports rate seed resume exclude timeout max-retries max-inflight source-ports udp-budget service-wait
    complete -c portscope -n "__fish_seen_subcommand_from scan" -l $o -r
end
for o in exclude-file input-file payloads service-probes
    complete -c portscope -n "__fish_seen_subcommand_from scan" -l $o -r -F
end
for o in jsonl version-light version-all no-progress store all-states changes
    complete -c portscope -n "__fish_seen_subcommand_from scan" -l $o
end
for o in db access-log
    complete -c portscope -n "__fish_seen_subcommand_from serve" -l $o -r -F
end
for o in feedback-limit threads idle-timeout request-timeout max-connections max-per-ip
    complete -c portscope -n "__fish_seen_subcommand_from serve" -l $o -r
end
for o in registry knowledge
    complete -c portscope -n "__fish_seen_subcommand_from serve watch" -l $o -r -F
end
for o in no-feedback no-access-log
    complete -c portscope -n "__fish_seen_subcommand_from serve" -l $o
end
for o in filtered dark-only include-loopback include-chatty syslog store
    complete -c portscope -n "__fish_seen_subcommand_from watch" -l $o
end
for o in ignore rule reconcile duration
    complete -c portscope -n "__fish_seen_subcommand_from watch" -l $o -r
end
