//! The comparisons of the GFlowNet papers on one compiled environment: GFlowNet objectives,
//! Metropolis–Hastings, Monte Carlo tree search, reward maximisation (REINFORCE), MaxEnt RL
//! and the uniform policy, each given the same budget of terminal objects evaluated ("states
//! visited").

pub mod mcmc;
pub mod mcts;

use crate::env::dag::Dag;
use crate::env::{Environment, Workspace};
use crate::metrics::Discovery;
use crate::train::{log_z_warnings, Config, Objective, TrainError, Trainer};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A method of `gfnc compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// A GFlowNet trained with this objective (`tb`, `db`, `subtb`, `fm`).
    GFlowNet(Objective),
    /// Metropolis–Hastings over trajectories, stationary on R/Z (see [`mcmc`]).
    Mcmc,
    /// Monte Carlo tree search (UCT over action sequences, see [`mcts`]).
    Mcts,
    /// Reward maximisation: REINFORCE with a baseline (`reinforce`).
    Reinforce,
    /// MaxEnt RL: TB with log P_B ≡ 0, P_T ∝ R · paths.
    Maxent,
    /// The uniform forward policy.
    Random,
}

impl Method {
    /// Every method, in the order results are listed.
    pub const ALL: [Method; 9] = [
        Method::GFlowNet(Objective::Tb),
        Method::GFlowNet(Objective::Db),
        Method::GFlowNet(Objective::Subtb),
        Method::GFlowNet(Objective::Fm),
        Method::Mcmc,
        Method::Mcts,
        Method::Reinforce,
        Method::Maxent,
        Method::Random,
    ];

    /// The name on the command line and in the results.
    pub fn name(self) -> &'static str {
        match self {
            Method::GFlowNet(objective) => objective.name(),
            Method::Mcmc => "mcmc",
            Method::Mcts => "mcts",
            Method::Reinforce => "reinforce",
            Method::Maxent => "maxent",
            Method::Random => "random",
        }
    }

    /// How the method's L1 is measured: the exact P_T of a sampler, or a histogram.
    pub fn l1_kind(self) -> L1Kind {
        match self {
            Method::Mcmc => L1Kind::Empirical,
            _ => L1Kind::Exact,
        }
    }

    /// The method called `name`, if any.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name.trim())
    }
}

/// How a method's L1 to R/Z is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum L1Kind {
    /// From the exact terminal distribution of the method's sampler over the DAG (the
    /// policies, the uniform policy, the tree search's descent).
    Exact,
    /// From a histogram of the objects visited (MCMC's chains over the second half of the
    /// states visited so far): sampling noise included.
    Empirical,
}

impl L1Kind {
    /// Its name in `compare.csv` and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            L1Kind::Exact => "exact",
            L1Kind::Empirical => "empirical",
        }
    }
}

/// What every method is given.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Terminal objects each method may evaluate (reward calls).
    pub budget: usize,
    /// Seeds 0..seeds per method.
    pub seeds: u64,
    /// Reporting points per run, evenly spread over the budget.
    pub points: usize,
    /// The network and optimiser of the policy methods (objective, steps and seed are set
    /// per run).
    pub config: Config,
    /// Parallel Metropolis–Hastings chains.
    pub chains: usize,
    /// Raised by the user (Ctrl-C, SIGTERM): the run under way stops and is dropped.
    pub stop: Arc<AtomicBool>,
}

impl Settings {
    /// [`TrainError::Interrupted`] once the user has asked to stop.
    fn check_stop(&self) -> Result<(), TrainError> {
        match self.stop.load(Ordering::SeqCst) {
            true => Err(TrainError::Interrupted),
            false => Ok(()),
        }
    }
}

/// The figures of one method and seed after some states visited.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The method.
    pub method: &'static str,
    /// The seed.
    pub seed: u64,
    /// Terminal objects evaluated so far.
    pub states_visited: usize,
    /// Distinct objects where `mode` holds, among those visited.
    pub modes_found: usize,
    /// Objects where `mode` holds, when the graph was enumerated.
    pub modes_total: Option<usize>,
    /// Distinct objects visited.
    pub distinct: usize,
    /// L1 between the method's distribution and R/Z when the graph was enumerated: exact P_T
    /// for policies; for MCMC the histogram of the chains' objects over the second half of
    /// the states visited so far.
    pub l1: Option<f64>,
    /// How `l1` was measured, when it was.
    pub l1_kind: Option<L1Kind>,
    /// Mean reward of the best `top_k` distinct objects visited.
    pub top_k_reward: Option<f64>,
    /// States visited when the last mode was first found, once all are found.
    pub states_to_all_modes: Option<usize>,
    /// Seconds spent so far.
    pub seconds: f64,
}

/// Tallies common to every method: what has been visited.
struct Tally {
    discovery: Discovery,
    modes: HashSet<Vec<i32>>,
    /// With `mode by KEY`: the keys reached.
    keys: HashSet<i64>,
    modes_total: Option<usize>,
    visited: usize,
    all_modes_at: Option<usize>,
}

impl Tally {
    fn new(top_k: usize, dag: Option<&Dag>) -> Tally {
        Tally {
            discovery: Discovery::new(top_k),
            modes: HashSet::new(),
            keys: HashSet::new(),
            modes_total: dag.map(Dag::mode_count),
            visited: 0,
            all_modes_at: None,
        }
    }

    fn visit(
        &mut self,
        env: &Environment,
        object: &[i32],
        log_reward: f64,
        ws: &mut Workspace,
    ) -> Result<(), TrainError> {
        self.visited += 1;
        self.discovery.record(object, log_reward);
        if let Some(key) = env.mode_key(object, ws)? {
            if !self.modes.contains(object) {
                self.modes.insert(object.to_vec());
            }
            self.keys.insert(key);
        }
        self.note_modes(self.found(env));
        Ok(())
    }

    /// Modes found: the keys of `mode by KEY` reached, else the mode objects.
    fn found(&self, env: &Environment) -> usize {
        match env.has_mode_key() {
            true => self.keys.len(),
            false => self.modes.len(),
        }
    }

    fn note_modes(&mut self, found: usize) {
        if self.all_modes_at.is_none() && self.modes_total.is_some_and(|t| t > 0 && found >= t) {
            self.all_modes_at = Some(self.visited);
        }
    }

    fn point(
        &self,
        method: Method,
        seed: u64,
        l1: Option<f64>,
        modes: usize,
        started: Instant,
    ) -> Point {
        Point {
            method: method.name(),
            seed,
            states_visited: self.visited,
            modes_found: modes,
            modes_total: self.modes_total,
            distinct: self.discovery.distinct(),
            l1,
            l1_kind: l1.map(|_| method.l1_kind()),
            top_k_reward: self.discovery.top_k_reward(),
            states_to_all_modes: self.all_modes_at,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// What a comparison measured: every point of every run, and, when the graph was enumerated,
/// each method's final distribution over the DAG's states for seed 0 (exact P_T for
/// policies, the chains' histogram for MCMC).
pub struct Results {
    /// Every point, method by method, seed by seed.
    pub points: Vec<Point>,
    /// (method, distribution over DAG state ids) for seed 0.
    pub distributions: Vec<(&'static str, Vec<f64>)>,
    /// What log Z did in the GFlowNet and MaxEnt runs, when it calls for a warning.
    pub notes: Vec<Note>,
    /// Stopped by the user during this run (method, seed), dropped; the results hold the runs
    /// finished before it.
    pub interrupted: Option<(&'static str, u64)>,
}

/// A warning about one run: its learned log Z far from the exact one, or still moving.
#[derive(Clone, Debug)]
pub struct Note {
    /// The method.
    pub method: &'static str,
    /// The seed.
    pub seed: u64,
    /// What `gfnc run` would say ([`log_z_warnings`]).
    pub text: String,
}

/// Run every method for every seed; `report` hears of each point as it is measured. When
/// `settings.stop` is raised (Ctrl-C), the run under way is dropped and the runs finished so
/// far are returned, with [`Results::interrupted`] set.
pub fn compare(
    env: &Environment,
    dag: Option<&Dag>,
    methods: &[Method],
    settings: &Settings,
    report: &mut dyn FnMut(&Point),
) -> Result<Results, TrainError> {
    let mut results = Results {
        points: Vec::new(),
        distributions: Vec::new(),
        notes: Vec::new(),
        interrupted: None,
    };
    for &method in methods {
        for seed in 0..settings.seeds {
            let mut points = Vec::new();
            let mut notes = Vec::new();
            let mut emit = |p: Point| {
                report(&p);
                points.push(p);
            };
            let run = Run { method, seed };
            let outcome = match method {
                Method::Mcmc => chains(env, dag, seed, settings, &mut emit),
                Method::Random => random(env, dag, seed, settings, &mut emit),
                Method::Mcts => search(env, dag, seed, settings, &mut emit),
                Method::GFlowNet(objective) => {
                    trained(env, dag, run, objective, settings, (&mut emit, &mut notes))
                }
                Method::Reinforce => trained(
                    env,
                    dag,
                    run,
                    Objective::Reinforce,
                    settings,
                    (&mut emit, &mut notes),
                ),
                Method::Maxent => trained(
                    env,
                    dag,
                    run,
                    Objective::Maxent,
                    settings,
                    (&mut emit, &mut notes),
                ),
            };
            let distribution = match outcome {
                Ok(distribution) => distribution,
                Err(TrainError::Interrupted) => {
                    results.interrupted = Some((method.name(), seed));
                    return Ok(results);
                }
                Err(e) => return Err(e),
            };
            results.points.extend(points);
            results.notes.extend(notes);
            if let (0, Some(d)) = (seed, distribution) {
                results.distributions.push((method.name(), d));
            }
        }
    }
    Ok(results)
}

/// A policy method's run ([`policy`]), its log-Z notes kept.
fn trained(
    env: &Environment,
    dag: Option<&Dag>,
    run: Run,
    objective: Objective,
    settings: &Settings,
    (emit, notes): (&mut dyn FnMut(Point), &mut Vec<Note>),
) -> Result<Option<Vec<f64>>, TrainError> {
    let (distribution, texts) = policy(env, dag, run, objective, settings, emit)?;
    notes.extend(texts.into_iter().map(|text| Note {
        method: run.method.name(),
        seed: run.seed,
        text,
    }));
    Ok(distribution)
}

/// One run of a comparison.
#[derive(Clone, Copy)]
struct Run {
    method: Method,
    seed: u64,
}

/// Move `next` past every reporting point `visited` has reached; whether it moved (one point
/// is reported however many were crossed at once).
fn advance(settings: &Settings, next: &mut usize, visited: usize) -> bool {
    let start = *next;
    while *next <= settings.points && visited >= checkpoint(settings, *next) {
        *next += 1;
    }
    *next > start
}

/// The states visited at which reporting point `k` (1-based) falls.
fn checkpoint(settings: &Settings, k: usize) -> usize {
    (settings.budget * k).div_ceil(settings.points.max(1))
}

fn policy(
    env: &Environment,
    dag: Option<&Dag>,
    Run { method, seed }: Run,
    objective: Objective,
    settings: &Settings,
    emit: &mut dyn FnMut(Point),
) -> Result<(Option<Vec<f64>>, Vec<String>), TrainError> {
    let config = Config {
        objective,
        seed,
        steps: settings
            .budget
            .div_ceil(settings.config.trajectories_per_step().max(1))
            .max(1),
        ..settings.config.clone()
    };
    let started = Instant::now();
    let mut trainer = Trainer::new(env, config.clone(), dag.cloned())?;
    let mut tally = Tally::new(config.top_k, dag);
    let mut next = 1;
    // The figures at each reporting point, for what log Z did (see `log_z_notes`).
    let mut history = Vec::new();
    trainer.set_stop(settings.stop.clone());
    while trainer.trajectories < settings.budget {
        settings.check_stop()?;
        trainer.train_step()?;
        tally.visited = trainer.trajectories;
        tally.note_modes(trainer.modes_found());
        // One point per step, however many reporting points the step's batch crossed.
        if advance(settings, &mut next, trainer.trajectories) {
            let metrics = trainer.peek()?;
            history.push(metrics.clone());
            let mut point = tally.point(method, seed, metrics.l1, trainer.modes_found(), started);
            point.distinct = metrics.distinct;
            point.top_k_reward = metrics.top_k_reward;
            emit(point);
        }
    }
    let notes = log_z_notes(objective, &mut history);
    let Some(dag) = dag else {
        return Ok((None, notes));
    };
    let mut ws = Workspace::new();
    let forward = crate::train::objective::forward_probabilities(
        env,
        &trainer.policy,
        dag.states.slots(),
        &mut ws,
    )?;
    Ok((
        Some(dag.terminal_distribution(&forward, env.action_count())),
        notes,
    ))
}

/// What `gfnc run` would warn about log Z at the end of this run ([`log_z_warnings`]): far
/// from the exact one, or still moving. MaxEnt's log Z converges to log Σ R(x)·paths(x), not
/// to the exact log Z, so only its movement is judged; REINFORCE has no log Z.
fn log_z_notes(objective: Objective, history: &mut [crate::train::Metrics]) -> Vec<String> {
    match objective {
        Objective::Reinforce => Vec::new(),
        Objective::Maxent => {
            for row in history.iter_mut() {
                row.log_z_true = None;
            }
            log_z_warnings(history)
        }
        _ => log_z_warnings(history),
    }
}

fn chains(
    env: &Environment,
    dag: Option<&Dag>,
    seed: u64,
    settings: &Settings,
    emit: &mut dyn FnMut(Point),
) -> Result<Option<Vec<f64>>, TrainError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6d63_6d63);
    let mut ws = Workspace::new();
    let mut tally = Tally::new(settings.config.top_k, dag);
    let w = env.width();
    // The chains' object after each visit, as DAG ids, for the empirical L1.
    let mut history: Vec<usize> = Vec::new();
    let mut walks = Vec::new();
    let mut next = 1;
    let report = |tally: &Tally, history: &[usize]| -> Point {
        let l1 = dag.and_then(|dag| {
            let half = &history[history.len() / 2..];
            crate::metrics::empirical_l1(dag, half.iter().copied())
        });
        tally.point(Method::Mcmc, seed, l1, tally.found(env), started)
    };
    let count = settings.chains.max(1);
    while tally.visited < settings.budget {
        settings.check_stop()?;
        // Chains take turns; each starts with a uniform trajectory (a visit too).
        let k = tally.visited % count;
        if walks.len() < count {
            walks.push(mcmc::start(env, &mut rng, &mut ws)?);
        } else {
            mcmc::step(env, &mut walks[k], &mut rng, &mut ws)?;
        }
        let walk = &walks[k];
        let object = walk.object(w).to_vec();
        let log_reward = walk.log_reward;
        tally.visit(env, &object, log_reward, &mut ws)?;
        if let Some(dag) = dag {
            if let Some(id) = dag.states.find(&object) {
                history.push(id);
            }
        }
        if advance(settings, &mut next, tally.visited) {
            emit(report(&tally, &history));
        }
    }
    Ok(dag.map(|dag| {
        let half = &history[history.len() / 2..];
        let mut p = vec![0.0; dag.len()];
        for &id in half {
            p[id] += 1.0 / half.len().max(1) as f64;
        }
        p
    }))
}

fn random(
    env: &Environment,
    dag: Option<&Dag>,
    seed: u64,
    settings: &Settings,
    emit: &mut dyn FnMut(Point),
) -> Result<Option<Vec<f64>>, TrainError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7261_6e64);
    let mut ws = Workspace::new();
    let mut tally = Tally::new(settings.config.top_k, dag);
    let exact = dag.map(|dag| {
        let rows = dag.uniform_policy(env.action_count());
        crate::metrics::exact(dag, &rows, env.action_count())
    });
    let l1 = exact.as_ref().map(|(d, _)| d.l1);
    let w = env.width();
    let mut next = 1;
    while tally.visited < settings.budget {
        settings.check_stop()?;
        let walk = mcmc::start(env, &mut rng, &mut ws)?;
        tally.visit(env, walk.object(w), walk.log_reward, &mut ws)?;
        if advance(settings, &mut next, tally.visited) {
            emit(tally.point(Method::Random, seed, l1, tally.found(env), started));
        }
    }
    Ok(exact.map(|(_, p)| p))
}

fn search(
    env: &Environment,
    dag: Option<&Dag>,
    seed: u64,
    settings: &Settings,
    emit: &mut dyn FnMut(Point),
) -> Result<Option<Vec<f64>>, TrainError> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6d63_7473);
    let mut ws = Workspace::new();
    let mut tally = Tally::new(settings.config.top_k, dag);
    let mut tree = mcts::Tree::new(env, &mut ws)?;
    let distribution =
        |tree: &mcts::Tree| dag.and_then(|dag| tree.terminal_distribution(dag, env.action_count()));
    let mut next = 1;
    while tally.visited < settings.budget {
        settings.check_stop()?;
        let visit = tree.iterate(env, &mut rng, &mut ws)?;
        tally.visit(env, &visit.object, visit.log_reward, &mut ws)?;
        if advance(settings, &mut next, tally.visited) {
            let l1 = dag
                .zip(distribution(&tree))
                .map(|(dag, p)| dag.distances(&p).l1);
            emit(tally.point(Method::Mcts, seed, l1, tally.found(env), started));
        }
    }
    Ok(distribution(&tree))
}
