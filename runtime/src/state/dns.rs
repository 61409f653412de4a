//! A small DNS table (address → name) for the `fd.*ip.name` fields, filled by captures and test
//! worlds. Bounded ([`MAX_DNS_NAMES`]); a full table ignores new addresses.

use std::net::IpAddr;

use super::State;

/// Most addresses the table holds.
pub const MAX_DNS_NAMES: usize = 4096;

impl State {
    /// Records the name of an address (replacing an earlier one).
    pub fn add_dns_name(&mut self, ip: IpAddr, name: String) {
        if self.dns_names.len() >= MAX_DNS_NAMES && !self.dns_names.contains_key(&ip) {
            return;
        }
        self.dns_names.insert(ip, name);
    }
    /// The name of an address, if known.
    pub fn dns_name(&self, ip: IpAddr) -> Option<&str> {
        self.dns_names.get(&ip).map(String::as_str)
    }
}
