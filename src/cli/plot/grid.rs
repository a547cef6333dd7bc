//! Reading a run's samples onto a 2-D grid of integer coordinates for the heat maps: which
//! coordinates of the state to use (automatically or from `--axes`), and the grids of the
//! sampled share and of R/Z over the cells seen.

use super::MAX_SIDE;
use gfnc::check::{FieldType, Model};
use gfnc::plot::GridAxes;
use std::collections::HashMap;
use std::path::Path;

/// An integer coordinate of the state: an int field, or one element of an int array field.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Coordinate {
    pub(super) field: String,
    pub(super) index: Option<usize>,
    /// The type's values: `lo..hi`.
    pub(super) lo: i64,
    pub(super) hi: i64,
}

impl Coordinate {
    pub(super) fn label(&self) -> String {
        match self.index {
            Some(i) => format!("{}[{i}]", self.field),
            None => self.field.clone(),
        }
    }

    /// Its value in a state as gfnc renders it (`x=[3, 5], done=false`).
    pub(super) fn value(&self, state: &str) -> Option<i64> {
        let text = split_top(state).into_iter().find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == self.field).then_some(value.trim())
        })?;
        let text = match self.index {
            None => text,
            Some(i) => {
                let inner = text.strip_prefix('[')?.strip_suffix(']')?;
                split_top(inner).into_iter().nth(i)?.trim()
            }
        };
        text.parse().ok()
    }
}

/// Split at the commas outside brackets and braces: `x=[1, 2], s={3}` into its two fields.
pub(super) fn split_top(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (k, c) in text.char_indices() {
        match c {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Every integer coordinate of the state, in field order.
pub(super) fn integer_coordinates(model: &Model) -> Vec<Coordinate> {
    let mut out = Vec::new();
    for field in &model.fields {
        match &field.ty {
            FieldType::Int { lo, hi } => out.push(Coordinate {
                field: field.name.clone(),
                index: None,
                lo: *lo,
                hi: *hi,
            }),
            FieldType::Array(element, n) => {
                if let FieldType::Int { lo, hi } = **element {
                    out.extend((0..*n).map(|i| Coordinate {
                        field: field.name.clone(),
                        index: Some(i),
                        lo,
                        hi,
                    }));
                }
            }
            _ => {}
        }
    }
    out
}

/// The heat map's two coordinates: those given by `--axes`, or the state's only two integer
/// coordinates. `Ok(None)` when there is no automatic choice; an `--axes` that does not fit the
/// state is an error.
pub(super) fn choose_axes(
    model: &Model,
    axes: Option<&str>,
) -> Result<Option<[Coordinate; 2]>, String> {
    let all = integer_coordinates(model);
    let Some(spec) = axes else {
        return Ok(match all.as_slice() {
            [a, b] => Some([a.clone(), b.clone()]),
            _ => None,
        });
    };
    let of_field = |name: &str| -> Vec<Coordinate> {
        all.iter().filter(|c| c.field == name).cloned().collect()
    };
    let known = || {
        let names: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
        names.join(", ")
    };
    let items: Vec<&str> = spec.split(',').map(str::trim).collect();
    let chosen = match items.as_slice() {
        [field] => {
            let coordinates = of_field(field);
            match coordinates.as_slice() {
                [a, b] if a.index.is_some() => [a.clone(), b.clone()],
                [] => {
                    return Err(format!(
                        "--axes {field}: the state has no integer field or integer array `{field}` (the fields are {})",
                        known()
                    ))
                }
                [one] if one.index.is_none() => {
                    return Err(format!(
                        "--axes {field}: `{field}` is one integer; name two coordinates: --axes {field},OTHER"
                    ))
                }
                many => {
                    return Err(format!(
                        "--axes {field}: `{field}` has {} elements; name two, e.g. --axes {field}[0],{field}[1]",
                        many.len()
                    ))
                }
            }
        }
        [a, b] => {
            let pick = |item: &str| -> Result<Coordinate, String> {
                pick_coordinate(item, &all).ok_or_else(|| {
                    format!(
                        "--axes {spec}: `{item}` is not an integer coordinate of the state (write a field `a`, an element `x[0]`, or an index `0` into the only integer array; the fields are {})",
                        known()
                    )
                })
            };
            let (a, b) = (pick(a)?, pick(b)?);
            if a == b {
                return Err(format!("--axes {spec}: name two different coordinates"));
            }
            [a, b]
        }
        _ => {
            return Err(format!(
                "--axes {spec}: give a field (x) or two coordinates (x[0],x[1] or a,b)"
            ))
        }
    };
    Ok(Some(chosen))
}

/// One coordinate named on `--axes`: `a` (an int field), `x[1]` (an element of an int array),
/// or `1` (an element of the state's only int array).
pub(super) fn pick_coordinate(item: &str, all: &[Coordinate]) -> Option<Coordinate> {
    if let Ok(index) = item.parse::<usize>() {
        let mut arrays: Vec<&str> = all
            .iter()
            .filter(|c| c.index.is_some())
            .map(|c| c.field.as_str())
            .collect();
        arrays.dedup();
        return match arrays.as_slice() {
            [only] => all
                .iter()
                .find(|c| c.field == *only && c.index == Some(index))
                .cloned(),
            _ => None,
        };
    }
    let (field, index) = match item.split_once('[') {
        Some((field, rest)) => (
            field.trim(),
            Some(rest.strip_suffix(']')?.trim().parse::<usize>().ok()?),
        ),
        None => (item, None),
    };
    all.iter()
        .find(|c| c.field == field && c.index == index)
        .cloned()
}

/// What a run's samples.csv holds for its pictures.
pub(super) struct Samples {
    pub(super) log_rewards: Vec<f64>,
    /// The heat map's cells, when its coordinates were chosen and every state has them.
    pub(super) cells: Option<Cells>,
}

/// Samples by cell of the heat map's grid.
pub(super) struct Cells {
    pub(super) axes: [Coordinate; 2],
    /// Samples per cell.
    pub(super) counts: HashMap<(i64, i64), usize>,
    /// Each distinct object seen: its cell and log reward.
    pub(super) objects: HashMap<String, ((i64, i64), f64)>,
    pub(super) total: usize,
}

/// Read samples.csv: the log rewards and, with `axes`, the cells of the states. A state
/// without the coordinates (a samples file of another environment) drops the cells with a
/// note rather than failing the pictures that do not need them.
pub(super) fn read_samples(
    path: &Path,
    axes: Option<[Coordinate; 2]>,
) -> Result<(Samples, Option<String>), String> {
    let mut cells = axes.map(|axes| Cells {
        axes,
        counts: HashMap::new(),
        objects: HashMap::new(),
        total: 0,
    });
    let mut note = None;
    let mut log_rewards = Vec::new();
    gfnc::train::tables::read_samples(path, &mut |sample| {
        let (state, log_reward) = (sample.state, sample.log_reward);
        log_rewards.push(log_reward);
        if let Some(grid) = &mut cells {
            let [a, b] = &grid.axes;
            match (a.value(state), b.value(state)) {
                (Some(x), Some(y)) => {
                    *grid.counts.entry((x, y)).or_insert(0) += 1;
                    grid.total += 1;
                    if !grid.objects.contains_key(state) {
                        grid.objects.insert(state.to_string(), ((x, y), log_reward));
                    }
                }
                _ => {
                    note = Some(format!(
                        "{}:{}: state `{}` has no integer {} and {}",
                        path.display(),
                        sample.line,
                        gfnc::files::quote(state, 80),
                        a.label(),
                        b.label()
                    ));
                    cells = None;
                }
            }
        }
    })?;
    Ok((Samples { log_rewards, cells }, note))
}

/// The heat map's two grids, rows by columns.
pub(super) struct HeatGrids {
    /// The share of the samples in each cell.
    pub(super) empirical: Vec<Vec<f64>>,
    /// R/Z normalised over the objects seen, summed per cell (NaN where none was seen).
    pub(super) target: Vec<Vec<f64>>,
    pub(super) axes: GridAxes,
    /// Cells that hold at least one sample.
    pub(super) seen: usize,
}

/// The heat map's grids; or why there is no map.
pub(super) fn heat_grids(cells: &Cells) -> Result<HeatGrids, String> {
    let [a, b] = &cells.axes;
    let seen = |pick: fn(&(i64, i64)) -> i64| {
        let values = cells.counts.keys().map(pick);
        values.fold((i64::MAX, i64::MIN), |(lo, hi), v| {
            (lo.min(v), hi.max(v.saturating_add(1)))
        })
    };
    // The type's whole range when it is small enough to draw, else the values seen; always
    // every value seen (a samples file that does not match its env.gfn may hold others).
    let range = |c: &Coordinate, seen: (i64, i64)| {
        let whole = (c.lo.min(seen.0), c.hi.max(seen.1));
        if whole.1.saturating_sub(whole.0) <= MAX_SIDE {
            Ok(whole)
        } else if seen.1.saturating_sub(seen.0) <= MAX_SIDE {
            Ok(seen)
        } else {
            Err(format!(
                "{} spans {} values among the samples: too many for a heat map (at most {MAX_SIDE})",
                c.label(),
                seen.1.saturating_sub(seen.0)
            ))
        }
    };
    if cells.total == 0 {
        return Err("no samples".to_string());
    }
    let (x_lo, x_hi) = range(a, seen(|c| c.0))?;
    let (y_lo, y_hi) = range(b, seen(|c| c.1))?;
    let (columns, rows) = ((x_hi - x_lo) as usize, (y_hi - y_lo) as usize);
    let mut empirical = vec![vec![0.0; columns]; rows];
    for (&(x, y), &n) in &cells.counts {
        empirical[(y - y_lo) as usize][(x - x_lo) as usize] = n as f64 / cells.total as f64;
    }
    // R/Z over the distinct objects seen, summed into their cells (a marginal when the state
    // has more than the two coordinates); computed from log R so that huge rewards do not
    // overflow. Cells no sample reached have no R/Z: NaN, drawn grey.
    let top = cells
        .objects
        .values()
        .map(|o| o.1)
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut target = vec![vec![f64::NAN; columns]; rows];
    let mut total = 0.0;
    for &((x, y), log_reward) in cells.objects.values() {
        if log_reward.is_finite() {
            let weight = (log_reward - top).exp();
            let cell = &mut target[(y - y_lo) as usize][(x - x_lo) as usize];
            *cell = if cell.is_nan() {
                weight
            } else {
                *cell + weight
            };
            total += weight;
        }
    }
    if total > 0.0 {
        for value in target.iter_mut().flatten() {
            *value /= total;
        }
    }
    let axes = GridAxes {
        x_label: a.label(),
        y_label: b.label(),
        x_origin: x_lo,
        y_origin: y_lo,
    };
    Ok(HeatGrids {
        empirical,
        target,
        axes,
        seen: cells.counts.len(),
    })
}
