//! One data row of `data/event_table_libs_master.tsv` split into its columns, without
//! interpreting them: shared by the crate's table parser (`event_table.rs`) and by `build.rs`,
//! which generates the typed parameter keys ([`crate::params`]) from the same rows, so the two
//! cannot read the table differently.

/// The columns of one row, as text.
pub(crate) struct RawRow<'a> {
    /// Event id (`ppm_event_code`).
    pub id: u16,
    /// `PPME_*` enum name.
    pub enum_name: &'a str,
    /// Event name (`open`).
    pub name: &'a str,
    /// `E` or `X`.
    pub dir: &'a str,
    /// `EC_*` category text.
    pub category: &'a str,
    /// `EF_*` flags text.
    pub flags: &'a str,
    /// Parameters as (name, type name), in wire order.
    pub params: Vec<(&'a str, &'a str)>,
}

/// Most parameters an event may carry (libscap's limit; the readers reject more).
pub const MAX_PARAMS: usize = 64;

/// Splits one data row: id, enum, name, dir, category, flags, nparams, params (`name:TYPE;...`).
pub(crate) fn split_row(line: &str) -> Result<RawRow<'_>, String> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() != 8 {
        return Err(format!("expected 8 columns, found {}", f.len()));
    }
    let id: u16 = f[0].parse().map_err(|_| format!("bad id `{}`", f[0]))?;
    if f[3] != "E" && f[3] != "X" {
        return Err(format!("bad direction `{}`", f[3]));
    }
    let mut params = Vec::new();
    for p in f[7].split(';').filter(|p| !p.is_empty()) {
        let (n, t) = p.split_once(':').ok_or_else(|| format!("bad parameter `{p}`"))?;
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("bad parameter name `{n}`"));
        }
        params.push((n, t));
    }
    let nparams: usize = f[6].parse().map_err(|_| format!("bad parameter count `{}`", f[6]))?;
    if nparams != params.len() || params.len() > MAX_PARAMS {
        return Err(format!("{nparams} parameters announced, {} listed", params.len()));
    }
    Ok(RawRow { id, enum_name: f[1], name: f[2], dir: f[3], category: f[4], flags: f[5], params })
}
