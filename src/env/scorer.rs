//! External scorers: `extern("COMMAND")` in the reward. Each command is started once, by the
//! shell, in the folder of the `.gfn` file, and answers one line per batch (see
//! `docs/scorers.md`): the request is a JSON array of states as objects (`{"x": [3, 5]}`), the
//! answer a JSON array of as many numbers. Answers are memoised per state.

use super::{EnvError, Environment};
use crate::diagnostic::codes;
use crate::hir;
use crate::hir::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::Duration;

/// How long a scorer may take to answer one batch unless `--scorer-timeout` says otherwise.
pub const DEFAULT_SCORER_TIMEOUT: Duration = Duration::from_secs(60);

/// States per request when many are scored at once (enumeration, exact metrics).
pub const SCORER_CHUNK: usize = 4096;

/// The most copies of one scorer (`--scorer-workers`).
pub const MAX_SCORER_WORKERS: usize = 256;

/// Memoised answers kept per scorer before the memo starts afresh.
const MAX_MEMO: usize = 1 << 22;

/// The longest request line gfnc writes: batches of wide states are split so that a request
/// stays within it rather than growing with the batch (4,096 states of `[bool; 16384]` would be
/// 400 MB in one line).
const MAX_REQUEST_BYTES: usize = 16 << 20;

/// The longest answer line gfnc reads: one number per state needs far less, and a scorer that
/// prints without a newline is stopped here instead of filling memory.
const MAX_ANSWER_BYTES: u64 = 16 << 20;

/// A running scorer process: requests go to a writer thread and answers come from a reader
/// thread, so that a scorer that neither reads nor answers cannot block gfnc past the timeout.
struct Process {
    child: Child,
    /// Kills the scorer's process group when gfnc ends in any way, `kill -9` included: it waits
    /// for the end of a pipe only gfnc holds (see [`watchdog`]).
    watchdog: Option<Child>,
    requests: Sender<String>,
    answers: Receiver<std::io::Result<String>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        // The watchdog first, so that it never signals a group whose number was reused.
        if let Some(watchdog) = &mut self.watchdog {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        // The shell's children (the scorer itself) are in its process group: kill them all,
        // or a hung scorer would outlive gfnc holding its standard error open.
        #[cfg(unix)]
        if let Ok(group) = i32::try_from(self.child.id()) {
            // SAFETY: kill() sends a signal; the group is the one this process created.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `extern("COMMAND")` of the program: its processes (one per worker, each started on
/// first use) and its memo, which the workers share.
pub(crate) struct Scorer {
    spec: hir::Scorer,
    processes: Vec<Mutex<Option<Process>>>,
    /// Once a scorer has failed, every later request fails the same way at once instead of
    /// starting the program again.
    failed: Mutex<Option<EnvError>>,
    memo: Mutex<HashMap<Box<[i32]>, f64>>,
}

/// The scorers of a program.
pub(crate) struct Scorers {
    list: Vec<Scorer>,
    dir: std::path::PathBuf,
    timeout: Duration,
}

impl Scorers {
    pub(crate) fn new(model: &crate::hir::Interface) -> Scorers {
        Scorers {
            list: model
                .scorers
                .iter()
                .map(|spec| Scorer {
                    spec: spec.clone(),
                    processes: vec![Mutex::new(None)],
                    failed: Mutex::new(None),
                    memo: Mutex::new(HashMap::new()),
                })
                .collect(),
            dir: model.dir.clone(),
            timeout: DEFAULT_SCORER_TIMEOUT,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn shorten(text: &str) -> String {
    const LIMIT: usize = 200;
    if text.len() <= LIMIT {
        return text.to_string();
    }
    let mut end = LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes in all)", &text[..end], text.len())
}

impl Environment {
    /// Whether the reward calls external scorers.
    pub fn has_scorers(&self) -> bool {
        !self.scorers.is_empty()
    }

    /// How long a scorer may take to answer one batch before it is stopped and the run fails.
    pub fn set_scorer_timeout(&mut self, timeout: Duration) {
        self.scorers.timeout = timeout;
    }

    /// How many copies of each scorer share a batch (at least 1, at most
    /// [`MAX_SCORER_WORKERS`]); each copy starts on first use.
    pub fn set_scorer_workers(&mut self, workers: usize) {
        let workers = workers.clamp(1, MAX_SCORER_WORKERS);
        for scorer in &mut self.scorers.list {
            scorer.processes.resize_with(workers, || Mutex::new(None));
        }
    }

    /// A state as the JSON object a scorer receives: `{"x": [3, 5], "done": false}`.
    pub fn state_json(&self, state: &[i32]) -> serde_json::Value {
        fn json(value: &Value) -> serde_json::Value {
            match value {
                Value::Bool(b) => serde_json::Value::Bool(*b),
                Value::Int(i) => serde_json::Value::from(*i),
                Value::Float(n) => serde_json::Value::from(n.to_f64()),
                Value::Array(items) | Value::Seq(items) => items.iter().map(json).collect(),
                Value::Set(members) => members
                    .iter()
                    .map(|&m| serde_json::Value::from(m))
                    .collect(),
            }
        }
        let layout = &self.program.layout;
        let mut object = serde_json::Map::new();
        for (field, (base, shape)) in self.program.interface.fields.iter().zip(&layout.fields) {
            let value = layout.read_value(*shape, state, *base as usize);
            object.insert(field.name.clone(), json(&value));
        }
        serde_json::Value::Object(object)
    }

    /// Make sure every scorer has answered for each of `states` (back to back), asking for the
    /// ones not yet memoised in batches of at most [`SCORER_CHUNK`].
    pub fn score(&self, states: &[i32]) -> Result<(), EnvError> {
        let w = self.width().max(1);
        for scorer in &self.scorers.list {
            let mut missing: Vec<&[i32]> = Vec::new();
            {
                let memo = lock(&scorer.memo);
                let mut seen = std::collections::HashSet::new();
                for state in states.chunks_exact(w) {
                    if !memo.contains_key(state) && seen.insert(state) {
                        missing.push(state);
                    }
                }
            }
            let Some(first) = missing.first() else {
                continue;
            };
            let per_request = self.states_per_request(first);
            // The batch is split evenly among the workers, each asking its own copy of the
            // scorer in requests of at most `per_request` states, all at once.
            let workers = scorer.processes.len().min(missing.len());
            if workers <= 1 {
                self.score_part(scorer, 0, &missing, per_request)?;
                continue;
            }
            let part = missing.len().div_ceil(workers);
            let results: Vec<Result<(), EnvError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = missing
                    .chunks(part)
                    .enumerate()
                    .map(|(worker, states)| {
                        scope.spawn(move || self.score_part(scorer, worker, states, per_request))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|handle| {
                        handle.join().unwrap_or_else(|_| {
                            Err(self.scorer_error(scorer, "worker thread panicked".into(), ""))
                        })
                    })
                    .collect()
            });
            results.into_iter().collect::<Result<(), EnvError>>()?;
        }
        Ok(())
    }

    /// Score `states` through worker `worker`'s copy of `scorer`, memoising the answers.
    fn score_part(
        &self,
        scorer: &Scorer,
        worker: usize,
        states: &[&[i32]],
        per_request: usize,
    ) -> Result<(), EnvError> {
        for chunk in states.chunks(per_request) {
            let answers = self.ask(scorer, worker, chunk)?;
            let mut memo = lock(&scorer.memo);
            if memo.len() + chunk.len() > MAX_MEMO {
                memo.clear();
            }
            for (state, answer) in chunk.iter().zip(answers) {
                memo.insert((*state).into(), answer);
            }
        }
        Ok(())
    }

    /// The scorers' answers for one state into `out`, asking for any not memoised.
    pub(super) fn scorer_answers(&self, state: &[i32], out: &mut Vec<f64>) -> Result<(), EnvError> {
        out.clear();
        for scorer in &self.scorers.list {
            let known = lock(&scorer.memo).get(state).copied();
            let answer = match known {
                Some(answer) => answer,
                None => {
                    let answer = self.ask(scorer, 0, &[state])?.first().copied();
                    let answer = answer
                        .ok_or_else(|| self.scorer_error(scorer, "gave no answer".into(), ""))?;
                    lock(&scorer.memo).insert(state.into(), answer);
                    answer
                }
            };
            out.push(answer);
        }
        Ok(())
    }

    fn scorer_error(&self, scorer: &Scorer, message: String, help: &str) -> EnvError {
        EnvError::new(
            codes::env::SCORER,
            format!("the scorer `{}` {message}", scorer.spec.command),
        )
        .at(scorer.spec.span, "the scorer is called here")
        .help(help.to_string())
    }

    /// Send one request and read one answer, starting the process if needed.
    fn ask(&self, scorer: &Scorer, worker: usize, states: &[&[i32]]) -> Result<Vec<f64>, EnvError> {
        if let Some(error) = lock(&scorer.failed).clone() {
            return Err(error);
        }
        let answer = self.ask_once(scorer, worker, states);
        if let Err(error) = &answer {
            *lock(&scorer.failed) = Some(error.clone());
        }
        answer
    }

    /// The request line for `states`, one state's JSON tree at a time.
    fn request(&self, states: &[&[i32]]) -> String {
        let mut line = Vec::new();
        line.push(b'[');
        for (k, state) in states.iter().enumerate() {
            if k > 0 {
                line.push(b',');
            }
            // Writing JSON into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut line, &self.state_json(state));
        }
        line.push(b']');
        String::from_utf8_lossy(&line).into_owned()
    }

    /// States per request: [`SCORER_CHUNK`], fewer for wide states (see [`MAX_REQUEST_BYTES`]).
    fn states_per_request(&self, sample: &[i32]) -> usize {
        let bytes = serde_json::to_vec(&self.state_json(sample)).map_or(1, |b| b.len() + 1);
        (MAX_REQUEST_BYTES / bytes.max(1)).clamp(1, SCORER_CHUNK)
    }

    fn ask_once(
        &self,
        scorer: &Scorer,
        worker: usize,
        states: &[&[i32]],
    ) -> Result<Vec<f64>, EnvError> {
        let line = self.request(states);
        let Some(process) = scorer.processes.get(worker) else {
            return Err(self.scorer_error(scorer, format!("has no worker {worker}"), ""));
        };
        let mut guard = lock(process);
        if guard.is_none() {
            *guard = Some(self.start(scorer)?);
        }
        let Some(process) = guard.as_mut() else {
            return Err(self.scorer_error(scorer, "could not be started".into(), ""));
        };
        let first = self.render(states[0]);
        // A line waiting before the request is sent answers nothing gfnc asked: a scorer that
        // prints more than one line per request would otherwise shift every later answer
        // onto the wrong states.
        if let Ok(Ok(extra)) = process.answers.try_recv() {
            *guard = None;
            return Err(self.scorer_error(
                scorer,
                format!(
                    "printed a line nobody asked for (`{}`): one request, one line",
                    shorten(extra.trim())
                ),
                "print exactly one line per request on standard output; send debugging output to standard error",
            ));
        }
        let sent = process.requests.send(line);
        let answer = match (sent, process.answers.recv_timeout(self.scorers.timeout)) {
            (Ok(()), Ok(Ok(answer))) => answer,
            (_, Err(RecvTimeoutError::Timeout)) => {
                *guard = None;
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "did not answer a batch of {} states (the first {first}) within {} s",
                        states.len(),
                        self.scorers.timeout.as_secs_f64()
                    ),
                    "make the scorer faster, or allow it more time with --scorer-timeout SECONDS",
                ));
            }
            (_, Ok(Err(e))) => {
                *guard = None;
                return Err(self.scorer_error(
                    scorer,
                    format!("could not be read: {e}"),
                    "the scorer must print one line of JSON per request",
                ));
            }
            _ => {
                let status = process
                    .child
                    .wait()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string());
                *guard = None;
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "exited ({status}) before answering a batch of {} states (the first {first})",
                        states.len()
                    ),
                    "its own error messages are above; it must read requests line by line until its input ends",
                ));
            }
        };
        self.check_answer(scorer, states, &answer)
            .inspect_err(|_| *guard = None)
    }

    fn check_answer(
        &self,
        scorer: &Scorer,
        states: &[&[i32]],
        answer: &str,
    ) -> Result<Vec<f64>, EnvError> {
        let protocol = "answer each request line with one line: a JSON array of numbers, one per state, in order (debugging output goes to standard error)";
        let parsed = serde_json::from_str(answer.trim());
        let values: Vec<serde_json::Value> = match parsed {
            Ok(serde_json::Value::Array(values)) => values,
            Err(e) if e.to_string().contains("number out of range") => {
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "answered `{}`, with a number beyond the range of a 64-bit float",
                        shorten(answer.trim())
                    ),
                    "return finite numbers; for rewards too large for a float, return their log and write `log_reward extern(...)`",
                ))
            }
            _ if ["NaN", "Infinity"].iter().any(|w| answer.contains(w)) => {
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "answered `{}`: NaN and infinities are not finite numbers",
                        shorten(answer.trim())
                    ),
                    "return finite numbers (in Python, json.dumps(values, allow_nan=False) raises instead of writing NaN)",
                ))
            }
            _ => {
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "answered `{}`, which is not a JSON array",
                        shorten(answer.trim())
                    ),
                    protocol,
                ))
            }
        };
        if values.len() != states.len() {
            return Err(self.scorer_error(
                scorer,
                format!(
                    "answered {} numbers for {} states (`{}`)",
                    values.len(),
                    states.len(),
                    shorten(answer.trim())
                ),
                protocol,
            ));
        }
        let mut out = Vec::with_capacity(values.len());
        for (value, state) in values.iter().zip(states) {
            let number = value.as_f64().filter(|v| v.is_finite());
            let Some(number) = number else {
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "answered `{}` for state {}, not a finite number",
                        shorten(&value.to_string()),
                        self.render(state)
                    ),
                    protocol,
                ));
            };
            if scorer.spec.is_reward && number <= 0.0 {
                return Err(self.scorer_error(
                    scorer,
                    format!(
                        "answered the reward {number} for state {}; rewards must be positive",
                        self.render(state)
                    ),
                    "return a positive reward, or return its log and write `log_reward extern(...)`",
                ));
            }
            out.push(number);
        }
        Ok(out)
    }

    fn start(&self, scorer: &Scorer) -> Result<Process, EnvError> {
        let mut command = Command::new("sh");
        command.arg("-c").arg(&scorer.spec.command);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        // If gfnc dies without cleaning up (SIGKILL), the scorer is killed too rather than
        // left running (the shell execs a simple command, so this reaches the scorer itself).
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl only sets this process's parent-death signal; it allocates nothing
            // and is async-signal-safe, as pre_exec requires.
            unsafe {
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
        }
        let mut child = command
            .current_dir(&self.scorers.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| {
                self.scorer_error(
                    scorer,
                    format!("could not be started: {e}"),
                    "the command runs with `sh -c` in the folder of the .gfn file",
                )
            })?;
        let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            return Err(self.scorer_error(scorer, "has no pipes".into(), ""));
        };
        let watchdog = watchdog(child.id());
        let (requests, to_write) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in to_write {
                if stdin
                    .write_all(line.as_bytes())
                    .and_then(|_| stdin.write_all(b"\n"))
                    .and_then(|_| stdin.flush())
                    .is_err()
                {
                    break;
                }
            }
        });
        let (answered, answers) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = Vec::new();
                let read = (&mut reader)
                    .take(MAX_ANSWER_BYTES + 1)
                    .read_until(b'\n', &mut line);
                let answer = match read {
                    Ok(0) => break,
                    Ok(_) if line.len() as u64 > MAX_ANSWER_BYTES => Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!(
                            "it printed more than {MAX_ANSWER_BYTES} bytes without ending the line"
                        ),
                    )),
                    Ok(_) => String::from_utf8(line).map_err(|_| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "its answer is not UTF-8",
                        )
                    }),
                    Err(e) => Err(e),
                };
                let failed = answer.is_err();
                if answered.send(answer).is_err() || failed {
                    break;
                }
            }
        });
        Ok(Process {
            child,
            watchdog,
            requests,
            answers,
        })
    }
}

/// A process that outlives nothing: it waits for the end of its standard input, a pipe whose
/// writing end only this process holds (pipes are close-on-exec, so no scorer inherits it), and
/// then kills the scorer's process group. The kernel closes the pipe however gfnc ends — exit,
/// a signal, `kill -9` — so the scorer and anything it started end with gfnc, even where the
/// shell forked the command instead of replacing itself with it (the parent-death signal alone
/// reaches only the shell).
#[cfg(unix)]
fn watchdog(group: u32) -> Option<Child> {
    use std::os::unix::process::CommandExt;
    let script = format!("while read -r _; do :; done; kill -9 -{group} 2>/dev/null");
    Command::new("sh")
        .arg("-c")
        .arg(script)
        // Its own group: a Ctrl-C at the terminal must not end it before gfnc.
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

#[cfg(not(unix))]
fn watchdog(_group: u32) -> Option<Child> {
    None
}
