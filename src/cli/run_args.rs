//! The options of `gfnc run`, and how they become a run's configuration.

use super::{parse_override, run, ExploreArgs, Failure};
use clap::ValueEnum;
use gfnc::Override;
use std::path::PathBuf;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ObjectiveChoice {
    Tb,
    Db,
    Subtb,
    Fm,
    /// TB with log P_B = 0: MaxEnt RL, P_T(x) ∝ R(x) · paths(x) (a baseline, not a GFlowNet).
    Maxent,
    /// REINFORCE on E[R(x)]: reward maximisation (a baseline, not a GFlowNet).
    Reinforce,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum BackwardChoice {
    /// Uniform over the derived parents.
    Uniform,
    /// A learned head on the shared trunk.
    Learned,
    /// A learned P_B with an MLP of its own (as torchgfn's examples).
    Separate,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum LrChoice {
    Constant,
    Cosine,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum KeepChoice {
    Recent,
    Best,
    Diverse,
}

/// `START` or `START:END`.
fn start_end(text: &str) -> Result<(f64, Option<f64>), String> {
    let number = |t: &str| {
        t.trim()
            .parse::<f64>()
            .map_err(|_| format!("`{t}` is not a number (give START or START:END, e.g. 1:0)"))
    };
    match text.split_once(':') {
        Some((start, end)) => Ok((number(start)?, Some(number(end)?))),
        None => Ok((number(text)?, None)),
    }
}

fn log_z_init(text: &str) -> Result<gfnc::train::LogZInit, String> {
    match text {
        "auto" => Ok(gfnc::train::LogZInit::Auto),
        _ => text
            .parse::<f64>()
            .map(gfnc::train::LogZInit::Value)
            .map_err(|_| format!("`{text}` is neither `auto` nor a number")),
    }
}

/// `--policy` of `gfnc run` and `gfnc compare`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum PolicyArg {
    /// An MLP over the one-hot encoding of the state (--hidden, --layers).
    Mlp,
    /// A transformer over the elements of sequence and array fields, action heads tied to
    /// the element they write (--d-model, --heads, --layers).
    Transformer,
    /// Chosen from the state's type (today: mlp).
    Auto,
}

impl PolicyArg {
    /// The library's name for it.
    pub(super) fn choice(self) -> gfnc::train::policy::PolicyChoice {
        use gfnc::train::policy::PolicyChoice;
        match self {
            PolicyArg::Mlp => PolicyChoice::Mlp,
            PolicyArg::Transformer => PolicyChoice::Transformer,
            PolicyArg::Auto => PolicyChoice::Auto,
        }
    }
}

/// The training options `gfnc run` and `gfnc compare` share: one definition of each flag.
/// They are options without a default here, so that `run --resume` can tell a flag given from
/// a default and refuse it rather than ignore it; the defaults are
/// [`gfnc::train::Config::default`]'s, filled in by [`TrainingArgs::config`].
#[derive(clap::Args, Debug, Clone, Default)]
pub(super) struct TrainingArgs {
    /// Trajectories per iteration [default: 16; at most 65536].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    batch: Option<u64>,
    /// Units per hidden layer [default: 256; at most 16384].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=16_384))]
    hidden: Option<u64>,
    /// Hidden layers of the MLP, or encoder layers of the transformer [default: 2; at most
    /// 64].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=64))]
    layers: Option<u64>,
    /// The network: an MLP over the one-hot state, a transformer over the state's elements,
    /// or chosen from the state's type [default: auto].
    #[arg(long, value_enum)]
    policy: Option<PolicyArg>,
    /// The transformer's token width [default: 64; at most 4096].
    #[arg(long = "d-model", value_parser = clap::value_parser!(u64).range(1..=4096))]
    d_model: Option<u64>,
    /// The transformer's attention heads per layer, dividing --d-model [default: 4; at most
    /// 256].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    heads: Option<u64>,
    /// Adam's learning rate [default: 0.001].
    #[arg(long)]
    lr: Option<f64>,
    /// Adam's learning rate for log Z [default: 0.1].
    #[arg(long = "lr-logz")]
    lr_log_z: Option<f64>,
    /// The backward policy: uniform over the derived parents, a learned head on the shared
    /// trunk, or a learned MLP of its own [default: uniform].
    #[arg(long, value_enum)]
    pb: Option<BackwardChoice>,
    /// SubTB's λ, above 0 [default: 0.9].
    #[arg(long)]
    lambda: Option<f64>,
    /// ε-uniform exploration while sampling, 0 to 1; START:END anneals it linearly over
    /// --anneal steps (e.g. 1:0) [default: 0].
    #[arg(long, value_name = "START[:END]", value_parser = start_end)]
    explore: Option<(f64, Option<f64>)>,
    /// Sampling temperature; START:END anneals it linearly over --anneal steps [default: 1].
    #[arg(long, value_name = "START[:END]", value_parser = start_end)]
    temperature: Option<(f64, Option<f64>)>,
    /// The exponent β of the reward trained on (R^β); START:END anneals it linearly over
    /// --anneal steps (e.g. 0.25:1 learns every region of a flattened reward before
    /// sharpening it) [default: 1].
    #[arg(long = "reward-exponent", value_name = "START[:END]", value_parser = start_end)]
    reward_exponent: Option<(f64, Option<f64>)>,
    /// Steps over which --explore, --temperature and --reward-exponent move from START to END
    /// [default: the whole run].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    anneal: Option<u64>,
    /// The learning rates after the warm-up: constant, or a cosine down to a tenth at the
    /// last step [default: constant].
    #[arg(long = "lr-schedule", value_enum)]
    lr_schedule: Option<LrChoice>,
    /// Steps of linear learning-rate warm-up [default: 0].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=1_000_000_000))]
    warmup: Option<u64>,
    /// Where the learned log Z starts: `auto` (an importance-sampled estimate from uniform
    /// random trajectories), or a number [default: auto].
    #[arg(long = "log-z-init", value_name = "auto|VALUE", value_parser = log_z_init)]
    log_z_init: Option<gfnc::train::LogZInit>,
    /// Replay buffer of terminal objects, re-used by backward sampling (0: off) [default: 1000
    /// on spaces of more than 100,000 terminal objects or too many to count, else 0; at most
    /// 10^7].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub(super) replay: Option<u64>,
    /// Local search (LS-GFN): each sampled object's last K moves are undone by P_B and rebuilt
    /// by P_F, the new object kept unless its reward is lower; both are trained on (0: off)
    /// [default: 0].
    #[arg(long = "local-search", value_name = "K", value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    local_search: Option<u64>,
    /// What the replay buffer keeps: the most recent objects, the distinct objects of highest
    /// reward found so far, or good objects of every region found (a new object replaces the
    /// nearest stored one when better) [default: recent].
    #[arg(long = "replay-keep", value_enum)]
    replay_keep: Option<KeepChoice>,
    /// The k of the top-k mean reward among distinct sampled objects [default: 100].
    #[arg(long = "top-k", value_parser = clap::value_parser!(u64).range(1..=65_536))]
    top_k: Option<u64>,
}

impl TrainingArgs {
    /// The recipe flags given (those a resumed run may change, see
    /// `Config::without_recipe`), as `--flag value`.
    fn recipe_flags(&self) -> Vec<String> {
        let mut recipe = Vec::new();
        let mut steer = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                recipe.push(format!("{name} {value}"));
            }
        };
        let pair = |p: Option<(f64, Option<f64>)>| {
            p.map(|(a, b)| b.map_or(format!("{a}"), |b| format!("{a}:{b}")))
        };
        steer("--explore", pair(self.explore));
        steer("--temperature", pair(self.temperature));
        steer("--reward-exponent", pair(self.reward_exponent));
        steer("--anneal", self.anneal.map(|v| v.to_string()));
        steer("--replay", self.replay.map(|v| v.to_string()));
        steer(
            "--replay-keep",
            self.replay_keep.map(|k| format!("{k:?}").to_lowercase()),
        );
        steer("--local-search", self.local_search.map(|v| v.to_string()));
        steer(
            "--lr-schedule",
            self.lr_schedule.map(|k| format!("{k:?}").to_lowercase()),
        );
        steer("--warmup", self.warmup.map(|v| v.to_string()));
        recipe
    }

    /// The flags given that fix the network and the loss (refused by `run --resume`).
    fn config_flags(&self) -> Vec<&'static str> {
        [
            ("--batch", self.batch.is_some()),
            ("--hidden", self.hidden.is_some()),
            ("--layers", self.layers.is_some()),
            ("--policy", self.policy.is_some()),
            ("--d-model", self.d_model.is_some()),
            ("--heads", self.heads.is_some()),
            ("--lr", self.lr.is_some()),
            ("--lr-logz", self.lr_log_z.is_some()),
            ("--pb", self.pb.is_some()),
            ("--lambda", self.lambda.is_some()),
            ("--log-z-init", self.log_z_init.is_some()),
            ("--top-k", self.top_k.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }

    /// `base` with every option given here set, the others left as they are.
    pub(super) fn config(&self, base: gfnc::train::Config) -> gfnc::train::Config {
        let count = |v: Option<u64>, default: usize| v.map_or(default, |v| v as usize);
        let (learned_backward, separate_backward) = match self.pb {
            Some(pb) => (
                pb != BackwardChoice::Uniform,
                pb == BackwardChoice::Separate,
            ),
            None => (base.learned_backward, base.separate_backward),
        };
        gfnc::train::Config {
            batch: count(self.batch, base.batch),
            hidden: count(self.hidden, base.hidden),
            layers: count(self.layers, base.layers),
            lr: self.lr.unwrap_or(base.lr),
            lr_log_z: self.lr_log_z.unwrap_or(base.lr_log_z),
            learned_backward,
            separate_backward,
            lambda: self.lambda.unwrap_or(base.lambda),
            explore: self.explore.map_or(base.explore, |e| e.0),
            explore_end: self.explore.map_or(base.explore_end, |e| e.1),
            temperature: self.temperature.map_or(base.temperature, |t| t.0),
            temperature_end: self.temperature.map_or(base.temperature_end, |t| t.1),
            anneal: self.anneal.map(|a| a as usize).or(base.anneal),
            reward_exponent: self.reward_exponent.map_or(base.reward_exponent, |b| b.0),
            reward_exponent_end: self
                .reward_exponent
                .map_or(base.reward_exponent_end, |b| b.1),
            lr_schedule: match self.lr_schedule {
                Some(LrChoice::Constant) => gfnc::train::schedule::LrSchedule::Constant,
                Some(LrChoice::Cosine) => gfnc::train::schedule::LrSchedule::Cosine,
                None => base.lr_schedule,
            },
            warmup: count(self.warmup, base.warmup),
            log_z_init: self.log_z_init.or(base.log_z_init),
            replay_keep: match self.replay_keep {
                Some(KeepChoice::Recent) => gfnc::train::ReplayKeep::Recent,
                Some(KeepChoice::Best) => gfnc::train::ReplayKeep::Best,
                Some(KeepChoice::Diverse) => gfnc::train::ReplayKeep::Diverse,
                None => base.replay_keep,
            },
            local_search: count(self.local_search, base.local_search),
            replay: count(self.replay, base.replay),
            top_k: count(self.top_k, base.top_k),
            policy: self.policy.map_or(base.policy, PolicyArg::choice),
            d_model: count(self.d_model, base.d_model),
            heads: count(self.heads, base.heads),
            ..base
        }
    }
}

/// `gfnc run`'s flags: the shared [`TrainingArgs`] and those of a run alone. Like the shared
/// ones, those that configure the run have no default here (see [`TrainingArgs`]).
#[derive(clap::Args, Debug)]
pub(super) struct RunArgs {
    /// The .gfn file (not with --resume).
    file: Option<PathBuf>,
    /// Override a param: --set NAME=VALUE (repeatable).
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_override)]
    pub(super) overrides: Vec<Override>,
    /// The objective [default: tb].
    #[arg(long, value_enum)]
    objective: Option<ObjectiveChoice>,
    /// Training iterations [default: 1000; at most 10^9].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    steps: Option<u64>,
    /// Train for this many trajectories instead of --steps [at most 10^12].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    trajectories: Option<u64>,
    #[command(flatten)]
    training: TrainingArgs,
    /// The run's seed [default: 0].
    #[arg(long)]
    seed: Option<u64>,
    /// Iterations between evaluations and checkpoints [default: 100].
    #[arg(long = "eval-every", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    eval_every: Option<u64>,
    /// Objects of the default test set for the correlation of log R and log P_T (terminal
    /// objects of uniform random trajectories; 0: no correlation) [default: 64].
    #[arg(long = "test-size", value_parser = clap::value_parser!(u64).range(0..=65_536))]
    test_size: Option<u64>,
    /// Backward trajectories per test object in the estimate of log P_T [default: 4].
    #[arg(long = "test-samples", value_parser = clap::value_parser!(u64).range(1..=1024))]
    test_samples: Option<u64>,
    /// Seconds the test-set correlations of one evaluation may take; past them they are
    /// skipped for the rest of the run [default: 60].
    #[arg(long = "correlation-seconds", value_name = "SECONDS")]
    correlation_seconds: Option<f64>,
    /// A file of test objects, one state per line as gfnc prints them (`x=[3, 5]`), for the
    /// correlation metrics instead of the default test set.
    #[arg(long = "test-set", value_name = "FILE")]
    test_set: Option<PathBuf>,
    /// The run directory (default runs/ENV-N); must be empty or missing.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write into a non-empty --out, replacing a previous run's files there.
    #[arg(long)]
    force: bool,
    /// Continue the run saved in this directory (with --steps or --trajectories to extend it).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Print one JSON object at the end instead of the summary.
    #[arg(long)]
    json: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Objects drawn into samples.csv at the end [default: 1000; at most 10^7; a resumed run
    /// keeps its own].
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    samples: Option<u64>,
    #[command(flatten)]
    exploration: ExploreArgs,
}

impl RunArgs {
    pub(super) fn options(self) -> Result<run::RunOptions, Failure> {
        let defaults = gfnc::train::Config::default();
        // The recipe: flags a resumed run may change, recorded as given.
        let recipe = self.training.recipe_flags();
        let mut given = vec![];
        let mut note = |name: &'static str, set: bool| {
            if set {
                given.push(name);
            }
        };
        note("--objective", self.objective.is_some());
        for name in self.training.config_flags() {
            note(name, true);
        }
        note("--seed", self.seed.is_some());
        note("--eval-every", self.eval_every.is_some());
        note("--test-size", self.test_size.is_some());
        note("--test-samples", self.test_samples.is_some());
        note("--test-set", self.test_set.is_some());
        note("--correlation-seconds", self.correlation_seconds.is_some());
        let count = |v: Option<u64>, default: usize| v.map_or(default, |v| v as usize);
        let config = gfnc::train::Config {
            objective: match self.objective.unwrap_or(ObjectiveChoice::Tb) {
                ObjectiveChoice::Tb => gfnc::train::Objective::Tb,
                ObjectiveChoice::Db => gfnc::train::Objective::Db,
                ObjectiveChoice::Subtb => gfnc::train::Objective::Subtb,
                ObjectiveChoice::Fm => gfnc::train::Objective::Fm,
                ObjectiveChoice::Maxent => gfnc::train::Objective::Maxent,
                ObjectiveChoice::Reinforce => gfnc::train::Objective::Reinforce,
            },
            seed: self.seed.unwrap_or(defaults.seed),
            eval_every: count(self.eval_every, defaults.eval_every),
            test_size: count(self.test_size, defaults.test_size),
            test_samples: count(self.test_samples, defaults.test_samples),
            correlation_seconds: self
                .correlation_seconds
                .unwrap_or(defaults.correlation_seconds),
            ..self.training.config(defaults.clone())
        };
        Ok(run::RunOptions {
            file: self.file,
            overrides: self.overrides,
            config,
            config_flags: given,
            recipe_flags: recipe,
            replay_auto: self.training.replay.is_none(),
            steps: self.steps.map(|s| s as usize),
            trajectories: self.trajectories.map(|t| t as usize),
            out: self.out,
            force: self.force,
            resume: self.resume,
            json: self.json,
            quiet: self.quiet,
            samples: self.samples.map(|n| n as usize),
            test_set: self.test_set,
            max_states: self.exploration.max_states,
            max_memory_mb: self.exploration.max_memory,
            checks: self.exploration.checks(),
        })
    }
}
