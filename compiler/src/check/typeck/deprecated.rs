//! Fields Falco deprecates in outputs: which they are, and the one warning (W0116) each gets.
//! `%container.info` is left out of the output, as Falco leaves it out; `%evt.dir` stays and
//! is warned about. The condition language is not affected.

use super::*;

/// What becomes of a deprecated output field.
pub(super) enum Deprecation {
    /// Left out of the output.
    Dropped,
    /// Kept, with the warning.
    Kept,
}

/// The output fields Falco deprecates, with what it does with them and what to write instead.
const DEPRECATED_OUTPUT_FIELDS: &[(&str, Deprecation, &str)] = &[
    (
        "container.info",
        Deprecation::Dropped,
        "it is left out of the output, as Falco leaves it out; write the container fields you want, e.g. `container_id=%container.id container_name=%container.name`",
    ),
    (
        "evt.dir",
        Deprecation::Kept,
        "Falco no longer tells enter from exit events in outputs; remove it from the output",
    ),
];

impl Lowering<'_, '_> {
    /// When `operand` is a deprecated output field: W0116, and what becomes of it.
    pub(super) fn deprecated_output_field(&mut self, operand: &Operand) -> Option<&'static Deprecation> {
        let Operand::Field(f) = operand else { return None };
        let (name, what, hint) = DEPRECATED_OUTPUT_FIELDS.iter().find(|(n, ..)| *n == f.name)?;
        let d = self.error(Code::DeprecatedField, f.span, format!("`{name}` is a deprecated output field"));
        self.push(d.with_hint(*hint));
        Some(what)
    }
}
