//! `gfnc check FILE`: parse, check, compile, and on small state spaces enumerate the DAG and run
//! every validity check; print a summary.

use super::{read_source, Failure, Output};
use gfnc::check::Model;
use gfnc::Override;
use std::path::Path;

pub fn run(output: &Output, path: &Path, overrides: &[Override]) -> Result<(), Failure> {
    let source = read_source(path)?;
    let report = |diagnostics: &[gfnc::Diagnostic]| {
        output.diagnostics(path, &source, diagnostics);
        Failure::Reported
    };
    let validated = gfnc::validate(&source, overrides).map_err(|d| report(&d))?;
    let model = &validated.model;
    let dag_line = match &validated.dag {
        Some(dag) => format!(
            "    DAG checked: {} reachable states, {} terminal; no cycle, dead end, bad reward or orphan parent",
            dag.len(),
            dag.terminal_count()
        ),
        None => format!(
            "    exhaustive checks skipped: up to {} states × {} actions (limits {} states, {:.0e} pairs); run-time checks remain",
            count_text(model.state_count_bound()),
            validated.env.action_count(),
            gfnc::EXHAUSTIVE_LIMIT,
            gfnc::EXHAUSTIVE_WORK
        ),
    };
    println!("ok  {}\n{dag_line}", summary(model));
    Ok(())
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
