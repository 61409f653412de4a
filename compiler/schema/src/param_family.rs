//! Which family each parameter type of the tables belongs to: the family decides how a typed
//! parameter key ([`crate::params::ParamKey`]) reads a value (an integer, a string, a socket
//! address...). Shared with `build.rs`, which names the family of every generated key.

/// The family of a table type name (`FSPATH` → `Str`), as the name of its marker type in
/// [`crate::params::kind`]; `None` for a name that is no parameter type.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn family_of(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "FD" | "FD32" => "Fd",
        "INT8" | "INT16" | "INT32" | "INT64" | "UINT8" | "UINT16" | "UINT32" | "UINT64" | "ERRNO" | "PID" | "PID32"
        | "UID" | "GID" | "MODE" | "FLAGS8" | "FLAGS16" | "FLAGS32" | "ENUMFLAGS8" | "ENUMFLAGS16" | "ENUMFLAGS32"
        | "SIGTYPE" | "SIGSET" | "SYSCALLID" | "PORT" | "L4PROTO" | "SOCKFAMILY" | "RELTIME" | "ABSTIME" | "BOOL" => {
            "Int"
        }
        "CHARBUF" | "FSPATH" | "FSRELPATH" => "Str",
        "BYTEBUF" => "Bytes",
        "CHARBUFARRAY" | "CHARBUF_PAIR_ARRAY" => "Strs",
        "SOCKADDR" => "SockAddr",
        "SOCKTUPLE" => "SockTuple",
        "FDLIST" => "FdList",
        "DYN" | "DYNAMIC" | "DOUBLE" | "IPV4ADDR" | "IPV6ADDR" | "IPV4NET" | "IPV6NET" | "IPADDR" | "IPNET"
        | "NONE" => "Other",
        _ => return None,
    })
}
