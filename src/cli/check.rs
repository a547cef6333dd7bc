//! `gfnc check FILE`: parse, check, and print a one-line summary of the environment.

use super::{read_source, Failure, Output};
use gfnc::check::Model;
use gfnc::Override;
use std::path::Path;

pub fn run(output: &Output, path: &Path, overrides: &[Override]) -> Result<(), Failure> {
    let source = read_source(path)?;
    match gfnc::load(&source, overrides) {
        Ok(model) => {
            println!("ok  {}", summary(&model));
            Ok(())
        }
        Err(diagnostics) => {
            output.diagnostics(path, &source, &diagnostics);
            Err(Failure::Reported)
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `hypergrid: 1 field (x: [0..8; 2]), 1 action family (2 values) + stop, ≤ 64 states`
pub fn summary(model: &Model) -> String {
    let fields: Vec<String> = model
        .fields
        .iter()
        .map(|f| format!("{}: {}", f.name, f.ty))
        .collect();
    let values: usize = model.actions.iter().map(|a| a.value_count()).sum();
    let mut exits = String::new();
    if model.stop.is_some() {
        exits.push_str(" + stop");
    }
    if model.done.is_some() {
        exits.push_str(" + done");
    }
    format!(
        "{}: {} ({}), {} ({}){}, ≤ {} states",
        model.name,
        plural(fields.len(), "field", "fields"),
        fields.join(", "),
        plural(model.actions.len(), "action family", "action families"),
        plural(values, "value", "values"),
        exits,
        count_text(model.state_count_bound()),
    )
}

/// Exact below 2^53, scientific above.
fn count_text(count: f64) -> String {
    if count < 9.0e15 {
        format!("{}", count as u64)
    } else {
        format!("{count:.3e}")
    }
}
