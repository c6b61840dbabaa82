# bash completion for portscope
_portscope() {
    local cur prev cmd
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=${COMP_WORDS[1]}
    local commands="info search list registry update diff audit listening scan serve watch help version"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case "$prev" in
        --registry|--knowledge|--from|--baseline|--write-baseline|--prometheus|-iL|--input-file|--exclude-file|-oX|-oG|-oJ|--payloads|--service-probes|--resume|--db|--access-log|--metrics)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --status) COMPREPLY=($(compgen -W "assigned reserved unassigned reserved-or-unassigned" -- "$cur")); return ;;
        --range) COMPREPLY=($(compgen -W "system user dynamic" -- "$cur")); return ;;
        --proto) COMPREPLY=($(compgen -W "tcp udp sctp dccp" -- "$cur")); return ;;
        --fail-on) COMPREPLY=($(compgen -W "none low medium high never" -- "$cur")); return ;;
        --engine) COMPREPLY=($(compgen -W "connect syn udp" -- "$cur")); return ;;
        --method) COMPREPLY=($(compgen -W "auto bpf packet" -- "$cur")); return ;;
        --merge) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    # Each command's options, as its --help lists them (tests/integration/test_cli.py checks).
    local opts=""
    case "$cmd" in
        info) opts="--brief --json --json-object --registry --knowledge --no-cache --help" ;;
        search) opts="--json --limit --offset --registry --knowledge --no-cache --help" ;;
        help) opts="$commands" ;;
        list) opts="--json --registry --knowledge --no-cache --help --status --range --proto --port --compact" ;;
        registry) opts="--json --registry --knowledge --no-cache --help" ;;
        update) opts="--url --from --check --timeout --min-rows --force --keep --limit --no-listening --json --help" ;;
        diff) opts="--json --limit --help" ;;
        audit|listening) opts="--json --jsonl --all --netns --registry --knowledge --baseline --write-baseline --prometheus --fail-on --changes --no-history --threads --no-bpf --no-cache --help" ;;
        scan) opts="--json --jsonl --registry --knowledge -p --ports --top-ports --engine --rate --seed --shard --resume --exclude --exclude-file -iL --input-file -oX -oG -oJ --timeout --max-retries --max-inflight --source-ports --udp-budget --payloads --service-wait --version-intensity --version-light --version-all --service-probes --no-service --no-progress --store --all-states --changes --merge --help" ;;
        serve) opts="--listen --registry --knowledge --no-cache --show-local --db --no-feedback --feedback-limit --access-log --no-access-log --threads --idle-timeout --request-timeout --max-connections --max-per-ip --help" ;;
        watch) opts="--jsonl --netns --all-netns --method --filtered --dark-only --ignore --include-loopback --include-chatty --rule --reconcile --syslog --store --metrics --duration --registry --knowledge --help" ;;
    esac
    # listening's argument: a port or service name, or the socket kinds that have no port.
    [ "$cmd" = listening ] && [[ "$cur" != -* ]] && opts="raw packet"
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _portscope portscope
