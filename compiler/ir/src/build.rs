//! Building a program with every slot, check and node interned (hash-consed): the same field
//! with the same argument, or the same transformer over the same inputs, is one slot; the same
//! test of the same slot is one check (the first occurrence's location is kept); the same node
//! is one node. Lowering (in the compiler) and the optimiser both build through [`Builder`].
//!
//! Callers build children before parents, so every child gets a smaller id than its user: the
//! verifier relies on that to rule out cycles.

use std::collections::HashMap;

use super::{Check, CheckId, FieldArgValue, Node, NodeId, Program, Slot, SlotId, SlotInput, Test, Transformer};

/// The identity of a slot for hash-consing: fields by name and argument, transformers by
/// function, inputs and index (the type follows from those).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
enum SlotKey {
    Field(&'static str, Option<FieldArgValue>),
    Transform(Transformer, Vec<SlotInput>, Option<String>),
}

fn slot_key(s: &Slot) -> SlotKey {
    match s {
        Slot::Field { field, arg } => SlotKey::Field(field.name, arg.clone()),
        Slot::Transform { func, inputs, index, .. } => SlotKey::Transform(*func, inputs.clone(), index.clone()),
    }
}

/// The identity of a check for hash-consing: its slot and test, not its location. `Debug` of a
/// test is exact (floats print so that they read back to the same value), so equal keys mean
/// equal tests.
fn check_key(slot: SlotId, test: &Test) -> String {
    format!("{}|{test:?}", slot.0)
}

/// Builds a program with every slot, check and node interned.
#[derive(Default)]
pub struct Builder {
    pub program: Program,
    slots: HashMap<SlotKey, SlotId>,
    checks: HashMap<String, CheckId>,
    nodes: HashMap<Node, NodeId>,
}

impl Builder {
    pub fn slot(&mut self, s: Slot) -> SlotId {
        let key = slot_key(&s);
        if let Some(&id) = self.slots.get(&key) {
            return id;
        }
        let id = SlotId(self.program.slots.len() as u32);
        self.program.slots.push(s);
        self.slots.insert(key, id);
        id
    }

    pub fn check(&mut self, c: Check) -> CheckId {
        let key = check_key(c.slot, &c.test);
        if let Some(&id) = self.checks.get(&key) {
            return id;
        }
        let id = CheckId(self.program.checks.len() as u32);
        self.program.checks.push(c);
        self.checks.insert(key, id);
        id
    }

    /// Interns a node. Callers build children first, so children always get smaller ids.
    pub fn node(&mut self, n: Node) -> NodeId {
        if let Some(&id) = self.nodes.get(&n) {
            return id;
        }
        let id = NodeId(self.program.nodes.len() as u32);
        self.program.nodes.push(n.clone());
        self.nodes.insert(n, id);
        id
    }
}
