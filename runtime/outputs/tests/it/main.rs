//! rulec-outputs against real endpoints on this machine: an HTTP receiver on loopback that
//! checks what it is sent and can be down, slow or failing; files, including an unwritable one and
//! a rotated one; a syslog socket bound in a temporary folder; programs that read, and that exit.
//! Every test checks the counts: each alert delivered or counted as lost.

mod files;
mod programs;
mod support;
mod syslog;
mod tls;
mod webhook;
