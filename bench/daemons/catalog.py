"""The daemons bench/daemons.sh starts: each one Debian's own binary, started in the foreground
inside the bench's network namespace with a minimal configuration written under the run's temp
dir (the host's /etc is only read). Each entry says which package brings it, which sockets it
should open, and how to prepare and start it.

A daemon is started as `ip netns exec NS sh -c WRAPPER sh ARGV...`: `ip netns exec` gives it a
private mount namespace, where WRAPPER mounts a fresh tmpfs on /run (pid files, sockets and
lock files go there, not to the host's /run) and on the paths listed in `tmpfs`, creates the
directories in `rundirs` (owned by the daemon's user), then execs the daemon, so the PID we
hold is the daemon's. `user` runs it through setpriv for daemons that refuse root."""
import os
import shutil
import subprocess

A, B, C, D = "198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"  # the daemons' addresses
SCANNER = "198.18.0.1"
IFACE = "psb-d0"  # the daemons' end of the veth pair (packet sockets bind to it)
ADDRESSES = (A, B, C, D)


class Daemon:
    def __init__(self, name, package, binary, ports, prepare, user=None, rundirs=(), tmpfs=(),
                 env=None, wrong=False, why=""):
        self.name = name          # label in the report
        self.package = package    # Debian package that brings binary
        self.binary = binary
        self.ports = ports        # [(proto, address, port)] it must open
        self.prepare = prepare    # f(dir) -> argv; writes the configuration under dir
        self.user = user          # run as this user (setpriv) when the daemon refuses root
        self.rundirs = rundirs    # [(path, owner)] created on the private /run tmpfs
        self.tmpfs = tmpfs        # [(path, owner)] extra private tmpfs mounts (host dirs it writes)
        self.env = env or {}
        self.wrong = wrong        # a deliberately wrong listener
        self.why = why            # for wrong listeners: what makes it wrong


def write(path, text, mode=0o644, owner=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    if owner:
        shutil.chown(path, owner, None)


def mkdir(path, owner=None, mode=0o755):
    os.makedirs(path, exist_ok=True)
    os.chmod(path, mode)
    if owner:
        shutil.chown(path, owner, _group_of(owner))


def _group_of(user):
    import grp
    import pwd
    return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name


def quiet(argv, **kw):
    """Runs a preparation step; raises with its last line of output when it fails."""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=120, **kw)
    if r.returncode != 0:
        last = [l for l in r.stdout.splitlines() if l.strip()][-1:] or ["(no output)"]
        raise RuntimeError("%s failed (exit %d): %s" % (os.path.basename(argv[0]), r.returncode,
                                                        last[0].strip()))


def _sshd_conf(d, port, address=A):
    key = os.path.join(d, "ssh_host_ed25519_key")
    if not os.path.exists(key):
        quiet(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key])
    conf = os.path.join(d, "sshd_config.%s.%d" % (address, port))
    write(conf, "Port %d\nListenAddress %s\nHostKey %s\nPidFile none\nUsePAM no\n"
          "PasswordAuthentication no\nKbdInteractiveAuthentication no\n" % (port, address, key))
    return conf


def sshd(d):
    return ["/usr/sbin/sshd", "-D", "-e", "-f", _sshd_conf(d, 22)]


def sshd_8080(d):
    return ["/usr/sbin/sshd", "-D", "-e", "-f", _sshd_conf(d, 8080)]


def sshd_stray(d):
    """Debian's sshd copied under the bench's directory in /tmp, and run from there on 22: the
    program is sshd, its executable is where no package puts one."""
    copy = os.path.join(d, "stray", "sshd")
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    shutil.copy("/usr/sbin/sshd", copy)
    os.chmod(copy, 0o755)
    return [copy, "-D", "-e", "-f", _sshd_conf(d, 22, C)]


def _www(d):
    www = os.path.join(d, "www")
    write(os.path.join(www, "index.html"), "<p>psbench</p>\n")
    return www


def nginx(d):
    conf = os.path.join(d, "nginx.conf")
    temps = "".join("  %s_temp_path %s/%s;\n" % (t, d, t)
                    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    write(conf, "daemon off;\nuser www-data;\nworker_processes 1;\npid %s/nginx.pid;\n"
          "error_log stderr;\nevents {}\nhttp {\n  access_log off;\n%s"
          "  server { listen %s:80; root %s; }\n}\n" % (d, temps, A, _www(d)))
    return ["/usr/sbin/nginx", "-e", "stderr", "-p", d + "/", "-c", conf]


def lighttpd(d):
    conf = os.path.join(d, "lighttpd.conf")
    write(conf, 'server.bind = "%s"\nserver.port = 80\nserver.document-root = "%s"\n'
          'server.username = "www-data"\nserver.groupname = "www-data"\n' % (B, _www(d)))
    return ["/usr/sbin/lighttpd", "-D", "-f", conf]


def apache2(d):
    conf = os.path.join(d, "apache2.conf")
    mods = "".join("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n" % (m, m)
                   for m in ("mpm_event", "authz_core", "dir"))
    mkdir(os.path.join(d, "run"))
    write(conf, "%sServerName psbench-apache\nListen %s:80\nUser www-data\nGroup www-data\n"
          "PidFile %s/apache2.pid\nDefaultRuntimeDir %s/run\nErrorLog /dev/stderr\n"
          "DocumentRoot %s\n" % (mods, C, d, d, _www(d)))
    return ["/usr/sbin/apache2", "-DFOREGROUND", "-d", d, "-f", conf]


def haproxy(d):
    conf = os.path.join(d, "haproxy.cfg")
    write(conf, "global\n  user haproxy\n  group haproxy\ndefaults\n  mode http\n"
          "  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n"
          "frontend web\n  bind %s:80\n"
          "  http-request return status 200 content-type text/plain string psbench\n" % D)
    return ["/usr/sbin/haproxy", "-db", "-f", conf]


def varnish(d):
    return ["/usr/sbin/varnishd", "-F", "-a", "%s:6081" % A, "-b", "%s:80" % A,
            "-n", os.path.join(d, "work"), "-T", "127.0.0.1:6082", "-s", "malloc,32m"]


def squid(d):
    conf = os.path.join(d, "squid.conf")
    mkdir(os.path.join(d, "spool"), "proxy")
    write(conf, "http_port %s:3128\npid_filename %s/spool/squid.pid\n"
          "cache_effective_user proxy\naccess_log none\ncache_log stdio:/dev/stderr\n"
          "cache_store_log none\nlogfile_rotate 0\ncoredump_dir %s/spool\n"
          "pinger_enable off\ndns_nameservers %s\nhttp_access deny all\n" % (A, d, d, A))
    return ["/usr/sbin/squid", "-N", "-f", conf]


def tinyproxy(d):
    conf = os.path.join(d, "tinyproxy.conf")
    write(conf, "User tinyproxy\nGroup tinyproxy\nPort 8888\nListen %s\nTimeout 60\n"
          "MaxClients 10\nLogLevel Warning\n" % A)
    return ["/usr/bin/tinyproxy", "-d", "-c", conf]


def privoxy(d):
    conf = os.path.join(d, "privoxy.conf")
    mkdir(os.path.join(d, "log"), "privoxy")
    write(conf, "confdir /etc/privoxy\nlogdir %s/log\nlisten-address %s:8118\n" % (d, A))
    return ["/usr/sbin/privoxy", "--no-daemon", "--user", "privoxy", conf]


def _pg_bin():
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/VERSION/bin)."""
    base = "/usr/lib/postgresql"
    try:
        versions = [v for v in os.listdir(base) if v.isdigit()]
    except OSError:
        versions = []
    return os.path.join(base, max(versions, key=int) if versions else "15", "bin")


def postgresql(d):
    data = os.path.join(d, "data")
    mkdir(d, "postgres")
    quiet(["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
           os.path.join(_pg_bin(), "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
           "--no-sync"], cwd=d)
    return [os.path.join(_pg_bin(), "postgres"), "-D", data, "-c", "listen_addresses=" + A,
            "-c", "port=5432", "-c", "unix_socket_directories=" + d,
            "-c", "logging_collector=off", "-c", "shared_buffers=16MB"]


def pgbouncer(d):
    mkdir(d, "postgres")
    users = os.path.join(d, "users.txt")
    write(users, '"postgres" ""\n', owner="postgres")
    conf = os.path.join(d, "pgbouncer.ini")
    write(conf, "[databases]\n* = host=%s port=5432\n[pgbouncer]\nlisten_addr = %s\n"
          "listen_port = 6432\nauth_type = trust\nauth_file = %s\nunix_socket_dir = %s\n"
          % (A, A, users, d), owner="postgres")
    return ["/usr/sbin/pgbouncer", conf]


def mariadb(d):
    data = os.path.join(d, "data")
    mkdir(d, "mysql")
    quiet(["mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=mysql",
           "--auth-root-authentication-method=normal", "--skip-test-db"], cwd=d)
    return ["/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + data, "--user=mysql",
            "--bind-address=" + A, "--port=3306", "--socket=%s/mysqld.sock" % d,
            "--pid-file=%s/mysqld.pid" % d, "--innodb-buffer-pool-size=16M",
            "--skip-name-resolve"]


def redis(d):
    mkdir(d, "redis")
    return ["/usr/bin/redis-server", "--bind", A, "--port", "6379", "--daemonize", "no",
            "--save", "", "--appendonly", "no", "--dir", d, "--protected-mode", "no"]


def memcached(_d):
    return ["/usr/bin/memcached", "-u", "memcache", "-l", A, "-p", "11211", "-U", "0"]


def beanstalkd(_d):
    return ["/usr/bin/beanstalkd", "-l", A, "-p", "11300", "-u", "beanstalkd"]


def exim4(d):
    return ["/usr/sbin/exim4", "-bdf", "-oX", "%s.25" % A, "-oP", "%s/exim.pid" % d]


def dovecot(d):
    conf = os.path.join(d, "dovecot.conf")
    write(conf, "protocols = imap pop3\nlisten = %s\nbase_dir = %s/run\nstate_dir = %s/state\n"
          "ssl = no\nlog_path = /dev/stderr\ndefault_internal_user = dovecot\n"
          "default_login_user = dovenull\nmail_location = mbox:~/mail\n"
          "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
          "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n"
          % (A, d, d))
    return ["/usr/sbin/dovecot", "-F", "-c", conf]


def dnsmasq(d):
    conf = os.path.join(d, "dnsmasq.conf")
    write(conf, "listen-address=%s\nbind-interfaces\nport=53\nno-resolv\nno-hosts\n"
          "address=/psbench.test/%s\npid-file=%s/dnsmasq.pid\nuser=dnsmasq\nlog-facility=-\n"
          % (A, A, d))
    return ["/usr/sbin/dnsmasq", "-k", "-C", conf]


def unbound(d):
    conf = os.path.join(d, "unbound.conf")
    mkdir(os.path.join(d, "work"), "unbound")
    write(conf, 'server:\n  interface: %s\n  port: 53\n  do-daemonize: no\n  chroot: ""\n'
          '  username: "unbound"\n  pidfile: ""\n  directory: "%s/work"\n  use-syslog: no\n'
          '  logfile: ""\n  access-control: 198.18.0.0/15 allow\n  do-ip6: no\n'
          'remote-control:\n  control-enable: no\n' % (B, d))
    return ["/usr/sbin/unbound", "-d", "-c", conf]


def rpcbind(_d):
    return ["/usr/sbin/rpcbind", "-f"]


def cupsd(d):
    for sub in ("spool", "tmp", "cache", "state", "root"):
        mkdir(os.path.join(d, sub), None, 0o755)
    os.chmod(os.path.join(d, "spool"), 0o710)
    shutil.chown(os.path.join(d, "spool"), "root", "lp")
    conf = os.path.join(d, "root", "cupsd.conf")
    # cupsd refuses to start without a local way in: its socket, on the private /run.
    write(conf, "Listen %s:631\nListen /run/cups/cups.sock\nBrowsing No\nLogLevel warn\n"
          "<Location />\n  Order allow,deny\n"
          "  Allow all\n</Location>\n" % A)
    files = os.path.join(d, "root", "cups-files.conf")
    write(files, "ServerRoot %s/root\nRequestRoot %s/spool\nTempDir %s/tmp\nCacheDir %s/cache\n"
          "StateDir %s/state\nErrorLog stderr\nAccessLog stderr\nPageLog stderr\n"
          "User lp\nGroup lp\nSystemGroup root\n" % (d, d, d, d, d))
    return ["/usr/sbin/cupsd", "-f", "-c", conf, "-s", files]


def avahi(d):
    conf = os.path.join(d, "avahi-daemon.conf")
    write(conf, "[server]\nuse-ipv4=yes\nuse-ipv6=no\nenable-dbus=no\n"
          "[publish]\ndisable-publishing=yes\n")
    return ["/usr/sbin/avahi-daemon", "-f", conf, "--no-drop-root", "--no-chroot",
            "--no-rlimits"]


def mosquitto(d):
    conf = os.path.join(d, "mosquitto.conf")
    write(conf, "listener 1883 %s\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
          "user mosquitto\n" % A)
    return ["/usr/sbin/mosquitto", "-c", conf]


def slapd(d):
    mkdir(os.path.join(d, "db"), "openldap", 0o700)
    conf = os.path.join(d, "slapd.conf")
    write(conf, "include /etc/ldap/schema/core.schema\nmodulepath /usr/lib/ldap\n"
          "moduleload back_mdb\npidfile /run/slapd/slapd.pid\ndatabase mdb\n"
          'suffix "dc=psbench,dc=test"\nrootdn "cn=admin,dc=psbench,dc=test"\n'
          "directory %s/db\nmaxsize 10485760\n" % d)
    # -d keeps it in the foreground; 256 (stats) is the lowest level that logs why it stops.
    return ["/usr/sbin/slapd", "-d", "256", "-h", "ldap://%s/" % A, "-f", conf,
            "-u", "openldap", "-g", "openldap"]


def _smb_conf(d):
    conf = os.path.join(d, "smb.conf")
    if not os.path.exists(conf):
        dirs = {k: os.path.join(d, k) for k in ("lock", "state", "cache", "private", "run",
                                                 "ncalrpc", "binddns", "log")}
        for p in dirs.values():
            mkdir(p)
        os.chmod(dirs["private"], 0o700)
        write(conf, "[global]\n  interfaces = %s/24\n  bind interfaces only = yes\n"
              "  workgroup = PSBENCH\n  netbios name = PSBENCH\n  server role = standalone server\n"
              "  lock directory = %s\n  state directory = %s\n  cache directory = %s\n"
              "  private dir = %s\n  pid directory = %s\n  ncalrpc dir = %s\n"
              "  binddns dir = %s\n  log file = %s/log.%%m\n"
              "  passdb backend = tdbsam:%s/passdb.tdb\n  load printers = no\n"
              "  printing = bsd\n  printcap name = /dev/null\n  disable spoolss = yes\n"
              "  local master = no\n  domain master = no\n  preferred master = no\n"
              % (A, dirs["lock"], dirs["state"], dirs["cache"], dirs["private"], dirs["run"],
                 dirs["ncalrpc"], dirs["binddns"], dirs["log"], dirs["private"]))
    return conf


def smbd(d):
    return ["/usr/sbin/smbd", "--foreground", "--no-process-group", "--debug-stdout",
            "-s", _smb_conf(d)]


def nmbd(d):
    return ["/usr/sbin/nmbd", "--foreground", "--no-process-group", "--debug-stdout",
            "-s", _smb_conf(d)]


def snmpd(d):
    conf = os.path.join(d, "snmpd.conf")
    mkdir(os.path.join(d, "persist"), "Debian-snmp")
    write(conf, "agentaddress udp:%s:161\nrocommunity public 198.18.0.0/15\n"
          "sysLocation psbench\nsysContact root\n" % A)
    return ["/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", conf, "-u", "Debian-snmp",
            "-g", "Debian-snmp"]


def rsyslog(d):
    conf = os.path.join(d, "rsyslog.conf")
    mkdir(os.path.join(d, "work"))
    write(conf, 'global(workDirectory="%s/work")\nmodule(load="imudp")\n'
          'input(type="imudp" port="514" address="%s")\nmodule(load="imtcp")\n'
          'input(type="imtcp" port="514" address="%s")\n*.* %s/messages\n' % (d, A, A, d))
    return ["/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", "%s/rsyslogd.pid" % d]


def vsftpd(d):
    conf = os.path.join(d, "vsftpd.conf")
    write(conf, "listen=YES\nlisten_ipv6=NO\nlisten_address=%s\nlisten_port=21\nbackground=NO\n"
          "anonymous_enable=NO\nlocal_enable=NO\nsecure_chroot_dir=/run/vsftpd/empty\n"
          "xferlog_enable=NO\n" % A)
    return ["/usr/sbin/vsftpd", conf]


def node_exporter(_d):
    return ["/usr/bin/prometheus-node-exporter", "--web.listen-address=%s:9100" % A,
            "--collector.textfile.directory="]


def tor(d):
    data = os.path.join(d, "data")
    mkdir(data, "debian-tor", 0o700)
    conf = os.path.join(d, "torrc")
    # DisableNetwork would keep the SocksPort closed too. A bridge on the scanner's address (where
    # nothing listens) is the only relay it may try: no connection leaves the two namespaces.
    write(conf, "SocksPort %s:9050\nDataDirectory %s\nUser debian-tor\nUseBridges 1\n"
          "Bridge %s:9001\nLog notice stderr\nRunAsDaemon 0\n" % (A, data, SCANNER))
    return ["/usr/sbin/tor", "-f", conf, "--defaults-torrc", "/dev/null"]


def openvpn(d):
    key = os.path.join(d, "static.key")
    if not os.path.exists(key):
        quiet(["openvpn", "--genkey", "secret", key])
    return ["/usr/sbin/openvpn", "--dev", "null", "--proto", "udp4", "--local", A,
            "--lport", "1194", "--secret", key, "--cipher", "AES-256-CBC",
            "--user", "nobody", "--group", "nogroup", "--verb", "1"]


def tftpd(d):
    mkdir(os.path.join(d, "root"))
    return ["/usr/sbin/in.tftpd", "-L", "-u", "tftp", "-a", "%s:69" % A, "-s",
            os.path.join(d, "root")]


def rsyncd(d):
    conf = os.path.join(d, "rsyncd.conf")
    mkdir(os.path.join(d, "pub"))
    write(conf, "pid file = %s/rsyncd.pid\nuse chroot = no\nuid = nobody\ngid = nogroup\n"
          "[pub]\n  path = %s/pub\n  read only = yes\n" % (d, d))
    return ["/usr/bin/rsync", "--daemon", "--no-detach", "--config=" + conf, "--address=" + A,
            "--port=873"]


def git_daemon(d):
    mkdir(os.path.join(d, "repos"))
    return ["/usr/bin/git", "daemon", "--listen=" + A, "--port=9418",
            "--base-path=" + os.path.join(d, "repos"), "--export-all", "--reuseaddr",
            "--user=nobody", "--group=nogroup"]


def ngircd(d):
    conf = os.path.join(d, "ngircd.conf")
    write(conf, "[Global]\n  Name = irc.psbench.test\n  Info = psbench\n  Listen = %s\n"
          "  Ports = 6667\n  ServerUID = irc\n  ServerGID = irc\n"
          "  PidFile = /run/ngircd/ngircd.pid\n"
          "[Options]\n  PAM = no\n  Ident = no\n  DNS = no\n" % A)
    return ["/usr/sbin/ngircd", "-n", "-f", conf]


def zabbix_agent(d):
    conf = os.path.join(d, "zabbix_agentd.conf")
    mkdir(os.path.join(d, "run"), "zabbix")
    write(conf, "ListenIP=%s\nListenPort=10050\nServer=%s\nHostname=psbench\nLogType=console\n"
          "PidFile=%s/run/zabbix_agentd.pid\nStartAgents=1\nUser=zabbix\n" % (A, SCANNER, d))
    return ["/usr/sbin/zabbix_agentd", "-f", "-c", conf]


def nrpe(d):
    conf = os.path.join(d, "nrpe.cfg")
    mkdir(os.path.join(d, "run"), "nagios")
    write(conf, "server_address=%s\nserver_port=5666\nnrpe_user=nagios\nnrpe_group=nagios\n"
          "allowed_hosts=%s\npid_file=%s/run/nrpe.pid\ndont_blame_nrpe=0\n" % (A, SCANNER, d))
    return ["/usr/sbin/nrpe", "-c", conf, "-f"]


def coturn(d):
    return ["/usr/bin/turnserver", "-n", "--listening-ip=" + A, "--listening-port=3478",
            "--no-tls", "--no-dtls", "--no-cli", "--log-file=stdout",
            "--pidfile=%s/turnserver.pid" % d, "--realm=psbench.test",
            "--proc-user=turnserver", "--proc-group=turnserver"]


# ---- programs that hold raw and packet sockets (no port: "ports" name the EtherType or IP
# protocol their socket receives, None for any)

def dhclient(d):
    # -sf /bin/true: no script, so a lease (none is offered) would change nothing.
    return ["/sbin/dhclient", "-d", "-4", "-sf", "/bin/true", "-lf", os.path.join(d, "leases"),
            "-pf", os.path.join(d, "pid"), IFACE]


def dhcpd(d):
    conf = os.path.join(d, "dhcpd.conf")
    write(conf, "authoritative;\nsubnet 198.18.0.0 netmask 255.255.255.0 {\n"
          "  range 198.18.0.100 198.18.0.110;\n}\n")
    write(os.path.join(d, "leases"), "")
    return ["/usr/sbin/dhcpd", "-f", "-4", "-cf", conf, "-lf", os.path.join(d, "leases"),
            "-pf", os.path.join(d, "pid"), IFACE]


def tcpdump(_d):
    return ["/usr/bin/tcpdump", "-n", "-i", IFACE, "-w", "/dev/null", "arp or icmp"]


def lldpd(d):
    return ["/usr/sbin/lldpd", "-d", "-I", IFACE, "-u", os.path.join(d, "lldpd.socket")]


def arpwatch(d):
    write(os.path.join(d, "arp.dat"), "", owner="arpwatch")
    return ["/usr/sbin/arpwatch", "-d", "-i", IFACE, "-f", os.path.join(d, "arp.dat")]


def keepalived(d):
    conf = os.path.join(d, "keepalived.conf")
    write(conf, "global_defs {\n  router_id psbench\n}\nvrrp_instance psbench {\n  state BACKUP\n"
          "  interface %s\n  virtual_router_id 51\n  priority 50\n  advert_int 1\n"
          "  virtual_ipaddress {\n    198.18.0.9/24\n  }\n}\n" % IFACE)
    return ["/usr/sbin/keepalived", "-n", "-l", "-D", "-P", "-f", conf, "-p", os.path.join(d, "k.pid"),
            "-r", os.path.join(d, "v.pid")]


def wpa_supplicant(d):
    conf = os.path.join(d, "wpa.conf")
    write(conf, "ctrl_interface=%s\nap_scan=0\nnetwork={\n  key_mgmt=IEEE8021X\n  eap=MD5\n"
          '  identity="psbench"\n  password="psbench"\n  eapol_flags=0\n}\n' % os.path.join(d, "ctrl"))
    return ["/usr/sbin/wpa_supplicant", "-D", "wired", "-i", IFACE, "-c", conf]


def ptp4l(_d):
    return ["/usr/sbin/ptp4l", "-i", IFACE, "-2", "-S", "-q"]


def bird(d):
    conf = os.path.join(d, "bird.conf")
    write(conf, 'router id 198.18.0.2;\nprotocol device {\n}\nprotocol ospf v2 {\n  area 0 {\n'
          '    interface "%s" {\n    };\n  };\n}\n' % IFACE)
    return ["/usr/sbin/bird", "-f", "-c", conf, "-s", os.path.join(d, "bird.ctl")]


def arping(_d):
    return ["/usr/bin/arping", "-q", "-i", "1", "-I", IFACE, SCANNER]


HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


def _listen(proto, port):
    return lambda _d: [PY, os.path.join(HERE, "listen.py"), proto, A, str(port)]


def _http_server(d):
    return [PY, "-m", "http.server", "2222", "--bind", A, "--directory", _www(d)]


def _nc(port):
    return lambda _d: ["/usr/bin/nc", "-lk", A, str(port)]


T, U, P, R = "tcp", "udp", "packet", "raw"
STOCK = [
    Daemon("sshd", "openssh-server", "/usr/sbin/sshd", [(T, A, 22)], sshd,
           rundirs=[("/run/sshd", "root")]),
    Daemon("nginx", "nginx-light", "/usr/sbin/nginx", [(T, A, 80)], nginx),
    Daemon("lighttpd", "lighttpd", "/usr/sbin/lighttpd", [(T, B, 80)], lighttpd),
    Daemon("apache2", "apache2", "/usr/sbin/apache2", [(T, C, 80)], apache2),
    Daemon("haproxy", "haproxy", "/usr/sbin/haproxy", [(T, D, 80)], haproxy),
    Daemon("varnishd", "varnish", "/usr/sbin/varnishd", [(T, A, 6081)], varnish),
    Daemon("squid", "squid", "/usr/sbin/squid", [(T, A, 3128)], squid,
           tmpfs=[("/var/log/squid", "proxy"), ("/var/spool/squid", "proxy")]),
    Daemon("tinyproxy", "tinyproxy", "/usr/bin/tinyproxy", [(T, A, 8888)], tinyproxy,
           tmpfs=[("/var/log/tinyproxy", "tinyproxy")]),
    Daemon("privoxy", "privoxy", "/usr/sbin/privoxy", [(T, A, 8118)], privoxy),
    Daemon("postgres", "postgresql", os.path.join(_pg_bin(), "postgres"), [(T, A, 5432)],
           postgresql, user="postgres"),
    Daemon("pgbouncer", "pgbouncer", "/usr/sbin/pgbouncer", [(T, A, 6432)], pgbouncer,
           user="postgres"),
    Daemon("mariadbd", "mariadb-server", "/usr/sbin/mariadbd", [(T, A, 3306)], mariadb),
    Daemon("redis-server", "redis-server", "/usr/bin/redis-server", [(T, A, 6379)], redis,
           user="redis"),
    Daemon("memcached", "memcached", "/usr/bin/memcached", [(T, A, 11211)], memcached),
    Daemon("beanstalkd", "beanstalkd", "/usr/bin/beanstalkd", [(T, A, 11300)], beanstalkd),
    Daemon("exim4", "exim4-daemon-light", "/usr/sbin/exim4", [(T, A, 25)], exim4,
           rundirs=[("/run/exim4", "Debian-exim")],
           tmpfs=[("/var/log/exim4", "Debian-exim"), ("/var/spool/exim4", "Debian-exim")]),
    Daemon("dovecot", "dovecot-imapd", "/usr/sbin/dovecot", [(T, A, 143), (T, A, 110)], dovecot),
    Daemon("dnsmasq", "dnsmasq", "/usr/sbin/dnsmasq", [(U, A, 53), (T, A, 53)], dnsmasq),
    Daemon("unbound", "unbound", "/usr/sbin/unbound", [(U, B, 53), (T, B, 53)], unbound),
    Daemon("rpcbind", "rpcbind", "/usr/sbin/rpcbind", [(T, None, 111), (U, None, 111)], rpcbind,
           rundirs=[("/run/rpcbind", "_rpc")]),
    Daemon("cupsd", "cups-daemon", "/usr/sbin/cupsd", [(T, A, 631)], cupsd,
           rundirs=[("/run/cups", "root")]),
    Daemon("avahi-daemon", "avahi-daemon", "/usr/sbin/avahi-daemon", [(U, None, 5353)], avahi,
           rundirs=[("/run/avahi-daemon", "avahi")]),
    Daemon("mosquitto", "mosquitto", "/usr/sbin/mosquitto", [(T, A, 1883)], mosquitto),
    Daemon("slapd", "slapd", "/usr/sbin/slapd", [(T, A, 389)], slapd,
           rundirs=[("/run/slapd", "openldap")]),
    Daemon("smbd", "samba", "/usr/sbin/smbd", [(T, A, 445), (T, A, 139)], smbd,
           rundirs=[("/run/samba", "root")]),
    Daemon("nmbd", "samba", "/usr/sbin/nmbd", [(U, None, 137), (U, None, 138)], nmbd,
           rundirs=[("/run/samba", "root")]),
    Daemon("snmpd", "snmpd", "/usr/sbin/snmpd", [(U, A, 161), (T, None, 199)], snmpd,
           env={"SNMP_PERSISTENT_DIR": "{dir}/persist"}),
    Daemon("rsyslogd", "rsyslog", "/usr/sbin/rsyslogd", [(U, A, 514), (T, A, 514)], rsyslog),
    Daemon("vsftpd", "vsftpd", "/usr/sbin/vsftpd", [(T, A, 21)], vsftpd,
           rundirs=[("/run/vsftpd/empty", "root")]),
    Daemon("node_exporter", "prometheus-node-exporter", "/usr/bin/prometheus-node-exporter",
           [(T, A, 9100)], node_exporter, user="prometheus"),
    Daemon("tor", "tor", "/usr/sbin/tor", [(T, A, 9050)], tor),
    Daemon("openvpn", "openvpn", "/usr/sbin/openvpn", [(U, A, 1194)], openvpn),
    Daemon("in.tftpd", "tftpd-hpa", "/usr/sbin/in.tftpd", [(U, A, 69)], tftpd),
    Daemon("rsync", "rsync", "/usr/bin/rsync", [(T, A, 873)], rsyncd),
    Daemon("git-daemon", "git", "/usr/bin/git", [(T, A, 9418)], git_daemon),
    Daemon("ngircd", "ngircd", "/usr/sbin/ngircd", [(T, A, 6667)], ngircd,
           rundirs=[("/run/ngircd", "irc")]),
    Daemon("zabbix_agentd", "zabbix-agent", "/usr/sbin/zabbix_agentd", [(T, A, 10050)],
           zabbix_agent),
    Daemon("nrpe", "nagios-nrpe-server", "/usr/sbin/nrpe", [(T, A, 5666)], nrpe),
    Daemon("turnserver", "coturn", "/usr/bin/turnserver", [(U, A, 3478), (T, A, 3478)], coturn),
    # Packet and raw sockets (AF_PACKET, SOCK_RAW): DHCP, capture, LLDP, VRRP, 802.1X, PTP, OSPF.
    Daemon("dhclient", "isc-dhcp-client", "/sbin/dhclient", [(P, None, None), (U, None, 68)], dhclient),
    Daemon("dhcpd", "isc-dhcp-server", "/usr/sbin/dhcpd", [(P, None, None), (U, None, 67)], dhcpd,
           rundirs=[("/run/dhcp-server", "root")]),
    Daemon("tcpdump", "tcpdump", "/usr/bin/tcpdump", [(P, None, 3)], tcpdump),
    Daemon("lldpd", "lldpd", "/usr/sbin/lldpd", [(P, None, None)], lldpd,
           rundirs=[("/run/lldpd", "root")]),
    Daemon("arpwatch", "arpwatch", "/usr/sbin/arpwatch", [(P, None, 3)], arpwatch),
    Daemon("keepalived", "keepalived", "/usr/sbin/keepalived", [(R, None, 112)], keepalived),
    Daemon("wpa_supplicant", "wpasupplicant", "/usr/sbin/wpa_supplicant", [(P, None, None)],
           wpa_supplicant),
    Daemon("ptp4l", "linuxptp", "/usr/sbin/ptp4l", [(P, None, None)], ptp4l),
    Daemon("bird", "bird2", "/usr/sbin/bird", [(R, None, 89)], bird, rundirs=[("/run/bird", "bird")]),
    Daemon("arping", "iputils-arping", "/usr/bin/arping", [(P, None, None)], arping),
]

WRONG = [
    Daemon("nc 31337/tcp", "netcat-openbsd", "/usr/bin/nc", [(T, A, 31337)], _nc(31337),
           wrong=True, why="netcat on a classic backdoor port (Back Orifice / elite)"),
    Daemon("python3 225/tcp", "python3", PY, [(T, A, 225)], _listen(T, 225), wrong=True,
           why="an interpreter on an unassigned system port"),
    Daemon("http.server 2222/tcp", "python3", PY, [(T, A, 2222)], _http_server, wrong=True,
           why="a development web server on the SSH alternative port"),
    Daemon("nc 4444/tcp", "netcat-openbsd", "/usr/bin/nc", [(T, A, 4444)], _nc(4444),
           wrong=True, why="netcat on Metasploit's default handler port"),
    Daemon("python3 31337/udp", "python3", PY, [(U, A, 31337)], _listen(U, 31337), wrong=True,
           why="a UDP listener on Back Orifice's port"),
    Daemon("sshd 8080/tcp", "openssh-server", "/usr/sbin/sshd", [(T, A, 8080)], sshd_8080,
           rundirs=[("/run/sshd", "root")], wrong=True, why="an SSH server on http-alt"),
    # exec -a: argv[0] says sshd, the executable is python3's.
    Daemon("python3 as sshd 22/tcp", "python3", PY, [(T, D, 22)],
           lambda _d: ["/bin/bash", "-c", 'exec -a sshd "$0" "$@"', PY, os.path.join(HERE, "listen.py"), T, D, "22"],
           wrong=True, why="an interpreter that calls itself sshd (argv[0]) on the SSH port"),
    # BPFDoor's way: no port, a packet socket on every frame with a filter that picks the trigger.
    Daemon("python3 packet socket with a BPF filter", "python3", PY, [(P, None, 3)],
           lambda _d: [PY, os.path.join(HERE, "listen.py"), "packet", "*", "3"], wrong=True,
           why="an interpreter holding a packet socket with a BPF filter, as BPFDoor waits for its magic packet"),
    # A copy of sshd in /tmp: its names are its executable's own.
    Daemon("sshd copy in /tmp 22/tcp", "openssh-server", "/usr/sbin/sshd", [(T, C, 22)], sshd_stray,
           rundirs=[("/run/sshd", "root")], wrong=True,
           why="a copy of sshd run from under /tmp, where no package installs a server"),
]
