//! `gfnc._gfnc`: a compiled `.gfn` environment as batched methods over numpy arrays. States go
//! in as `int32 [n, width]` arrays, actions as `int64 [n]`; every batch runs with the GIL
//! released, one Rust loop over the rows. The pure-Python package (`python/gfnc/`) converts
//! and checks dtypes and shapes before calling in, and documents the API; this module checks
//! again what it relies on (contiguity, widths, action ranges, valid states), so that nothing a
//! caller passes can crash the interpreter.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gfnc::diagnostic::{self, Color, Diagnostic};
use gfnc::env::dag::{self, Budget, Dag, Explored};
use gfnc::env::{EnvError, Environment, Workspace};
use numpy::ndarray::{Array1, Array2};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    _gfnc,
    GfnError,
    PyException,
    "A diagnostic of gfnc: the .gfn file does not check or compile, or the model failed at run time (a division by zero, a reward that is not positive, a scorer that crashed). The message is gfnc's rendered diagnostic: code, file, line, label and help."
);

/// Width of rendered diagnostics (as `gfnc` prints them to a terminal).
const RENDER_WIDTH: usize = 100;

/// A compiled environment, with the source it came from (for rendering its diagnostics) and
/// its reachable graph once enumerated.
#[pyclass(module = "gfnc._gfnc", name = "Env", frozen)]
struct Env {
    env: Environment,
    path: PathBuf,
    source: String,
    dag: Mutex<Option<Arc<Enumerated>>>,
}

/// The enumerated DAG and, per state id, its position among the terminal objects.
struct Enumerated {
    dag: Dag,
    /// The state id of each terminal object, in state-id order.
    objects: Vec<usize>,
    /// Per state id: its index in `objects`, or -1 when it is not terminal.
    object_of_state: Vec<i64>,
}

impl Env {
    /// The diagnostics as gfnc prints them, naming this file.
    fn rendered(&self, diagnostics: &[Diagnostic]) -> String {
        render(diagnostics, &self.path, &self.source)
    }

    fn env_error(&self, error: EnvError) -> PyErr {
        GfnError::new_err(self.rendered(&[error.into_diagnostic()]))
    }

    /// The states of a `[n, width]` array as one slice, checked against the state type.
    fn states<'a>(&self, states: &'a PyReadonlyArray2<'_, i32>) -> PyResult<(&'a [i32], usize)> {
        let shape = states.shape();
        let w = self.env.width();
        if shape[1] != w {
            return Err(PyValueError::new_err(format!(
                "states must have shape [n, {w}] (the width of a {} state), got {shape:?}",
                self.env.name()
            )));
        }
        let slots = states.as_slice().map_err(|_| {
            PyValueError::new_err("states must be a C-contiguous array (np.ascontiguousarray)")
        })?;
        for (row, state) in slots.chunks_exact(w.max(1)).enumerate() {
            if !self.env.is_valid_state(state) {
                return Err(PyValueError::new_err(format!(
                    "row {row} is not a state of `{}`: slots {state:?} ({}) are outside the ranges of the state type",
                    self.env.name(),
                    self.env.render(state)
                )));
            }
        }
        Ok((slots, shape[0]))
    }

    /// Actions `[n]` matching `n` states, each within the flat action space.
    fn actions<'a>(&self, actions: &'a PyReadonlyArray1<'_, i64>, n: usize) -> PyResult<&'a [i64]> {
        let actions = actions
            .as_slice()
            .map_err(|_| PyValueError::new_err("actions must be a contiguous array"))?;
        if actions.len() != n {
            return Err(PyValueError::new_err(format!(
                "actions must have shape [{n}] (one per state), got [{}]",
                actions.len()
            )));
        }
        let count = self.env.action_count();
        if let Some((row, bad)) = actions
            .iter()
            .enumerate()
            .find(|(_, a)| !(0..count as i64).contains(*a))
        {
            return Err(PyValueError::new_err(format!(
                "row {row}: action {bad} is outside the flat action space 0..{count} (stop is {})",
                count - 1
            )));
        }
        Ok(actions)
    }

    /// The enumeration, computed once.
    fn enumerated(&self, py: Python<'_>, budget: Budget) -> PyResult<Arc<Enumerated>> {
        let mut cached = self
            .dag
            .lock()
            .map_err(|_| PyValueError::new_err("an earlier enumeration panicked"))?;
        if let Some(done) = cached.as_ref() {
            return Ok(done.clone());
        }
        let env = &self.env;
        let explored = py.detach(|| -> Result<Result<Dag, dag::Overflow>, EnvError> {
            match dag::explore(env, budget, &mut |_, _| {})? {
                Explored::Complete(dag) => {
                    dag::check_parents(env, &dag)?;
                    Ok(Ok(*dag))
                }
                Explored::TooLarge(overflow) => Ok(Err(overflow)),
            }
        });
        let dag = match explored {
            Ok(Ok(dag)) => dag,
            Ok(Err(overflow)) => return Err(self.env_error(dag::too_large(&overflow))),
            Err(error) => return Err(self.env_error(error)),
        };
        let objects: Vec<usize> = (0..dag.len()).filter(|s| dag.is_terminal(*s)).collect();
        let mut object_of_state = vec![-1i64; dag.len()];
        for (k, s) in objects.iter().enumerate() {
            object_of_state[*s] = k as i64;
        }
        let done = Arc::new(Enumerated {
            dag,
            objects,
            object_of_state,
        });
        *cached = Some(done.clone());
        Ok(done)
    }

    fn cached(&self) -> PyResult<Arc<Enumerated>> {
        let cached = self
            .dag
            .lock()
            .map_err(|_| PyValueError::new_err("an earlier enumeration panicked"))?;
        cached.clone().ok_or_else(|| {
            PyValueError::new_err("call enumerate() first: this needs the reachable graph")
        })
    }
}

/// Rendered diagnostics, as `gfnc check` prints them without colour.
fn render(diagnostics: &[Diagnostic], path: &Path, source: &str) -> String {
    let text = diagnostic::render(
        diagnostics,
        &path.display().to_string(),
        source,
        Color::Never,
        RENDER_WIDTH,
    );
    text.trim_end().to_string()
}

fn rows<T: numpy::Element>(
    py: Python<'_>,
    values: Vec<T>,
    n: usize,
    width: usize,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let array = Array2::from_shape_vec((n, width), values)
        .map_err(|e| PyValueError::new_err(format!("internal error: {e}")))?;
    Ok(array.into_pyarray(py))
}

fn column<T: numpy::Element>(py: Python<'_>, values: Vec<T>) -> Bound<'_, PyArray1<T>> {
    Array1::from_vec(values).into_pyarray(py)
}

/// What a batch loop failed on: the model (a diagnostic) or the caller's input (a message).
enum Failed {
    Model(EnvError),
    Input(String),
}

impl From<EnvError> for Failed {
    fn from(error: EnvError) -> Failed {
        Failed::Model(error)
    }
}

impl Env {
    fn failed(&self, failed: Failed) -> PyErr {
        match failed {
            Failed::Model(error) => self.env_error(error),
            Failed::Input(message) => PyValueError::new_err(message),
        }
    }
}

#[pymethods]
impl Env {
    /// The name given by `env NAME`.
    #[getter]
    fn name(&self) -> &str {
        self.env.name()
    }

    /// The file the environment was compiled from.
    #[getter]
    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Its source text.
    #[getter]
    fn source(&self) -> &str {
        &self.source
    }

    /// Slots per state (the second dimension of every states array).
    #[getter]
    fn width(&self) -> usize {
        self.env.width()
    }

    /// The flat action space, `stop` included (it is the last action).
    #[getter]
    fn action_count(&self) -> usize {
        self.env.action_count()
    }

    /// The index of `stop`: `action_count - 1`.
    #[getter]
    fn stop_action(&self) -> usize {
        self.env.stop_action()
    }

    /// Whether the program has a `stop` item (else only `done` states end trajectories).
    #[getter]
    fn has_stop(&self) -> bool {
        self.env.has_stop()
    }

    /// Names of the flat actions: `step(i=1)`, ..., `stop`.
    #[getter]
    fn action_names(&self) -> Vec<String> {
        (0..self.env.action_count())
            .map(|a| self.env.action_name(a).to_string())
            .collect()
    }

    /// Features per state of `encode`.
    #[getter]
    fn encoding_width(&self) -> usize {
        self.env.encoding_width()
    }

    /// The initial state s0, `int32 [width]`.
    #[getter]
    fn s0<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        column(py, self.env.initial_state().to_vec())
    }

    /// `n` copies of s0, `int32 [n, width]`.
    fn initial_states<'py>(
        &self,
        py: Python<'py>,
        n: usize,
    ) -> PyResult<Bound<'py, PyArray2<i32>>> {
        let s0 = self.env.initial_state();
        rows(py, s0.repeat(n), n, s0.len())
    }

    /// Forward masks, `bool [n, action_count]`.
    fn forward_masks<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray2<bool>>> {
        let (slots, n) = self.states(&states)?;
        let a = self.env.action_count();
        let env = &self.env;
        let masks = py.detach(|| {
            let mut masks = vec![false; n * a];
            env.forward_masks(slots, &mut masks, &mut Workspace::new())
                .map(|_| masks)
        });
        rows(py, masks.map_err(|e| self.env_error(e))?, n, a)
    }

    /// Backward masks, `bool [n, action_count]`: action `a` is allowed backward when some
    /// state steps into this one by `a` (`stop` never is).
    fn backward_masks<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray2<bool>>> {
        let (slots, n) = self.states(&states)?;
        let a = self.env.action_count();
        let env = &self.env;
        let masks = py.detach(|| {
            let mut masks = vec![false; n * a];
            env.backward_masks(slots, &mut masks, &mut Workspace::new())
                .map(|_| masks)
        });
        rows(py, masks.map_err(|e| self.env_error(e))?, n, a)
    }

    /// The children of `states` by `actions`, `int32 [n, width]`. Each action must be allowed
    /// in its state, and not `stop` (which ends the trajectory and has no child).
    fn step<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyArray2<i32>>> {
        let (slots, n) = self.states(&states)?;
        let actions = self.actions(&actions, n)?;
        let (w, env) = (self.env.width(), &self.env);
        let children = py.detach(|| -> Result<Vec<i32>, Failed> {
            let mut ws = Workspace::new();
            let mut children = vec![0; n * w];
            for (row, ((state, action), child)) in slots
                .chunks_exact(w.max(1))
                .zip(actions)
                .zip(children.chunks_exact_mut(w.max(1)))
                .enumerate()
            {
                let action = *action as usize;
                if action == env.stop_action() {
                    return Err(Failed::Input(format!(
                        "row {row}: action {action} is `stop`, which ends the trajectory and has no child state"
                    )));
                }
                if !env.allows(state, action, &mut ws)? {
                    return Err(Failed::Input(format!(
                        "row {row}: action {action} (`{}`) is not allowed in state {}",
                        env.action_name(action),
                        env.render(state)
                    )));
                }
                env.step(state, action, child, &mut ws)?;
            }
            Ok(children)
        });
        rows(py, children.map_err(|f| self.failed(f))?, n, w)
    }

    /// The parents of `states` by `actions` (the action that led into each state),
    /// `int32 [n, width]`. Each action must be allowed backward (see `backward_masks`).
    fn backward_step<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
        actions: PyReadonlyArray1<'py, i64>,
    ) -> PyResult<Bound<'py, PyArray2<i32>>> {
        let (slots, n) = self.states(&states)?;
        let actions = self.actions(&actions, n)?;
        let (w, env) = (self.env.width(), &self.env);
        let parents = py.detach(|| -> Result<Vec<i32>, Failed> {
            let mut ws = Workspace::new();
            let mut parents = vec![0; n * w];
            for (row, ((state, action), parent)) in slots
                .chunks_exact(w.max(1))
                .zip(actions)
                .zip(parents.chunks_exact_mut(w.max(1)))
                .enumerate()
            {
                let action = *action as usize;
                if !env.parent(state, action, parent, &mut ws)? {
                    return Err(Failed::Input(format!(
                        "row {row}: action {action} (`{}`) is not allowed backward in state {}: no state steps into it by this action",
                        env.action_name(action),
                        env.render(state)
                    )));
                }
            }
            Ok(parents)
        });
        rows(py, parents.map_err(|f| self.failed(f))?, n, w)
    }

    /// Whether each state may end a trajectory (`stop` allowed, or `done`), `bool [n]`.
    fn is_terminal<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let (slots, _) = self.states(&states)?;
        let (w, env) = (self.env.width(), &self.env);
        let flags = py.detach(|| {
            let mut ws = Workspace::new();
            slots
                .chunks_exact(w.max(1))
                .map(|s| env.is_terminal(s, &mut ws))
                .collect::<Result<Vec<bool>, EnvError>>()
        });
        Ok(column(py, flags.map_err(|e| self.env_error(e))?))
    }

    /// Whether each state is `done` (terminal with no action allowed), `bool [n]`.
    fn is_done<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let (slots, _) = self.states(&states)?;
        let (w, env) = (self.env.width(), &self.env);
        let flags = py.detach(|| {
            let mut ws = Workspace::new();
            slots
                .chunks_exact(w.max(1))
                .map(|s| env.is_done(s, &mut ws))
                .collect::<Result<Vec<bool>, EnvError>>()
        });
        Ok(column(py, flags.map_err(|e| self.env_error(e))?))
    }

    /// Log rewards of terminal states, `float64 [n]` (external scorers asked once per batch).
    fn log_reward<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (slots, n) = self.states(&states)?;
        let (w, env) = (self.env.width(), &self.env);
        let values = py.detach(|| -> Result<Vec<f64>, Failed> {
            let mut ws = Workspace::new();
            for (row, state) in slots.chunks_exact(w.max(1)).enumerate() {
                if !env.is_terminal(state, &mut ws)? {
                    return Err(Failed::Input(format!(
                        "row {row}: state {} is not terminal (it cannot stop and is not done); rewards are defined on terminal objects",
                        env.render(state)
                    )));
                }
            }
            let mut values = vec![0.0; n];
            env.log_rewards(slots, &mut values, &mut ws)?;
            Ok(values)
        });
        Ok(column(py, values.map_err(|f| self.failed(f))?))
    }

    /// Whether each terminal state is a mode (`mode` holds), `bool [n]`.
    fn is_mode<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<bool>>> {
        let (slots, _) = self.states(&states)?;
        let (w, env) = (self.env.width(), &self.env);
        let flags = py.detach(|| {
            let mut ws = Workspace::new();
            slots
                .chunks_exact(w.max(1))
                .map(|s| env.is_mode(s, &mut ws))
                .collect::<Result<Vec<bool>, EnvError>>()
        });
        Ok(column(py, flags.map_err(|e| self.env_error(e))?))
    }

    /// The one-hot encoding the MLP policy reads, `float32 [n, encoding_width]`.
    fn encode<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let (slots, n) = self.states(&states)?;
        let (e, env) = (self.env.encoding_width(), &self.env);
        let features = py.detach(|| {
            let mut features = vec![0.0f32; n * e];
            env.encode_batch(slots, &mut features);
            features
        });
        rows(py, features, n, e)
    }

    /// Each state in the `.gfn` state syntax (`x=[3, 5]`), a list of `n` strings.
    fn render(&self, states: PyReadonlyArray2<'_, i32>) -> PyResult<Vec<String>> {
        let (slots, _) = self.states(&states)?;
        let w = self.env.width().max(1);
        Ok(slots.chunks_exact(w).map(|s| self.env.render(s)).collect())
    }

    /// States read from the `.gfn` state syntax, `int32 [n, width]`.
    fn parse<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<String>,
    ) -> PyResult<Bound<'py, PyArray2<i32>>> {
        let mut slots = Vec::with_capacity(texts.len() * self.env.width());
        for (k, text) in texts.iter().enumerate() {
            let state = self
                .env
                .parse_state(text)
                .map_err(|why| PyValueError::new_err(format!("item {k} ({text:?}): {why}")))?;
            slots.extend_from_slice(&state);
        }
        rows(py, slots, texts.len(), self.env.width())
    }

    /// Enumerate the reachable DAG (once; later calls reuse it) and run every check of
    /// `gfnc check` on it. See the Python `Env.enumerate` for the keys.
    #[pyo3(signature = (max_states = dag::DEFAULT_MAX_STATES, max_memory_mb = dag::DEFAULT_MAX_BYTES / 1_000_000))]
    fn enumerate<'py>(
        &self,
        py: Python<'py>,
        max_states: usize,
        max_memory_mb: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let budget = Budget {
            max_states,
            max_bytes: max_memory_mb.saturating_mul(1_000_000),
            ..Budget::default()
        };
        let e = self.enumerated(py, budget)?;
        let dag = &e.dag;
        let w = self.env.width();
        let out = PyDict::new(py);
        out.set_item(
            "states",
            rows(
                py,
                dag.states.slots()[..dag.len() * w].to_vec(),
                dag.len(),
                w,
            )?,
        )?;
        out.set_item(
            "is_terminal",
            column(py, (0..dag.len()).map(|s| dag.is_terminal(s)).collect()),
        )?;
        let mut objects = Vec::with_capacity(e.objects.len() * w);
        for s in &e.objects {
            objects.extend_from_slice(dag.states.get(*s));
        }
        out.set_item("objects", rows(py, objects, e.objects.len(), w)?)?;
        out.set_item(
            "object_ids",
            column(py, e.objects.iter().map(|s| *s as i64).collect()),
        )?;
        out.set_item(
            "log_rewards",
            column(py, e.objects.iter().map(|s| dag.log_reward[*s]).collect()),
        )?;
        out.set_item(
            "is_mode",
            column(py, e.objects.iter().map(|s| dag.mode[*s]).collect()),
        )?;
        out.set_item("log_z", dag.log_z)?;
        out.set_item("max_len", dag.max_len)?;
        out.set_item("modes", dag.mode_count())?;
        let (mut sources, mut actions, mut targets) = (Vec::new(), Vec::new(), Vec::new());
        for s in 0..dag.len() {
            for (action, child) in dag.edges(s) {
                sources.push(s as i64);
                actions.push(action as i64);
                targets.push(child as i64);
            }
        }
        out.set_item("edge_sources", column(py, sources))?;
        out.set_item("edge_actions", column(py, actions))?;
        out.set_item("edge_targets", column(py, targets))?;
        Ok(out)
    }

    /// The position of each state in `enumerate()["states"]`, `int64 [n]`, -1 when unreachable.
    fn state_index<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let e = self.cached()?;
        let (slots, _) = self.states(&states)?;
        let w = self.env.width().max(1);
        let ids = slots
            .chunks_exact(w)
            .map(|s| e.dag.states.find(s).map_or(-1, |id| id as i64))
            .collect();
        Ok(column(py, ids))
    }

    /// The position of each state in `enumerate()["objects"]`, `int64 [n]`, -1 when it is not
    /// a reachable terminal object.
    fn object_index<'py>(
        &self,
        py: Python<'py>,
        states: PyReadonlyArray2<'py, i32>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let e = self.cached()?;
        let (slots, _) = self.states(&states)?;
        let w = self.env.width().max(1);
        let ids = slots
            .chunks_exact(w)
            .map(|s| e.dag.states.find(s).map_or(-1, |id| e.object_of_state[id]))
            .collect();
        Ok(column(py, ids))
    }

    /// Exact L1, TV and KL(R/Z ‖ p) of a distribution `p`, `float64 [objects]` in the order of
    /// `enumerate()["objects"]`, against the target R/Z.
    fn distances<'py>(
        &self,
        py: Python<'py>,
        p: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let e = self.cached()?;
        let p = p
            .as_slice()
            .map_err(|_| PyValueError::new_err("p must be a contiguous array"))?;
        if p.len() != e.objects.len() {
            return Err(PyValueError::new_err(format!(
                "p must have shape [{}] (one probability per terminal object), got [{}]",
                e.objects.len(),
                p.len()
            )));
        }
        if let Some((k, bad)) = p
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(PyValueError::new_err(format!(
                "p[{k}] = {bad}: probabilities must be finite and non-negative"
            )));
        }
        let total: f64 = p.iter().sum();
        if (total - 1.0).abs() > 1e-6 {
            return Err(PyValueError::new_err(format!(
                "p sums to {total}, not 1: pass a distribution (counts / counts.sum())"
            )));
        }
        let mut per_state = vec![0.0; e.dag.len()];
        for (s, q) in e.objects.iter().zip(p) {
            per_state[*s] = *q;
        }
        let d = e.dag.distances(&per_state);
        let out = PyDict::new(py);
        out.set_item("l1", d.l1)?;
        out.set_item("tv", d.tv)?;
        out.set_item("kl", d.kl)?;
        Ok(out)
    }

    /// The terminal distribution of a forward policy given per state of `enumerate()["states"]`
    /// as probabilities over the flat action space, `float64 [states, action_count]`; returns
    /// `float64 [objects]`.
    fn terminal_distribution<'py>(
        &self,
        py: Python<'py>,
        forward: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let e = self.cached()?;
        let a = self.env.action_count();
        let shape = forward.shape();
        if shape != [e.dag.len(), a] {
            return Err(PyValueError::new_err(format!(
                "forward must have shape [{}, {a}] (states × actions), got {shape:?}",
                e.dag.len()
            )));
        }
        let rows = forward
            .as_slice()
            .map_err(|_| PyValueError::new_err("forward must be a C-contiguous array"))?;
        if let Some(bad) = rows.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
            return Err(PyValueError::new_err(format!(
                "forward holds {bad}: probabilities must be finite and non-negative"
            )));
        }
        let dag = &e.dag;
        let ends = py.detach(|| dag.terminal_distribution(rows, a));
        Ok(column(py, e.objects.iter().map(|s| ends[*s]).collect()))
    }
}

/// Compile the `.gfn` file at `path` with `--set` overrides `NAME=VALUE`; tables and scorers
/// are found in `folder`, by default the file's own (a run directory's `env.gfn` names the
/// folder of the file it was copied from in `run.json`).
#[pyfunction]
#[pyo3(signature = (path, overrides = Vec::new(), scorer_timeout = None, folder = None))]
fn load(
    py: Python<'_>,
    path: PathBuf,
    overrides: Vec<String>,
    scorer_timeout: Option<f64>,
    folder: Option<PathBuf>,
) -> PyResult<Env> {
    let source = std::fs::read_to_string(&path)
        .map_err(|e| PyOSError::new_err(format!("{}: {e}", path.display())))?;
    let mut parsed = Vec::new();
    for text in &overrides {
        let o = gfnc::Override::parse(text).ok_or_else(|| {
            PyValueError::new_err(format!("parameter {text:?}: expected NAME=VALUE"))
        })?;
        parsed.push(o);
    }
    let folder = match (folder, path.parent()) {
        (Some(folder), _) => folder,
        (None, Some(p)) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let compiled = py.detach(|| {
        let model = gfnc::load_in(&source, &parsed, &folder)?;
        Environment::new(&model)
    });
    let mut env = compiled.map_err(|d| GfnError::new_err(render(&d, &path, &source)))?;
    if let Some(seconds) = scorer_timeout {
        let timeout = Duration::try_from_secs_f64(seconds).map_err(|_| {
            PyValueError::new_err(format!(
                "scorer_timeout {seconds}: expected a positive number of seconds"
            ))
        })?;
        env.set_scorer_timeout(timeout);
    }
    Ok(Env {
        env,
        path,
        source,
        dag: Mutex::new(None),
    })
}

/// The version of the gfnc library this module was built from.
#[pymodule]
fn _gfnc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_class::<Env>()?;
    m.add("GfnError", m.py().get_type::<GfnError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
