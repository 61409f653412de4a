//! Port service names (`fd.sport = ssh`): a built-in copy of the common `/etc/services` entries.
//!
//! Falco resolves a non-numeric port value with `getservbyname`, i.e. the host's
//! `/etc/services`. The compiler does no IO, and a rule's meaning should not depend on the host
//! it is checked on, so we carry the well-known names here. Where TCP and UDP disagree the TCP
//! port is used, as glibc's lookup without a protocol does.

/// (name, port), sorted by name for binary search; aliases are separate entries.
const SERVICES: &[(&str, u16)] = &[
    ("amqp", 5672),
    ("amqps", 5671),
    ("bgp", 179),
    ("bootpc", 68),
    ("bootps", 67),
    ("daytime", 13),
    ("discard", 9),
    ("dns", 53),
    ("domain", 53),
    ("echo", 7),
    ("epmd", 4369),
    ("etcd-client", 2379),
    ("etcd-server", 2380),
    ("finger", 79),
    ("ftp", 21),
    ("ftp-data", 20),
    ("ftps", 990),
    ("git", 9418),
    ("gopher", 70),
    ("http", 80),
    ("http-alt", 8080),
    ("https", 443),
    ("imap", 143),
    ("imap2", 143),
    ("imaps", 993),
    ("ipp", 631),
    ("irc", 194),
    ("isakmp", 500),
    ("kerberos", 88),
    ("kerberos-adm", 749),
    ("kpasswd", 464),
    ("ldap", 389),
    ("ldaps", 636),
    ("memcache", 11211),
    ("microsoft-ds", 445),
    ("mongodb", 27017),
    ("ms-sql-s", 1433),
    ("mysql", 3306),
    ("netbios-dgm", 138),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("nfs", 2049),
    ("nntp", 119),
    ("ntp", 123),
    ("openvpn", 1194),
    ("pop3", 110),
    ("pop3s", 995),
    ("postgres", 5432),
    ("postgresql", 5432),
    ("printer", 515),
    ("radius", 1812),
    ("redis", 6379),
    ("rsync", 873),
    ("sftp", 115),
    ("sip", 5060),
    ("smtp", 25),
    ("smtps", 465),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("socks", 1080),
    ("ssh", 22),
    ("submission", 587),
    ("sunrpc", 111),
    ("syslog", 514),
    ("telnet", 23),
    ("tftp", 69),
    ("time", 37),
    ("whois", 43),
    ("x11", 6000),
    ("xmpp-client", 5222),
    ("xmpp-server", 5269),
    ("zookeeper", 2181),
];

/// The port of a service name (`ssh` → 22), or `None` if we do not know the name.
/// Names are matched exactly, as `/etc/services` lookups are case-sensitive.
pub fn service_port(name: &str) -> Option<u16> {
    SERVICES.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| SERVICES[i].1)
}

/// Every known service name with its port, sorted by name (for completion and listings).
pub fn service_names() -> &'static [(&'static str, u16)] {
    SERVICES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(SERVICES.windows(2).all(|w| w[0].0 < w[1].0), "SERVICES must stay sorted by name");
    }

    #[test]
    fn common_ports() {
        for (name, port) in [
            ("ssh", 22),
            ("http", 80),
            ("https", 443),
            ("dns", 53),
            ("domain", 53),
            ("ftp", 21),
            ("telnet", 23),
            ("smtp", 25),
            ("ntp", 123),
            ("ldap", 389),
            ("mysql", 3306),
            ("postgresql", 5432),
            ("redis", 6379),
        ] {
            assert_eq!(service_port(name), Some(port), "{name}");
        }
        assert_eq!(service_port("SSH"), None);
        assert_eq!(service_port("nosuchservice"), None);
        assert_eq!(service_port(""), None);
    }
}
