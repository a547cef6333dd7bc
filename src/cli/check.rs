//! `gfnc check FILE`: parse, check, compile, explore the reachable graph and run every validity
//! check on it when it fits the budget, else the partial checks; print what was checked.

use super::{read_source, Failure, Output};
use gfnc::check::Model;
use gfnc::Override;
use std::path::Path;

pub fn run(
    output: &Output,
    path: &Path,
    overrides: &[Override],
    checks: &gfnc::Checks,
    json: bool,
) -> Result<(), Failure> {
    let source = read_source(path)?;
    let validated = match super::validate(output, path, &source, overrides, checks) {
        Ok(validated) => validated,
        Err(failure) => {
            // The diagnostics went to stderr; --json still gets one object on stdout.
            if json && matches!(failure, Failure::Reported) {
                say!(
                    "{}",
                    serde_json::json!({"ok": false, "file": path.display().to_string()})
                );
            }
            return Err(failure);
        }
    };
    let model = &validated.model;
    if json {
        say!("{}", json_summary(&validated));
        return Ok(());
    }
    let dag_line = match (&validated.dag, &validated.partial) {
        (Some(dag), _) => format!(
            "    DAG checked exhaustively: {} reachable states, {} terminal; no cycle, dead end, bad reward, non-injective action or orphan parent",
            dag.len(),
            dag.terminal_count()
        ),
        (None, Some(partial)) => {
            let mut text = format!(
                "    partial check (exact: false): {}; the exploration met {} states without error",
                partial.overflow.reason, partial.overflow.states
            );
            match &partial.probe {
                Some(probe) => text.push_str(&format!(
                    "\n    probe: {} random trajectories (longest {} actions) and {} backward walks through {} states in {:.1} s{}: no cycle, dead end, bad reward, non-injective action or unreachable parent met",
                    probe.trajectories,
                    probe.longest,
                    probe.backward_walks,
                    probe.states,
                    probe.seconds,
                    if probe.timed_out { " (stopped by --probe-seconds)" } else { "" }
                )),
                None => text.push_str("\n    no probe (--probe 0)"),
            }
            text.push_str("\n    raise --max-states (or --max-memory, --explore-seconds) to check exhaustively; training keeps checking the states it visits");
            text
        }
        (None, None) => String::new(),
    };
    say!("ok  {}\n{dag_line}", summary(model));
    Ok(())
}

/// `gfnc check --json`: what was checked, and whether exhaustively.
fn json_summary(validated: &gfnc::Validated) -> serde_json::Value {
    let model = &validated.model;
    let mut value = serde_json::json!({
        "env": model.name,
        "ok": true,
        "fields": model.fields.len(),
        "actions": validated.env.action_count(),
        "type_bound": Some(model.state_count_bound()).filter(|b| b.is_finite()),
        "type_bound_text": count_text(model.state_count_bound()),
        "exact": validated.dag.is_some(),
    });
    if let Some(dag) = &validated.dag {
        value["states"] = dag.len().into();
        value["terminal"] = dag.terminal_count().into();
        value["edges"] = dag.edge_count().into();
        value["log_z"] = dag.log_z.into();
    }
    if let Some(partial) = &validated.partial {
        value["reason"] = partial.overflow.reason.clone().into();
        value["states_met"] = partial.overflow.states.into();
        value["probe"] = serde_json::to_value(&partial.probe).unwrap_or_default();
    }
    value
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
        "{}: {} ({}), {} ({}){}, ≤ {} states by type",
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
    if count.is_infinite() {
        "1.8e308 (more than a 64-bit float counts)".to_string()
    } else if count < 9.0e15 {
        format!("{}", count as u64)
    } else {
        format!("{count:.3e}")
    }
}
