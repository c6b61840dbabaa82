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
        --registry|--knowledge|--from|--baseline|--write-baseline|--prometheus|-iL|--exclude-file|-oX|-oG|-oJ|--payloads|--service-probes|--resume)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --status) COMPREPLY=($(compgen -W "assigned reserved unassigned reserved-or-unassigned" -- "$cur")); return ;;
        --range) COMPREPLY=($(compgen -W "system user dynamic" -- "$cur")); return ;;
        --proto) COMPREPLY=($(compgen -W "tcp udp sctp dccp" -- "$cur")); return ;;
        --fail-on) COMPREPLY=($(compgen -W "none low medium high" -- "$cur")); return ;;
        --engine) COMPREPLY=($(compgen -W "connect syn udp" -- "$cur")); return ;;
        --method) COMPREPLY=($(compgen -W "bpf packet" -- "$cur")); return ;;
        --merge) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    local opts="--json --registry --knowledge --no-cache --help"
    case "$cmd" in
        info) opts="$opts --brief --json-object" ;;
        search) opts="$opts --limit --offset" ;;
        help) opts="$commands" ;;
        list) opts="--json --registry --no-cache --help --status --range --proto --port --compact" ;;
        registry) opts="$opts" ;;
        update) opts="--url --from --check --timeout --min-rows --force --keep --limit --no-listening --json --help" ;;
        diff) opts="--json --limit --help" ;;
        audit|listening) opts="$opts --jsonl --all --netns --baseline --write-baseline --prometheus --fail-on --changes" ;;
        scan) opts="$opts --jsonl -p --ports --top-ports --engine --rate --seed --shard --resume --exclude --exclude-file -iL -oX -oG -oJ --timeout --max-retries --max-inflight --source-ports --udp-budget --payloads --service-wait --version-intensity --version-light --version-all --service-probes --no-service --no-progress --store --all-states --changes --merge" ;;
        serve) opts="--listen --registry --show-local --help" ;;
        watch) opts="--jsonl --netns --all-netns --method --filtered --dark-only --ignore --include-loopback --include-chatty --rule --reconcile --syslog --store --metrics --duration --registry --knowledge --help" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _portscope portscope
