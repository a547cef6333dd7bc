//! `gfnc compare`: GFlowNet objectives against MCMC, tree search, reward maximisation, MaxEnt
//! RL and the uniform policy on one environment, with the same budget of terminal objects
//! evaluated. Writes `compare.csv` (long format), `summary.md`, `objects.md` and the pictures
//! (what finished, when interrupted); `--json` prints one object.

use super::{read_source, ExploreArgs, Failure, Output};
use gfnc::compare::{compare, L1Kind, Method, Point, Settings};
use gfnc::train::tables::{compare_csv, CompareRow};
use gfnc::train::Config;
use gfnc::Override;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// The options of `gfnc compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The .gfn file.
    file: PathBuf,
    /// Override a param: --set NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = super::parse_override)]
    pub overrides: Vec<Override>,
    /// Methods, comma-separated: tb, db, subtb, fm, mcmc, mcts, reinforce, maxent, random.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "tb,mcmc,mcts,reinforce,maxent,random"
    )]
    methods: Vec<String>,
    /// Terminal objects each method may evaluate (reward calls: "states visited").
    #[arg(long, default_value_t = 20_000, value_parser = super::count(1, 100_000_000))]
    budget: usize,
    /// Seeds per method (0, 1, ...).
    #[arg(long, default_value_t = 3, value_parser = super::count(1, 1000))]
    seeds: usize,
    /// Reporting points per run, evenly spread over the budget.
    #[arg(long, default_value_t = 20, value_parser = super::count(1, 10_000))]
    points: usize,
    /// The training options of the policy methods (tb, db, subtb, fm, reinforce, maxent), as
    /// `gfnc run`'s; the objective, steps and seed are set per method and run.
    #[command(flatten)]
    training: super::run_args::TrainingArgs,
    /// Parallel Metropolis–Hastings chains.
    #[arg(long, default_value_t = 16, value_parser = super::count(1, 65_536))]
    chains: usize,
    /// The folder written (default runs/compare-ENV-N); must be empty or missing.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a non-empty --out.
    #[arg(long)]
    force: bool,
    /// Print one JSON object at the end instead of the table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    explore: ExploreArgs,
}

pub fn run(
    output: &Output,
    args: CompareArgs,
    interrupted: Arc<AtomicBool>,
) -> Result<(), Failure> {
    let mut methods = Vec::new();
    for name in &args.methods {
        match Method::from_name(name) {
            Some(m) if !methods.contains(&m) => methods.push(m),
            Some(_) => return Err(Failure::Usage(format!("--methods names `{name}` twice"))),
            // The method once called `ppo` was REINFORCE with a baseline, not PPO: a user
            // asking for PPO must not silently get something else.
            None if name.trim() == "ppo" => {
                return Err(Failure::Usage(
                    "--methods: `ppo` was renamed `reinforce`: it is REINFORCE with a baseline, not PPO (no clipped ratio, one gradient step per batch); use --methods ...,reinforce".to_string(),
                ))
            }
            None => {
                return Err(Failure::Usage(format!(
                    "--methods: no method `{name}`; the methods are tb, db, subtb, fm, mcmc, mcts, reinforce, maxent, random"
                )))
            }
        }
    }
    let mut config = Config {
        // The correlations of log R and log P_T are not among compare's figures.
        test_size: 0,
        ..args.training.config(Config::default())
    };
    config.validate().map_err(Failure::Usage)?;
    let source = read_source(&args.file)?;
    if let Some(out) = &args.out {
        gfnc::train::rundir::RunDir::check_available(out, args.force)
            .map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let checks = args.explore.checks();
    let folder = super::folder_of(&args.file);
    let checked = super::run::environment(
        output,
        (&args.file, &folder),
        &source,
        &args.overrides,
        &checks,
        &|_| {},
    )?;
    let env = &checked.env;
    let dag = checked.dag.as_ref();
    // The same default as run's: replay where the space is too large to sample all of it.
    if args.training.replay.is_none() {
        config.replay = gfnc::train::auto_replay(dag.map(|d| d.terminal_count()), config.batch);
    }
    // The policy methods visit whole batches (twice the batch with --local-search): every
    // method gets the budget rounded up to a whole number of them, so that all visit exactly
    // as many states.
    let per_step = config.trajectories_per_step();
    let budget = args.budget.div_ceil(per_step) * per_step;
    if budget != args.budget && !args.json {
        say!(
            "budget {} rounded up to {budget}, a whole number of training steps of {per_step} trajectories",
            args.budget,
        );
    }
    let settings = Settings {
        budget,
        seeds: args.seeds as u64,
        points: args.points,
        config,
        chains: args.chains,
        stop: interrupted,
    };
    // Refused up front, as `gfnc run` is, rather than aborting when the allocation fails.
    super::run::check_memory(&checked, &settings.config, checks.budget.max_bytes)?;
    if methods.contains(&Method::Mcts) {
        let bytes = gfnc::compare::mcts::estimated_bytes(budget, env.width(), env.action_count());
        if bytes > checks.budget.max_bytes as f64 {
            return Err(Failure::Usage(format!(
                "mcts's tree at --budget {budget} may need {:.0} MB (one node per state visited), beyond --max-memory {:.0} MB: lower --budget or raise --max-memory",
                bytes / 1e6,
                checks.budget.max_bytes as f64 / 1e6
            )));
        }
    }
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None => super::run::default_out_dir(&format!("compare-{}", env.name()))?,
    };
    // Held until the results are written: two compares into one folder cannot both write.
    let _lock = gfnc::train::rundir::RunDir::claim(&out, args.force)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let quiet = args.json;
    let results = compare(env, dag, &methods, &settings, &mut |p| {
        if !quiet && p.states_visited >= settings.budget {
            say!(
                "{:>7} seed {}: {} states visited in {:.1} s, modes {}{}, distinct {}{}",
                p.method,
                p.seed,
                p.states_visited,
                p.seconds,
                p.modes_found,
                p.modes_total.map_or(String::new(), |t| format!("/{t}")),
                p.distinct,
                p.l1.map_or(String::new(), |l1| format!(", L1 {l1:.4}"))
            );
        }
    })
    .map_err(|e| Failure::Usage(e.to_string()))?;
    let write = |name: &str, text: &str| {
        gfnc::train::rundir::write_atomically(&out.join(name), text.as_bytes())
            .map_err(|e| Failure::Usage(e.to_string()))
    };
    let points = &results.points;
    write("compare.csv", &long_csv(points))?;
    let table = dag.map(|dag| objects_table(env, dag, &results.distributions));
    if let Some(table) = &table {
        write("objects.md", table)?;
    }
    let finals = finals(points);
    // Modes make sense when the program says what a mode is and, with the graph enumerated,
    // there is at least one: otherwise every count would be 0 of 0.
    let has_modes = env.program.mode.is_some() && dag.is_none_or(|d| d.mode_count() > 0);
    let report = Report {
        env: env.name(),
        budget,
        exact: dag.is_some(),
        has_modes,
        notes: &results.notes,
        interrupted: results.interrupted,
    };
    let text = summary(&report, &finals);
    write("summary.md", &text)?;
    let title = format!("{}: mean over {} seeds", env.name(), args.seeds);
    let pictures = plots(&out, points, &title, has_modes);
    if args.json {
        let finals: Vec<serde_json::Value> = finals.iter().map(point_json).collect();
        let warnings: Vec<serde_json::Value> = results
            .notes
            .iter()
            .map(|n| serde_json::json!({"method": n.method, "seed": n.seed, "warning": n.text}))
            .collect();
        say!(
            "{}",
            serde_json::json!({
                "env": env.name(),
                "budget": budget,
                "exact": dag.is_some(),
                "out": out.display().to_string(),
                "results": finals,
                "warnings": warnings,
                "interrupted": results.interrupted.is_some(),
            })
        );
    } else {
        say_raw!("{text}");
        say!(
            "written to {} (compare.csv, summary.md{}{})",
            out.display(),
            if table.is_some() { ", objects.md" } else { "" },
            pictures
        );
    }
    // As `gfnc run` warns at the end of a run: a log Z far from the exact one or still moving
    // says the method's figures are of a sampler that has not converged.
    for note in &results.notes {
        warn!("warning: {} seed {}: {}", note.method, note.seed, note.text);
    }
    if let Some((method, seed)) = results.interrupted {
        warn!(
            "interrupted during {method} seed {seed}: that run is dropped; the {} runs finished before it are written to {}",
            finals.len(),
            out.display()
        );
        return Err(Failure::Interrupted);
    }
    Ok(())
}

/// Per terminal object (all of them up to 40, else the 20 best by reward): the number of
/// paths from s0, R/Z and each method's final probability (seed 0). Shows what valuing
/// trajectories does: MaxEnt's P_T follows R·paths, a GFlowNet's follows R.
fn objects_table(
    env: &gfnc::env::Environment,
    dag: &gfnc::env::dag::Dag,
    distributions: &[(&'static str, Vec<f64>)],
) -> String {
    let mut paths = vec![0.0f64; dag.len()];
    if let Some(first) = paths.first_mut() {
        *first = 1.0;
    }
    for &s in &dag.order {
        let here = paths[s as usize];
        for (_, child) in dag.edges(s as usize) {
            paths[child] += here;
        }
    }
    let mut terminal: Vec<usize> = (0..dag.len())
        .filter(|&k| !dag.log_reward[k].is_nan())
        .collect();
    terminal.sort_by(|&a, &b| dag.log_reward[b].total_cmp(&dag.log_reward[a]));
    let shown = if terminal.len() <= 40 {
        terminal.len()
    } else {
        20
    };
    let mut out = format!(
        "# Terminal objects: paths from s0, target R/Z and each method's final probability (seed 0)\n\n{}\n\n| object | paths | R/Z |",
        if shown < terminal.len() {
            format!("The {shown} best of {} objects by reward.", terminal.len())
        } else {
            format!("All {} objects, best first.", terminal.len())
        }
    );
    for (method, _) in distributions {
        out.push_str(&format!(" {method} |"));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(distributions.len()));
    out.push('\n');
    for &k in &terminal[..shown] {
        out.push_str(&format!(
            "| `{}` | {} | {:.4} |",
            env.render(dag.states.get(k)),
            paths[k],
            (dag.log_reward[k] - dag.log_z).exp()
        ));
        for (_, p) in distributions {
            out.push_str(&format!(" {:.4} |", p.get(k).copied().unwrap_or(f64::NAN)));
        }
        out.push('\n');
    }
    out.push_str(&by_paths(&terminal, &paths, &dag.target(), distributions));
    out
}

/// The objects grouped by their number of paths from s0: per group, R/Z summed and each
/// method's probability summed, divided by it. A sampler that values trajectories rather than
/// objects (MaxEnt, a tree search) gives groups with more paths more than their share; a
/// GFlowNet gives every group 1.
fn by_paths(
    terminal: &[usize],
    paths: &[f64],
    target: &[f64],
    distributions: &[(&'static str, Vec<f64>)],
) -> String {
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for &k in terminal {
        // Path counts are whole numbers, exact in a float up to 2^53.
        groups.entry(paths[k] as u64).or_default().push(k);
    }
    let mut out = String::from(
        "\n# By number of paths: each method's probability of the group over its share R/Z (seed 0)\n\n| paths | objects | Σ R/Z |",
    );
    for (method, _) in distributions {
        out.push_str(&format!(" {method} |"));
    }
    out.push_str("\n|---|---|---|");
    out.push_str(&"---|".repeat(distributions.len()));
    out.push('\n');
    for (count, members) in &groups {
        let share: f64 = members.iter().map(|&k| target[k]).sum();
        out.push_str(&format!("| {count} | {} | {share:.4} |", members.len()));
        for (_, p) in distributions {
            let mass: f64 = members.iter().filter_map(|&k| p.get(k)).sum();
            out.push_str(&format!(" {:.2} |", mass / share));
        }
        out.push('\n');
    }
    out
}

fn point_json(p: &Point) -> serde_json::Value {
    serde_json::json!({
        "method": p.method,
        "seed": p.seed,
        "states_visited": p.states_visited,
        "modes_found": p.modes_found,
        "modes_total": p.modes_total,
        "distinct": p.distinct,
        "l1": p.l1,
        "l1_kind": p.l1_kind.map(L1Kind::name),
        "top_k_reward": p.top_k_reward,
        "states_to_all_modes": p.states_to_all_modes,
        "seconds": p.seconds,
    })
}

/// One row per method, seed, point and metric.
fn long_csv(points: &[Point]) -> String {
    let mut rows = Vec::new();
    for p in points {
        let values = [
            ("modes_found", Some(p.modes_found as f64)),
            ("distinct", Some(p.distinct as f64)),
            ("l1", p.l1),
            ("top_k_reward", p.top_k_reward),
            ("seconds", Some(p.seconds)),
        ];
        rows.extend(values.into_iter().map(|(metric, value)| CompareRow {
            method: p.method.to_string(),
            seed: p.seed,
            states_visited: p.states_visited,
            metric: metric.to_string(),
            value,
            l1_kind: match metric {
                "l1" => p.l1_kind.map(|k| k.name().to_string()),
                _ => None,
            },
        }));
    }
    compare_csv(&rows)
}

/// The last point of each method and seed.
fn finals(points: &[Point]) -> Vec<Point> {
    let mut last: Vec<Point> = Vec::new();
    for p in points {
        match last
            .iter_mut()
            .find(|q| q.method == p.method && q.seed == p.seed)
        {
            Some(q) => *q = p.clone(),
            None => last.push(p.clone()),
        }
    }
    last
}

/// The mean and the sample standard deviation (n − 1 in the denominator; `None` for one
/// value, which has none).
fn mean_std(values: &[f64]) -> Option<(f64, Option<f64>)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.len() > 1).then(|| {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        var.sqrt()
    });
    Some((mean, std))
}

/// What the summary says besides the figures.
struct Report<'a> {
    env: &'a str,
    budget: usize,
    exact: bool,
    has_modes: bool,
    notes: &'a [gfnc::compare::Note],
    interrupted: Option<(&'static str, u64)>,
}

/// The table of `summary.md`: per method, mean ± sample standard deviation over seeds of the
/// final figures, then how they were measured, the log-Z warnings and an interruption.
fn summary(report: &Report, finals: &[Point]) -> String {
    let mut by_method: BTreeMap<usize, (&str, Vec<&Point>)> = BTreeMap::new();
    for p in finals {
        let order = Method::from_name(p.method)
            .and_then(|m| Method::ALL.iter().position(|x| *x == m))
            .unwrap_or(usize::MAX);
        by_method
            .entry(order)
            .or_insert((p.method, Vec::new()))
            .1
            .push(p);
    }
    let cell = |values: Vec<f64>, digits: usize| match mean_std(&values) {
        Some((m, Some(s))) => format!("{m:.digits$} ± {s:.digits$}"),
        Some((m, None)) => format!("{m:.digits$}"),
        None => "-".to_string(),
    };
    let mut columns = vec!["method", "seeds"];
    if report.has_modes {
        columns.push("modes found");
    }
    columns.extend(["distinct", "top-k reward"]);
    if report.exact {
        columns.push("L1 to R/Z");
    }
    if report.has_modes {
        columns.push("states to all modes");
    }
    columns.push("states/s");
    let mut out = format!(
        "# gfnc compare: {}, {} states visited per run\n\n| {} |\n|{}\n",
        report.env,
        report.budget,
        columns.join(" | "),
        "---|".repeat(columns.len())
    );
    for (name, runs) in by_method.values() {
        let f = |get: &dyn Fn(&Point) -> Option<f64>| -> Vec<f64> {
            runs.iter().filter_map(|p| get(p)).collect()
        };
        let mut cells = vec![name.to_string(), runs.len().to_string()];
        if report.has_modes {
            let modes_total = runs.first().and_then(|p| p.modes_total);
            cells.push(format!(
                "{}{}",
                cell(f(&|p| Some(p.modes_found as f64)), 1),
                modes_total.map_or(String::new(), |t| format!(" / {t}"))
            ));
        }
        cells.push(cell(f(&|p| Some(p.distinct as f64)), 1));
        cells.push(cell(f(&|p| p.top_k_reward), 4));
        if report.exact {
            let kind = match runs.first().and_then(|p| p.l1_kind) {
                Some(L1Kind::Empirical) => " (empirical)",
                _ => "",
            };
            cells.push(format!("{}{kind}", cell(f(&|p| p.l1), 4)));
        }
        if report.has_modes {
            let all = f(&|p| p.states_to_all_modes.map(|v| v as f64));
            cells.push(match all.len() {
                n if n == runs.len() => cell(all, 0),
                0 => "never".to_string(),
                n => format!("{n} of {} seeds found all", runs.len()),
            });
        }
        cells.push(cell(
            f(&|p| Some(p.states_visited as f64 / p.seconds.max(1e-9))),
            0,
        ));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push_str(
        "\nmean ± sample standard deviation (n − 1) over seeds; one seed: the value alone. ",
    );
    if report.exact {
        out.push_str("L1 is exact (Σ|P_T − R/Z| of the method's sampler over the enumerated graph) except where marked empirical: for mcmc it is of the histogram of the chains' objects over the second half of the states visited, and includes sampling noise. ");
    }
    if !report.has_modes {
        out.push_str("The program has no `mode` objects, so no modes are counted. ");
    }
    out.push_str("reinforce is REINFORCE with a baseline (reward maximisation); maxent is TB with log P_B = 0; mcts is UCT over action sequences, its sampler the descent in proportion to visit counts.\n");
    if !report.notes.is_empty() {
        out.push_str("\n## Warnings\n\n");
        for note in report.notes {
            out.push_str(&format!(
                "- {} seed {}: {}\n",
                note.method, note.seed, note.text
            ));
        }
    }
    if let Some((method, seed)) = report.interrupted {
        out.push_str(&format!(
            "\n**Interrupted** during {method} seed {seed}: that run and the ones after it are missing.\n"
        ));
    }
    out
}

/// Curves of modes found, L1 (when exact) and top-k reward against states visited, mean over
/// seeds per method, side by side in `compare.svg` / `compare.png`.
fn plots(out: &Path, points: &[Point], title: &str, has_modes: bool) -> String {
    let mut methods: Vec<&str> = Vec::new();
    for p in points {
        if !methods.contains(&p.method) {
            methods.push(p.method);
        }
    }
    let mean_curve = |method: &str, value: &dyn Fn(&Point) -> Option<f64>| -> gfnc::plot::Series {
        let mut by_x: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for p in points.iter().filter(|p| p.method == method) {
            if let Some(v) = value(p) {
                by_x.entry(p.states_visited).or_default().push(v);
            }
        }
        gfnc::plot::Series {
            label: method.to_string(),
            points: by_x
                .into_iter()
                .map(|(x, v)| (x as f64, v.iter().sum::<f64>() / v.len() as f64))
                .collect(),
        }
    };
    let panel =
        |title: &str, value: &dyn Fn(&Point) -> Option<f64>, log_y: bool| gfnc::plot::Panel {
            title: title.to_string(),
            y_label: title.to_string(),
            series: methods.iter().map(|m| mean_curve(m, value)).collect(),
            references: Vec::new(),
            log_y,
        };
    let mut panels = Vec::new();
    if has_modes {
        panels.push(panel("modes found", &|p| Some(p.modes_found as f64), false));
    }
    if points.iter().any(|p| p.l1.is_some()) {
        panels.push(panel("L1 to R/Z", &|p| p.l1, true));
    }
    panels.push(panel("top-k mean reward", &|p| p.top_k_reward, false));
    match gfnc::plot::panels(&out.join("compare"), title, "states visited", &panels) {
        Ok(()) => ", compare.svg, compare.png".to_string(),
        Err(e) => {
            warn!("warning: the pictures were not written: {e}");
            String::new()
        }
    }
}
