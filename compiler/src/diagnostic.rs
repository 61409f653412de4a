//! The one diagnostic type of rulec, with stable codes.
//!
//! Every error and warning the compiler reports is a [`Diagnostic`]: a [`Code`] that never changes
//! meaning (users look codes up and suppress them), a severity, a message, a primary location, more
//! labelled locations, an optional hint and the [`Fix`]es that would resolve it. Locations are
//! byte ranges in a loaded file; line and column conversion happens where diagnostics are shown
//! (terminal, JSON, LSP), never here. Fixes are data: the language server offers them as code
//! actions and `rulec check --fix` applies the safe ones ([`crate::fix`]); neither reads hints.

use serde::Serialize;

// The location types are the IR's (rule metadata carries them to the runtime); diagnostics
// use the same ones.
pub use rulec_ir::{FileId, Location};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A secondary location with a short message ("macro defined here").
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// One replacement of a byte range of a loaded file. An empty range inserts; an empty
/// replacement deletes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Edit {
    pub location: Location,
    pub replacement: String,
}

/// Whether a fix may be applied without a person choosing it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Applicability {
    /// The fix does what the diagnostic asks and nothing else (a deprecated form rewritten to
    /// its equivalent, a spelling with one meaning): `rulec check --fix` applies it.
    Safe,
    /// A guess (the closest name to a typo) or one of several choices: offered to a person
    /// (a code action), never applied by `--fix`.
    Suggestion,
}

/// A change of the source that resolves a diagnostic: a title for people ("Replace with
/// `proc.name`") and the edits, all applied together.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

impl Fix {
    /// A fix that replaces the text at `location`.
    pub fn replace(title: impl Into<String>, location: Location, replacement: impl Into<String>) -> Fix {
        Fix {
            title: title.into(),
            edits: vec![Edit { location, replacement: replacement.into() }],
            applicability: Applicability::Suggestion,
        }
    }

    /// The same fix, marked safe to apply without asking.
    pub fn safe(mut self) -> Fix {
        self.applicability = Applicability::Safe;
        self
    }

    pub fn is_safe(&self) -> bool {
        self.applicability == Applicability::Safe
    }
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Location,
    pub labels: Vec<Label>,
    pub hint: Option<String>,
    /// Ways to resolve the diagnostic, the most likely first.
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, primary: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary,
            labels: Vec::new(),
            hint: None,
            fixes: Vec::new(),
        }
    }

    /// A did-you-mean: the hint "did you mean `suggestion`?" and the fix that writes
    /// `suggestion` at `location` (a guess, so not applied by `--fix`).
    pub fn with_suggestion(self, location: Location, suggestion: &str) -> Diagnostic {
        self.with_hint(format!("did you mean `{suggestion}`?")).with_fix(Fix::replace(
            format!("Replace with `{suggestion}`"),
            location,
            suggestion,
        ))
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_label(mut self, location: Location, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { location, message: message.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $sev:ident, $slug:literal, $doc:literal; )*) => {
        /// Every kind of diagnostic. The string code (`E0401`) and the slug never change meaning;
        /// new kinds get new codes.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable code, e.g. `E0401`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// A stable kebab-case name, e.g. `unknown-field`.
            pub fn slug(self) -> &'static str {
                match self { $( Code::$variant => $slug, )* }
            }

            pub fn severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// What the code means and what to do, for the reference page.
            pub fn doc(self) -> &'static str {
                match self { $( Code::$variant => $doc, )* }
            }

            pub fn from_str(s: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.as_str() == s || c.slug() == s)
            }
        }
    };
}

codes! {
    // Condition and output syntax.
    Syntax = "E0101", Error, "syntax-error",
        "The condition does not parse: a token is missing or out of place. The message names what was expected.";
    UnterminatedString = "E0102", Error, "unterminated-string",
        "A quoted string has no closing quote.";
    InvalidEscape = "E0103", Error, "invalid-escape",
        "A backslash escape other than \\b \\f \\n \\r \\t \\\\ \\/ and the escaped quote itself.";
    TooDeep = "E0104", Error, "nesting-too-deep",
        "Parentheses, `not` or transformer calls are nested deeper than the parser allows (200 levels).";
    EmptyCondition = "E0105", Error, "empty-condition",
        "A condition is empty or only blanks.";
    UnknownTransformer = "E0106", Error, "unknown-transformer",
        "`name(...)` where name is not one of tolower, toupper, b64, basename, len, val, join, concat, getopt.";
    BadOutputToken = "E0107", Error, "bad-output-token",
        "A `%` in an output string is not followed by a field or transformer.";

    // Rules-file shape.
    YamlSyntax = "E0201", Error, "yaml-syntax",
        "The file is not valid YAML.";
    BadFileShape = "E0202", Error, "bad-file-shape",
        "A rules file must be a sequence of items (maps), in one or more YAML documents.";
    MissingKey = "E0203", Error, "missing-key",
        "An item lacks a key it needs: a new rule needs condition, output, desc and priority; a macro needs condition; a list needs items.";
    BadValueType = "E0204", Error, "bad-value-type",
        "A key holds the wrong kind of YAML value (for example a map where a string is expected).";
    InvalidPriority = "E0205", Error, "invalid-priority",
        "The priority is not one of Emergency, Alert, Critical, Error, Warning, Notice, Informational (Info), Debug (any case).";
    InvalidOverride = "E0206", Error, "invalid-override",
        "An `override` names a key that the item lacks (or the item has a key that `override` does not name), or an operation other than append/replace, or one that the key does not allow.";
    UndefinedAppendTarget = "E0207", Error, "append-to-undefined",
        "An item appends to or overrides a rule, macro or list that no earlier item defines.";
    EngineVersion = "E0208", Error, "engine-version",
        "required_engine_version is malformed or newer than the engine rulec implements.";
    InvalidException = "E0209", Error, "invalid-exception",
        "An exception is malformed: missing name or fields, comps and fields of different lengths, a value tuple of the wrong length, or a comparison operator that the shape does not allow.";
    InvalidPluginVersions = "E0210", Error, "invalid-plugin-versions",
        "required_plugin_versions is malformed (each entry needs name and version).";
    AppendAndOverride = "E0211", Error, "append-and-override",
        "An item uses both the deprecated `append` and `override`.";
    ResourceLimit = "E0212", Error, "resource-limit",
        "A file, item or expansion exceeds a limit rulec enforces to stay safe on untrusted input.";
    NotUtf8 = "E0213", Error, "not-utf8",
        "The file is not UTF-8 text (YAML rules files must be); the first invalid byte is shown, and the file is not loaded. Save it as UTF-8.";
    SourceMismatch = "E0214", Error, "source-mismatch",
        "An item redefines, appends to or overrides a rule with a different `source` than the rule it changes (Falco refuses this too). An append or override that writes no `source` keeps the rule's.";

    // Names and resolution.
    UndefinedMacro = "E0301", Error, "undefined-macro",
        "A condition uses a macro that is not defined (macros may only use macros defined before them).";
    MacroCycle = "E0302", Error, "macro-cycle",
        "A macro uses itself, directly or through other macros. (Lists cannot form cycles: a list may only name lists defined before it, and any other name is a plain value.)";

    // Types.
    UnknownField = "E0401", Error, "unknown-field",
        "The field is not in the field table; the message suggests the closest known name.";
    OperatorNotAllowed = "E0402", Error, "operator-not-allowed",
        "The operator is not defined for the field's type (for example `contains` on a number).";
    InvalidValue = "E0403", Error, "invalid-value",
        "A constant does not fit the field's type: a number, a bool, an IP address, a CIDR network, a port or service name.";
    UnknownEventType = "E0404", Error, "unknown-event-type",
        "An `evt.type` value that is not the name of any event.";
    InvalidRegex = "E0405", Error, "invalid-regex",
        "The right side of `regex` is not a valid regular expression.";
    InvalidGlob = "E0406", Error, "invalid-glob",
        "The right side of `glob`/`iglob`/`pmatch` is not a valid pattern (for example an unclosed `[`).";
    InvalidHex = "E0407", Error, "invalid-hex",
        "The right side of `bcontains`/`bstartswith` must be an even number of hex digits.";
    MissingFieldArgument = "E0408", Error, "missing-field-argument",
        "The field requires an argument, `field[arg]`, and none was given.";
    InvalidFieldArgument = "E0409", Error, "invalid-field-argument",
        "The field takes no argument, or the argument is not of the kind the field expects (an index, a key, a name).";
    TransformerType = "E0410", Error, "transformer-type",
        "A transformer is applied to an operand of the wrong type or with the wrong number of arguments.";
    ValMisuse = "E0411", Error, "val-misuse",
        "`val()` appears other than on the right side of a comparison, or its field cannot be compared with the left side.";
    BadRightSide = "E0412", Error, "bad-right-side",
        "The right side has the wrong shape for the operator: a list where a single value is needed, a value where a list is needed, a modifier without a list.";
    OutputField = "E0501", Error, "output-field",
        "An output string names an unknown field or uses a field wrongly.";

    // Warnings (Falco reports the same ones).
    UnusedMacro = "W0101", Warning, "unused-macro",
        "A macro that no rule uses (directly or through other macros).";
    UnusedList = "W0102", Warning, "unused-list",
        "A list that no condition or list uses.";
    NoEventTypeRestriction = "W0103", Warning, "no-evttype-restriction",
        "A syscall rule whose condition does not restrict evt.type, so it runs on over 100 event types. Add an `evt.type` check, or `warn_evttypes: false` if it is meant.";
    UnknownKey = "W0104", Warning, "unknown-key",
        "A key that rulec and Falco ignore on this kind of item.";
    UnknownItem = "W0105", Warning, "unknown-item",
        "A top-level item that is not a rule, macro, list, required_engine_version or required_plugin_versions; it is ignored.";
    Deprecated = "W0106", Warning, "deprecated",
        "A deprecated construct, such as `append: true` (use `override:`).";
    FieldAsString = "W0107", Warning, "field-as-string",
        "A right-hand value that looks like a field is compared as a plain string; to compare two fields, use `val(field)`.";
    RegexCouldBeSimpler = "W0108", Warning, "regex-could-be-simpler",
        "A regex that a cheaper operator (=, startswith, endswith, contains) can express.";
    InvalidMacroName = "W0109", Warning, "invalid-macro-name",
        "A macro name that is not a letter followed by letters, digits and `_` ([a-zA-Z][a-zA-Z0-9_]*), as Falco requires.";
    InvalidListName = "W0110", Warning, "invalid-list-name",
        "A list name that is not an identifier-like word, so conditions cannot refer to it.";
    DuplicateExceptionName = "W0111", Warning, "duplicate-exception-name",
        "Two exceptions of one rule share a name.";
    UnknownSource = "W0112", Warning, "unknown-source",
        "A rule whose source is not one rulec knows (syscall); it is loaded but not checked against fields.";
    SkippedUnknownField = "W0113", Warning, "skipped-unknown-field",
        "A rule with `skip-if-unknown-filter: true` names something rulec does not know (a field or event type in its condition, a field in its output), so it is skipped, as Falco skips it.";
    EmptyAppend = "W0114", Warning, "empty-append",
        "An append or override that adds nothing.";
    UnknownFieldUnusedMacro = "W0115", Warning, "unknown-field-unused-macro",
        "A macro that no rule uses names a field rulec does not know. Falco checks a macro's fields only in the rules that use it, so this becomes an error (E0401) once a rule that runs uses the macro; a rule with `skip-if-unknown-filter: true` is skipped instead.";
    DeprecatedField = "W0116", Warning, "deprecated-field",
        "An output uses a field Falco deprecates: `%container.info` (left out of the output, as Falco does; write the container fields you want instead) or `evt.dir` (the direction of an event, which Falco no longer distinguishes in outputs).";
    PluginNotProvided = "W0117", Warning, "plugin-not-provided",
        "The file requires a plugin rulec does not provide, or a newer version than rulec's built-in one. Falco refuses to load such a file without that plugin; rulec checks the syntax of the rules of the plugin's source but cannot run them, and says so once for the file.";
    FieldArgumentUnusedMacro = "W0118", Warning, "field-argument-unused-macro",
        "A macro that no rule uses gives a field a missing or invalid argument. Falco checks a macro's fields only in the rules that use it, so this becomes an error (E0408, E0409) once a rule that runs uses the macro.";
    UnknownEventParameter = "W0119", Warning, "unknown-event-parameter",
        "`evt.arg.NAME` (or `evt.arg[NAME]`) names a parameter that no event has. Falco loads it, and the check never has a value, so it is never true; usually a misspelt name (the message suggests the closest one).";

    // Analyses Falco lacks (`compiler/src/analyze/`): what the typed condition proves.
    RuleNeverMatches = "W0201", Warning, "rule-never-matches",
        "A rule that can never match: no event type satisfies its `evt.type` checks, or its condition reduces to false (for example `evt.type = open and evt.type = execve`). The message gives the reason.";
    FieldNeverSet = "W0202", Warning, "field-never-set",
        "A check on a field that none of the rule's event types gives a value (`fd.sport` in a rule that only sees `execve`, `evt.arg.NAME` where no such event has that parameter): the check is false on every event the rule sees, and `not` of it true.";
    ConstantSubcondition = "W0203", Warning, "constant-subcondition",
        "A part of a condition that is always true or always false, whatever the event: `a or not a`, `a and not a`, or one scalar field equal to two different values.";
    DuplicateRule = "W0204", Warning, "duplicate-rule",
        "A rule with the same output as an earlier rule of the same source, whose condition is the same or implies the earlier one's (it holds every part of it): every event it matches, the earlier rule matches too, so it adds no alert (and never fires when only the first matching rule alerts, as by default).";
    ExceptionFieldNeverSet = "W0205", Warning, "exception-field-never-set",
        "An exception field that none of the rule's event types gives a value: a row using it can never apply, so the exception excludes nothing.";
    CostlyCheck = "W0206", Warning, "costly-check",
        "A check that the engine's cost model prices high (a regex, a substring or glob search on a computed field, an ancestor scan) in a rule that runs on the high-volume I/O events (read, write, send...) or on every event: it is paid on nearly every event. The message gives its estimated cost; restrict the rule's `evt.type`, or name an ancestor level (`proc.aname[2]`).";

    // Test files (`rulec test`).
    TestFileShape = "E0601", Error, "test-file-shape",
        "A test file must be a map with `cases`, a sequence of maps (and optionally `rules` and `match`); each case needs a `name`, and `events` or `capture`.";
    UnknownTestKey = "E0602", Error, "unknown-test-key",
        "A key a test file does not define at that place (a misspelt key would otherwise silently test less); the message lists the keys allowed there.";
    BadTestValue = "E0603", Error, "bad-test-value",
        "A test-file value of the wrong kind or out of range: a pid that is not an integer, an unknown priority or capability, a duration without a unit, a container id that is not hex.";
    UnknownTestEvent = "E0604", Error, "unknown-test-event",
        "An event in a test case that is not in the event table (`rulec fields` lists the `evt.type` names); the message suggests the closest name.";
    UnknownEventParam = "E0605", Error, "unknown-event-param",
        "An event argument that the event does not have; arguments are the event table's parameter names, the `evt.arg.NAME` vocabulary.";
    BadParamValue = "E0606", Error, "bad-param-value",
        "An event argument whose value does not fit the parameter's type: an unknown flag or errno name, a malformed address, a number out of range.";
    UnknownTestProcess = "E0607", Error, "unknown-test-process",
        "An event of a pid or tid that neither the case's world declares nor an earlier clone/fork creates.";
    TestRulesFile = "E0608", Error, "test-rules-file",
        "The rules file a test file names cannot be read, or it has errors (they are reported with it).";
    UnknownTestRule = "E0609", Error, "unknown-test-rule",
        "A test case expects, enables or names a rule that the loaded rules files do not define.";
    DuplicateTestCase = "E0610", Error, "duplicate-test-case",
        "Two cases of a test file (parameterised instances included) have the same name, so results and `--bless` could not tell them apart.";
    TestParameter = "E0611", Error, "test-parameter",
        "A parameterised case is malformed: `each` is not a sequence of maps, or a `${name}` is not one of its parameters.";

    // The configuration file (`rulec run --config rulec.yaml`).
    ConfigShape = "E0701", Error, "config-shape",
        "A configuration file must be one YAML document: a map of the keys docs/config.md lists, with plain-word keys.";
    UnknownConfigKey = "E0702", Error, "unknown-config-key",
        "A key the configuration does not define at that place (a misspelt key would otherwise be ignored silently); the message suggests the closest known key.";
    BadConfigValue = "E0703", Error, "bad-config-value",
        "A configuration value of the wrong kind (a map where a number is expected, `maybe` for a boolean), or a map that lacks a key it needs (a webhook without `url`).";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reference page of every code, in Markdown; `docs/diagnostics.md` is this text, kept in
/// step by a test.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\nGenerated from `compiler/src/diagnostic.rs` (`rulec codes`); do not edit by hand.\n\
         Codes never change meaning. Errors (`E`) make `rulec check` exit 1; warnings (`W`) do not.\n\n\
         | code | name | severity | meaning |\n| --- | --- | --- | --- |\n",
    );
    for code in Code::ALL {
        let sev = match code.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            code.as_str(),
            code.slug(),
            sev,
            code.doc().replace('|', "\\|")
        ));
    }
    out
}
