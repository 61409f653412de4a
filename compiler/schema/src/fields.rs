//! The field table: one [`FieldInfo`] per row of `data/fields.tsv`, with its value type
//! ([`FieldType`]), argument rules ([`ArgSpec`], [`ArgKind`]), flags ([`FieldFlags`]) and the
//! operators its type accepts ([`OpSet`]). Parsing is strict: a row that does not parse is
//! reported (never panics), and a unit test keeps the embedded table clean.
//!
//! The first eight columns are Falco's facts; the last three are rulec's own: `multi` ([`Multi`],
//! whether a field of scalar type can still yield several values: ancestor fields without an
//! index, the fields that stand for either end of a connection; the checker, the IR and both
//! backends read it from here instead of keeping their own lists of names) and `description`
//! (our own one-sentence description, which `rulec fields` and the language server show), and
//! `set_by` ([`crate::SetBy`]: which events can give the field a value).

use rulec_grammar::ast::Op;

/// rulec's `multi` column of `data/fields.tsv`: whether a field whose type is scalar can
/// yield several values, so that a check on it holds when some value satisfies it and no
/// backend may treat it as a single number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Multi {
    /// One value (or a list, when the field's `is_list` says so).
    #[default]
    Single,
    /// Without an index, one value per ancestor (`proc.aname`); with one (`proc.aname[2]`), the
    /// value of that ancestor. The argument is an ancestor level.
    Ancestors,
    /// Either end of a connection, client or server (`fd.ip`, `fd.port`): always two values.
    EitherEnd,
}

impl Multi {
    /// Parses the `multi` column: empty, `ancestors` or `either_end`.
    fn parse(s: &str) -> Result<Multi, String> {
        match s.trim() {
            "" => Ok(Multi::Single),
            "ancestors" => Ok(Multi::Ancestors),
            "either_end" => Ok(Multi::EitherEnd),
            other => Err(format!("bad multi `{other}`")),
        }
    }
}

/// The value type of a field (the table's `PT_*` column).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum FieldType {
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Double,
    Bool,
    /// Printable text (`PT_CHARBUF`; event paths map here too).
    CharBuf,
    /// Raw bytes (`PT_BYTEBUF`): `bcontains`/`bstartswith` work on these.
    ByteBuf,
    /// Nanoseconds since the epoch.
    AbsTime,
    /// A duration in nanoseconds.
    RelTime,
    IpAddr,
    /// An IP network (CIDR on the right-hand side).
    IpNet,
    Port,
    /// The type is only known per event parameter (`evt.rawarg`).
    Dyn,
}

impl FieldType {
    /// Parses the table's spelling (`PT_CHARBUF`).
    pub fn from_pt(s: &str) -> Option<FieldType> {
        Some(match s {
            "PT_INT8" => FieldType::Int8,
            "PT_INT16" => FieldType::Int16,
            "PT_INT32" => FieldType::Int32,
            "PT_INT64" => FieldType::Int64,
            "PT_UINT8" => FieldType::Uint8,
            "PT_UINT16" => FieldType::Uint16,
            "PT_UINT32" => FieldType::Uint32,
            "PT_UINT64" => FieldType::Uint64,
            "PT_DOUBLE" => FieldType::Double,
            "PT_BOOL" => FieldType::Bool,
            "PT_CHARBUF" => FieldType::CharBuf,
            "PT_BYTEBUF" => FieldType::ByteBuf,
            "PT_ABSTIME" => FieldType::AbsTime,
            "PT_RELTIME" => FieldType::RelTime,
            "PT_IPADDR" => FieldType::IpAddr,
            "PT_IPNET" => FieldType::IpNet,
            "PT_PORT" => FieldType::Port,
            "PT_DYN" => FieldType::Dyn,
            _ => return None,
        })
    }

    /// The libsinsp spelling (`PT_CHARBUF`), as `falco --list` shows it.
    pub fn pt_name(self) -> &'static str {
        match self {
            FieldType::Int8 => "PT_INT8",
            FieldType::Int16 => "PT_INT16",
            FieldType::Int32 => "PT_INT32",
            FieldType::Int64 => "PT_INT64",
            FieldType::Uint8 => "PT_UINT8",
            FieldType::Uint16 => "PT_UINT16",
            FieldType::Uint32 => "PT_UINT32",
            FieldType::Uint64 => "PT_UINT64",
            FieldType::Double => "PT_DOUBLE",
            FieldType::Bool => "PT_BOOL",
            FieldType::CharBuf => "PT_CHARBUF",
            FieldType::ByteBuf => "PT_BYTEBUF",
            FieldType::AbsTime => "PT_ABSTIME",
            FieldType::RelTime => "PT_RELTIME",
            FieldType::IpAddr => "PT_IPADDR",
            FieldType::IpNet => "PT_IPNET",
            FieldType::Port => "PT_PORT",
            FieldType::Dyn => "PT_DYN",
        }
    }

    /// The short name used in diagnostics and `rulec fields` (`string`, `uint64`, `ipaddr`).
    pub fn display_name(self) -> &'static str {
        match self {
            FieldType::Int8 => "int8",
            FieldType::Int16 => "int16",
            FieldType::Int32 => "int32",
            FieldType::Int64 => "int64",
            FieldType::Uint8 => "uint8",
            FieldType::Uint16 => "uint16",
            FieldType::Uint32 => "uint32",
            FieldType::Uint64 => "uint64",
            FieldType::Double => "double",
            FieldType::Bool => "bool",
            FieldType::CharBuf => "string",
            FieldType::ByteBuf => "bytes",
            FieldType::AbsTime => "abstime",
            FieldType::RelTime => "reltime",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
            FieldType::Port => "port",
            FieldType::Dyn => "dynamic",
        }
    }

    /// Values compared as numbers (ordering operators, numeric literals): integers, doubles,
    /// times and ports.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Int8
                | FieldType::Int16
                | FieldType::Int32
                | FieldType::Int64
                | FieldType::Uint8
                | FieldType::Uint16
                | FieldType::Uint32
                | FieldType::Uint64
                | FieldType::Double
                | FieldType::AbsTime
                | FieldType::RelTime
                | FieldType::Port
        )
    }

    /// For the integer types (times and ports included), whether values are signed; `None` for
    /// every other type. Evaluators keep an integer value in the variant this says, and compare
    /// it signed or unsigned accordingly.
    pub fn int_signedness(self) -> Option<bool> {
        match self {
            FieldType::Int8 | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 => Some(true),
            FieldType::Uint8
            | FieldType::Uint16
            | FieldType::Uint32
            | FieldType::Uint64
            | FieldType::AbsTime
            | FieldType::RelTime
            | FieldType::Port => Some(false),
            _ => None,
        }
    }

    /// Alias of [`FieldType::display_name`].
    pub fn name(self) -> &'static str {
        self.display_name()
    }

    /// Signed integer types (a negative literal is acceptable).
    pub fn is_signed(self) -> bool {
        matches!(self, FieldType::Int8 | FieldType::Int16 | FieldType::Int32 | FieldType::Int64 | FieldType::Double)
    }

    /// Printable text.
    pub fn is_string(self) -> bool {
        self == FieldType::CharBuf
    }

    /// Raw bytes.
    pub fn is_bytes(self) -> bool {
        self == FieldType::ByteBuf
    }

    /// IP address or network.
    pub fn is_ip(self) -> bool {
        matches!(self, FieldType::IpAddr | FieldType::IpNet)
    }

    /// The operators a scalar field of this type accepts, as in the table's
    /// `ops_allowed_by_type` column (which is a function of the type alone): those whose row
    /// of the operator table ([`crate::OPERATORS`]) accepts the type.
    pub fn default_ops(self) -> OpSet {
        let mut set = OpSet::EMPTY;
        for def in crate::OPERATORS.iter().filter(|d| d.operands.accepts(self)) {
            set.insert(def.op);
        }
        set
    }
}

impl std::fmt::Display for FieldType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A set of operators, as a bit set over [`Op::ALL`] (cheap to copy and compare).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OpSet(u32);

impl OpSet {
    pub const EMPTY: OpSet = OpSet(0);
    pub const ALL: OpSet = OpSet((1 << Op::ALL.len()) - 1);

    fn bit(op: Op) -> u32 {
        // Op::ALL lists every variant, so the position always exists.
        let idx = Op::ALL.iter().position(|o| *o == op).unwrap_or(0);
        1 << idx
    }

    pub fn of(ops: &[Op]) -> OpSet {
        let mut s = OpSet::EMPTY;
        for op in ops {
            s.insert(*op);
        }
        s
    }

    pub fn insert(&mut self, op: Op) {
        self.0 |= OpSet::bit(op);
    }

    pub fn contains(self, op: Op) -> bool {
        self.0 & OpSet::bit(op) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn to_vec(self) -> Vec<Op> {
        self.iter().collect()
    }

    /// The operators in [`Op::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Op> {
        Op::ALL.into_iter().filter(move |op| self.contains(*op))
    }
}

impl std::fmt::Debug for OpSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter().map(Op::as_str)).finish()
    }
}

/// Whether a field takes an argument (`proc.aname[2]`, `evt.arg.flags`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ArgSpec {
    None,
    Optional,
    Required,
}

impl ArgSpec {
    pub fn accepts_arg(self) -> bool {
        self != ArgSpec::None
    }
}

/// What an argument is, when the table says (plugin fields do; most built-in fields don't).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum ArgKind {
    /// Not stated by the table: the field's own parser decides (`proc.aname[N]` is an index,
    /// `proc.env[NAME]` a key, `evt.arg` either).
    Unstated,
    Index,
    Key,
    IndexOrKey,
}

/// The flags column (`EPF_*` in libsinsp), one boolean per flag.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct FieldFlags {
    /// Kept for compatibility; not listed by default.
    pub deprecated: bool,
    /// Deprecated but still listed (the container plugin's `k8s.rc.*`, probes...).
    pub deprecated_display: bool,
    /// Only usable in conditions, not in outputs (`fd.ip`, `evt.around`...).
    pub filter_only: bool,
    /// Only usable in outputs (`evt.outputtime`).
    pub print_only: bool,
    /// Used by sysdig tables/chisels; hidden from listings.
    pub table_only: bool,
    /// Cannot be the right-hand side of a comparison (`val(...)`).
    pub no_rhs: bool,
    /// Cannot be wrapped in a transformer.
    pub no_transformer: bool,
    /// Suggested for rule outputs (`container.id`, `k8s.pod.name`...).
    pub format_suggested: bool,
    /// The field yields a list of values.
    pub is_list: bool,
    pub arg_allowed: bool,
    pub arg_required: bool,
    /// The extracted value is not stable across events (an engine detail).
    pub no_ptr_stability: bool,
}

impl FieldFlags {
    /// Parses the table's `A|B|C` spelling; `Err` names the unknown flag.
    pub fn parse(s: &str) -> Result<FieldFlags, String> {
        let mut f = FieldFlags::default();
        for tok in s.split('|').map(str::trim).filter(|t| !t.is_empty()) {
            match tok {
                "DEPRECATED" => f.deprecated = true,
                "DEPRECATED(display)" => f.deprecated_display = true,
                "FILTER_ONLY" => f.filter_only = true,
                "PRINT_ONLY" => f.print_only = true,
                "TABLE_ONLY" => f.table_only = true,
                "NO_RHS" => f.no_rhs = true,
                "NO_TRANSFORMER" => f.no_transformer = true,
                "FORMAT_SUGGESTED" => f.format_suggested = true,
                "IS_LIST" => f.is_list = true,
                "ARG_ALLOWED" => f.arg_allowed = true,
                "ARG_REQUIRED" => f.arg_required = true,
                "NO_PTR_STABILITY" => f.no_ptr_stability = true,
                other => return Err(format!("unknown flag `{other}`")),
            }
        }
        Ok(f)
    }

    /// The set flags in the table's spelling, for listings.
    pub fn names(&self) -> Vec<&'static str> {
        let all = [
            (self.deprecated, "DEPRECATED"),
            (self.deprecated_display, "DEPRECATED(display)"),
            (self.filter_only, "FILTER_ONLY"),
            (self.print_only, "PRINT_ONLY"),
            (self.table_only, "TABLE_ONLY"),
            (self.no_rhs, "NO_RHS"),
            (self.no_transformer, "NO_TRANSFORMER"),
            (self.format_suggested, "FORMAT_SUGGESTED"),
            (self.is_list, "IS_LIST"),
            (self.arg_allowed, "ARG_ALLOWED"),
            (self.arg_required, "ARG_REQUIRED"),
            (self.no_ptr_stability, "NO_PTR_STABILITY"),
        ];
        all.into_iter().filter(|(on, _)| *on).map(|(_, n)| n).collect()
    }
}

/// One field of the schema.
#[derive(Clone, PartialEq, Debug)]
pub struct FieldInfo {
    /// `proc.name`.
    pub name: &'static str,
    /// The class as the table names it: `process`, `evt [Syscall events only]`, `container plugin`.
    pub class: &'static str,
    pub ty: FieldType,
    pub is_list: bool,
    pub arg: ArgSpec,
    pub arg_kind: ArgKind,
    pub flags: FieldFlags,
    /// The operators allowed on this field (for `evt.rawarg`, every operator: the real check
    /// depends on the parameter's type, see [`FieldInfo::ops_depend_on_param`]).
    pub ops: OpSet,
    /// `evt.rawarg`: the allowed operators are those of the parameter's type.
    pub ops_depend_on_param: bool,
    /// Our own one-sentence description.
    pub description: &'static str,
    /// Whether a scalar field can yield several values (rulec's own column).
    pub multi: Multi,
    /// Which events can give it a value (rulec's own column, [`crate::SetBy`]).
    pub set_by: crate::SetBy,
}

impl FieldInfo {
    /// Whether the value read with (`has_arg`) or without an argument can be a list: a list
    /// field, an ancestor field without an index, or a field for either end of a connection.
    pub fn may_yield_list(&self, has_arg: bool) -> bool {
        self.is_list
            || match self.multi {
                Multi::Single => false,
                Multi::Ancestors => !has_arg,
                Multi::EitherEnd => true,
            }
    }

    /// An ancestor field (`proc.aname`): its argument is an ancestor level.
    pub fn is_ancestor_field(&self) -> bool {
        self.multi == Multi::Ancestors
    }

    pub fn allows_op(&self, op: Op) -> bool {
        self.ops.contains(op)
    }

    /// The class without its qualifier: `evt`, `process`, `util`, `container plugin`.
    pub fn class_id(&self) -> &'static str {
        class_id(self.class)
    }

    /// Whether the bracket argument may be a number (`proc.aname[2]`, `evt.arg[0]`,
    /// `container.mount.dest[0]`). Where the table does not say, this follows the field's own
    /// parser in libsinsp.
    pub fn arg_kind_index(&self) -> bool {
        match self.arg_kind {
            ArgKind::Index | ArgKind::IndexOrKey => true,
            ArgKind::Key => false,
            ArgKind::Unstated => matches!(
                self.name,
                "proc.aname"
                    | "proc.apid"
                    | "proc.aexe"
                    | "proc.aexepath"
                    | "proc.acmdline"
                    | "proc.aargs"
                    | "proc.args"
                    | "evt.arg"
                    | "evt.around"
                    | "fd.types"
            ),
        }
    }

    /// Whether the bracket (or dot) argument may be a name (`proc.env[HOME]`, `evt.arg.flags`,
    /// `k8s.pod.label[app]`).
    pub fn arg_kind_key(&self) -> bool {
        match self.arg_kind {
            ArgKind::Key | ArgKind::IndexOrKey => true,
            ArgKind::Index => false,
            ArgKind::Unstated => {
                self.arg.accepts_arg()
                    && !matches!(
                        self.name,
                        "proc.aname"
                            | "proc.apid"
                            | "proc.aexe"
                            | "proc.aexepath"
                            | "proc.acmdline"
                            | "proc.aargs"
                            | "proc.args"
                            | "evt.around"
                            | "fd.types"
                    )
            }
        }
    }

    /// Hidden from default listings: the `util (hidden)` class and table-only fields.
    pub fn is_hidden(&self) -> bool {
        self.flags.table_only || self.class.contains("(hidden)")
    }

    pub fn is_deprecated(&self) -> bool {
        self.flags.deprecated || self.flags.deprecated_display
    }

    /// How the argument is written, for listings: `proc.aname[N]`, `proc.env[NAME]`,
    /// `evt.arg.NAME`; `None` when the field takes none.
    pub fn arg_hint(&self) -> Option<String> {
        if !self.arg.accepts_arg() {
            return None;
        }
        let hint = match self.name {
            "evt.arg" => "evt.arg.NAME, evt.arg[N]".to_string(),
            "evt.rawarg" => "evt.rawarg.NAME".to_string(),
            "evt.type.is" => "evt.type.is.TYPE".to_string(),
            "thread.cgroup" => "thread.cgroup.SUBSYS".to_string(),
            "evt.abspath" => "evt.abspath[.src|.dst]".to_string(),
            "evt.around" => "evt.around[MS]".to_string(),
            "proc.env" | "proc.aenv" => format!("{}[NAME]", self.name),
            "fd.types" => "fd.types[FD]".to_string(),
            name if name.starts_with("proc.a") => format!("{name}[N]"),
            "proc.args" => "proc.args[N]".to_string(),
            name => match self.arg_kind {
                ArgKind::Index => format!("{name}[N]"),
                ArgKind::Key => format!("{name}[KEY]"),
                ArgKind::IndexOrKey => format!("{name}[N|KEY]"),
                ArgKind::Unstated => format!("{name}[ARG]"),
            },
        };
        Some(hint)
    }
}

/// `evt [All event types]` → `evt`, `util (hidden)` → `util`, `container plugin` unchanged.
pub fn class_id(class: &str) -> &str {
    let cut = [" [", " ("].iter().filter_map(|p| class.find(p)).min().unwrap_or(class.len());
    &class[..cut]
}

/// The number of columns of `fields.tsv`: Falco's eight, then `multi`, `description` and
/// `set_by`.
pub(super) const COLUMNS: usize = 11;

/// Parses one data row of `fields.tsv` ([`COLUMNS`] tab-separated columns).
pub(super) fn parse_row(line: &'static str) -> Result<FieldInfo, String> {
    let cols: Vec<&'static str> = line.split('\t').collect();
    let Ok([class, name, ty, is_list, takes_arg, arg_kind, flags, ops, multi, description, set_by]) =
        <[&'static str; COLUMNS]>::try_from(cols.as_slice())
    else {
        return Err(format!("expected {COLUMNS} columns, found {}", cols.len()));
    };
    let ty = FieldType::from_pt(ty).ok_or_else(|| format!("unknown type `{ty}`"))?;
    let is_list = match is_list {
        "yes" => true,
        "no" => false,
        other => return Err(format!("bad is_list `{other}`")),
    };
    let arg = match takes_arg {
        "no" => ArgSpec::None,
        "optional" => ArgSpec::Optional,
        "required" => ArgSpec::Required,
        other => return Err(format!("bad takes_arg `{other}`")),
    };
    let arg_kind = match arg_kind {
        "" => ArgKind::Unstated,
        "index" => ArgKind::Index,
        "key" => ArgKind::Key,
        "index,key" | "key,index" => ArgKind::IndexOrKey,
        other => return Err(format!("bad arg_kind `{other}`")),
    };
    let flags = FieldFlags::parse(flags)?;
    let (ops, ops_depend_on_param) = parse_ops(ops)?;
    if name.is_empty() || class.is_empty() {
        return Err("empty name or class".to_string());
    }
    let multi = Multi::parse(multi)?;
    let description = description.trim();
    let set_by = crate::SetBy::parse(set_by)?;
    Ok(FieldInfo {
        name,
        class,
        ty,
        is_list,
        arg,
        arg_kind,
        flags,
        ops,
        ops_depend_on_param,
        description,
        multi,
        set_by,
    })
}

/// The ops column: operator words, then an optional `[...]` note. The note
/// `[no val()/field RHS...]` repeats the NO_RHS/NO_TRANSFORMER flags (a test checks they agree);
/// `(depends on runtime param type)` is `evt.rawarg`.
fn parse_ops(s: &str) -> Result<(OpSet, bool), String> {
    let words = match s.find('[') {
        Some(i) => &s[..i],
        None => s,
    };
    if words.trim() == "(depends on runtime param type)" {
        return Ok((OpSet::ALL, true));
    }
    let mut set = OpSet::EMPTY;
    for w in words.split_whitespace() {
        let op = Op::from_str(w).ok_or_else(|| format!("unknown operator `{w}`"))?;
        set.insert(op);
    }
    if set.is_empty() {
        return Err("no operators".to_string());
    }
    Ok((set, false))
}

#[cfg(test)]
mod multi_tests {
    use super::*;

    /// The `multi` column is set only where it means something: never on a list field, and an
    /// ancestor field takes a level; the kinds mean what the checker and the backends expect.
    #[test]
    fn multi_column_fits_the_fields() {
        let schema = crate::schema();
        let multi: Vec<&FieldInfo> = schema.fields().iter().filter(|f| f.multi != Multi::Single).collect();
        assert_eq!(multi.len(), 11);
        for field in multi {
            let name = field.name;
            assert!(!field.is_list, "{name}: list fields need no multi column");
            if field.multi == Multi::Ancestors {
                assert!(field.arg.accepts_arg(), "{name}: an ancestor field takes a level");
            }
        }
        assert_eq!(Multi::parse("sideways"), Err("bad multi `sideways`".to_string()));
        let aname = schema.field("proc.aname").map(|f| (f.may_yield_list(false), f.may_yield_list(true)));
        assert_eq!(aname, Some((true, false)));
        let ip = schema.field("fd.ip").map(|f| (f.may_yield_list(false), f.may_yield_list(true)));
        assert_eq!(ip, Some((true, true)));
        assert_eq!(schema.field("proc.name").map(|f| f.may_yield_list(false)), Some(false));
        assert_eq!(schema.field("fd.types").map(|f| f.may_yield_list(false)), Some(true));
    }
}
