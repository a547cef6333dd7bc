//! A readable listing of a lowered program, for reading what the compiler made of a file and
//! for pinning it in snapshot tests: the layout, the flat action space, each family's guard,
//! effects and parent plan, and the node arena.

use super::Program;
use std::fmt::Write;

impl Program {
    /// The program as text, one item per line.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let layout = &self.layout;
        let _ = writeln!(
            out,
            "env {} · {} slots per state",
            self.interface.name, layout.width
        );
        for ((base, shape), field) in layout.fields.iter().zip(&self.interface.fields) {
            let _ = writeln!(
                out,
                "  field {} @{base}: {:?}",
                field.name,
                layout.shape(*shape)
            );
        }
        let _ = writeln!(out, "  initial {:?}", self.initial);
        let names: Vec<&str> = self.actions.iter().map(|a| a.name.as_str()).collect();
        let _ = writeln!(
            out,
            "actions ({} + stop): {}",
            names.len(),
            names.join(", ")
        );
        for family in &self.families {
            let _ = writeln!(out, "family {}", family.name);
            let _ = writeln!(out, "  guard {:?}", family.guard);
            for effect in &family.effects {
                let _ = writeln!(
                    out,
                    "  effect {:?} on field {} @{} steps {:?}",
                    effect.op, effect.place.field, effect.place.base, effect.place.steps
                );
            }
            let _ = writeln!(
                out,
                "  parents {:?} expect {:?}",
                family.parents.old, family.parents.expect
            );
            let _ = writeln!(
                out,
                "  fast guard {:?} · fast effect {:?}",
                family.fast_guard, family.fast_effect
            );
        }
        let _ = writeln!(
            out,
            "stop {:?} · done {:?} · mode {:?} · {} {:?}",
            self.stop,
            self.done,
            self.mode,
            if self.reward_is_log {
                "log_reward"
            } else {
                "reward"
            },
            self.reward
        );
        let _ = writeln!(out, "lets {:?}", self.code.lets);
        for (id, node) in self.code.nodes.iter().enumerate() {
            let _ = writeln!(out, "  n{id} = {node:?}");
        }
        for (k, pooled) in self.code.pool.iter().enumerate() {
            let _ = writeln!(out, "  pool{k} = {pooled:?}");
        }
        for (k, table) in self.code.tables.iter().enumerate() {
            let entries: Vec<String> = table
                .entries
                .iter()
                .map(|entry| match entry {
                    Ok(value) => format!("{value:?}"),
                    Err(k) => match table.faults.get(*k as usize) {
                        Some(fault) => format!("Err({})", fault.kind),
                        None => format!("Err(#{k})"),
                    },
                })
                .collect();
            let keys: Vec<String> = table
                .keys
                .iter()
                .map(|key| {
                    format!(
                        "local{} in {}..{}",
                        key.slot,
                        key.lo,
                        key.lo + i64::from(key.len)
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "  table{k} by [{}] = [{}]",
                keys.join(", "),
                entries.join(", ")
            );
        }
        out
    }
}
