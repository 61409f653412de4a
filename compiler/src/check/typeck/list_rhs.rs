//! A list operator with a field's value on its right: `proc.name in val(proc.pname)`,
//! `fd.name intersects toupper(proc.cwd)`. libs accepts these and tests the left side against
//! the value(s) the right side extracts. rulec runs the forms it can express exactly: `in` and
//! `intersects` between two single values are an equality test, `pmatch` against one value is a
//! path test against that one path; lists or several values on either side are refused with a
//! clear error rather than run differently.

use super::*;
use crate::schema::Multi;

impl Lowering<'_, '_> {
    /// The check `lhs op o` for a list operator `op` and a transformer or `val()` `o`; None
    /// (after a diagnostic) when rulec cannot run it as libs would.
    pub(super) fn list_op_with_field(&mut self, lhs: &Value, op: Op, o: &Operand) -> Option<Cond> {
        if let Value::Field(f) = lhs
            && f.field.flags.no_rhs
        {
            let d = self.error(
                Code::ValMisuse,
                o.span(),
                format!("`{}` can only be compared with constants, not with a field", f.written),
            );
            self.push(d);
            return None;
        }
        let v = self.lower_operand(o, Side::Right)?;
        let several = |x: &Value| x.is_list() || matches!(x, Value::Field(f) if f.field.multi != Multi::Single);
        if several(lhs) || several(&v) {
            let d = self.error(
                Code::ValMisuse,
                o.span(),
                format!("rulec cannot yet run `{}` against a field's values here", op.as_str()),
            );
            self.push(d.with_hint(
                "rulec runs `in`/`intersects`/`pmatch` with a field on the right when both sides are single values; write the values as a list, or compare with `=`",
            ));
            return None;
        }
        if !comparable(lhs, &v) {
            let d = self.error(
                Code::ValMisuse,
                o.span(),
                format!("cannot compare {} with {}", type_name(lhs), type_name(&v)),
            );
            self.push(d);
            return None;
        }
        // One value against one value: membership is equality; a path set of one path is that
        // path.
        Some(Cond::Check(Box::new(TypedCheck {
            lhs: lhs.clone(),
            op: if op == Op::PMatch { Op::PMatch } else { Op::Eq },
            modifier: None,
            rhs: CheckRhs::Value(v),
            location: self.loc(o.span()),
        })))
    }
}
