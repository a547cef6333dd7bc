//! `gfnc lsp` spoken to as an editor would (JSON-RPC with Content-Length framing over the
//! child's stdin and stdout), `gfnc completions`, and the editor files of editors/vscode.
//!
//! Every wait has a timeout (a reader thread feeds a channel read with `recv_timeout`), so a
//! server that hangs or dies fails the test instead of hanging the suite.

use crate::{gfnc, root, text};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Long enough for a loaded machine (two cores, tests in parallel); far shorter than a hang.
const TIMEOUT: Duration = Duration::from_secs(60);

/// An `gfnc lsp` child with its message stream (also driven by `hostile_data`).
pub(crate) struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Server {
    pub(crate) fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
            .arg("lsp")
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("gfnc lsp starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("a piped stdout");
        let (sink, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            while let Some(message) = read_message(&mut stdout) {
                if sink.send(message).is_err() {
                    return;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            next_id: 0,
        }
    }

    pub(crate) fn send(&mut self, message: Value) {
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("the server reads");
        stdin.flush().expect("the server reads");
    }

    pub(crate) fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Send a request and wait for its response (notifications on the way are dropped).
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(&format!("the response to {method}"), |m| m["id"] == id)
    }

    /// [`Server::call`] that must succeed: its result.
    pub(crate) fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The diagnostics published for `uri` at `version`.
    pub(crate) fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let what = format!("diagnostics of version {version}");
        let message = self.wait_for(&what, |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        message["params"]["diagnostics"]
            .as_array()
            .cloned()
            .expect("a list of diagnostics")
    }

    pub(crate) fn wait_for(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(message) if wanted(&message) => return message,
                Ok(_) => continue,
                Err(e) => {
                    let _ = self.child.kill();
                    panic!("no {what} from gfnc lsp within {TIMEOUT:?}: {e}");
                }
            }
        }
    }

    /// Wait for the process to end by itself; its exit code.
    pub(crate) fn exit_code(&mut self) -> Option<i32> {
        // Closing stdin too, as an editor does: the server must not wait for more input.
        self.stdin = None;
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("gfnc lsp did not exit within {TIMEOUT:?} after `exit`");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failed assertion must not leave the child running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One framed message; `None` at the end of the stream or on a framing error.
fn read_message(input: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    input.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gfnc-lsp-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The code and the 1-based line of the first diagnostic `gfnc check` prints for a file.
fn check_reports(path: &Path) -> (String, u64) {
    let path = path.to_str().expect("a UTF-8 path");
    let out = gfnc(&["check", "--color", "never", path]);
    assert_eq!(out.status.code(), Some(1), "the file has errors");
    let stderr = text(&out.stderr);
    let code = stderr
        .split_whitespace()
        .next()
        .expect("a code first")
        .to_string();
    // `╭─[/tmp/.../broken.gfn:5:21]`
    let location = stderr
        .split("╭─[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("a location");
    let line = location
        .rsplit(':')
        .nth(1)
        .and_then(|line| line.parse().ok())
        .expect("a line number");
    (code, line)
}

const BROKEN: &str = "env counter
param N: int = 4
state { n: 0..8 }
let small = n < N
action inc when smal { n += 1 }
stop
reward float(n) + 1
";

const FIXED: &str = "env counter
param N: int = 4
state { n: 0..8 }
let small = n < N
action inc when small { n += 1 }
stop
reward float(n) + 1
";

/// The LSP position (0-based line and character) of the `nth` `needle` in `source`.
fn position_of(source: &str, needle: &str, nth: usize) -> Value {
    let at = source
        .match_indices(needle)
        .nth(nth)
        .map(|(at, _)| at)
        .expect("the needle is in the source");
    let line = source[..at].matches('\n').count();
    let column = at - source[..at].rfind('\n').map_or(0, |k| k + 1);
    json!({"line": line, "character": column})
}

#[test]
fn a_session_diagnoses_hovers_jumps_and_exits_cleanly() {
    let dir = scratch("session");
    let path = dir.join("broken.gfn");
    std::fs::write(&path, BROKEN).expect("the file is written");
    let (code, line) = check_reports(&path);
    let uri = file_uri(&path);

    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["textDocumentSync"], 1, "full sync: {init}");
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    server.notify("initialized", json!({}));

    // A broken file: the diagnostic `gfnc check` prints, at the same line.
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "gfn", "version": 1, "text": BROKEN}}),
    );
    let diagnostics = server.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let first = &diagnostics[0];
    assert_eq!(first["code"], code.as_str(), "{first}");
    assert_eq!(first["range"]["start"]["line"], line - 1, "{first}");
    assert_eq!(first["range"]["start"], position_of(BROKEN, "smal ", 0));
    assert_eq!(first["source"], "gfnc");
    assert_eq!(first["severity"], 1);
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("\nhelp: ")),
        "{first}"
    );

    // Fixed: an empty list.
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": FIXED}]
        }),
    );
    assert_eq!(server.diagnostics(&uri, 2), Vec::<Value>::new());

    // Hover on a use of the param: its type and value.
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position_of(FIXED, "N\n", 0)}),
    );
    let contents = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(contents.contains("param N: int = 4"), "{hover}");
    assert_eq!(hover["range"]["start"], position_of(FIXED, "N\n", 0));

    // Definition of a use of a let: the let's line.
    let definition = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position_of(FIXED, "small {", 0)}),
    );
    assert_eq!(definition["uri"], uri.as_str(), "{definition}");
    assert_eq!(
        definition["range"]["start"],
        position_of(FIXED, "small =", 0)
    );

    // Nothing under the cursor: a null result, not an error.
    let nothing = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 99, "character": 0}}),
    );
    assert_eq!(nothing, Value::Null);

    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(server.exit_code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The LSP position of a byte offset: 0-based line, UTF-16 units into it.
fn lsp_position(source: &str, offset: usize) -> Value {
    let before = source.get(..offset).unwrap_or(source);
    let line_start = before.rfind('\n').map_or(0, |k| k + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({"line": before.matches('\n').count(), "character": character})
}

#[test]
fn every_diagnostics_program_gets_the_diagnostics_of_check() {
    // `gfnc check --max-states 200000 --probe 0`: what the server runs while typing.
    let checks = gfnc::Checks {
        budget: gfnc::env::dag::Budget {
            max_states: 200_000,
            ..gfnc::env::dag::Budget::default()
        },
        probe: 0,
        ..gfnc::Checks::default()
    };
    let mut server = Server::start();
    server.request("initialize", json!({"capabilities": {}}));
    server.notify("initialized", json!({}));
    let mut compared = 0;
    for path in crate::gfn_files("tests/diagnostics") {
        let source = std::fs::read_to_string(&path).expect("readable");
        if source.starts_with("# set:") {
            continue; // The server has no `--set`.
        }
        let dir = path.parent().expect("a folder");
        let expected: Vec<Value> =
            match gfnc::validate_in(&source, &[], dir, &checks, &mut |_, _| {}) {
                Ok(_) => Vec::new(),
                Err(found) => found
                    .iter()
                    .map(|d| {
                        let mut message = d.message.clone();
                        if let Some(help) = &d.help {
                            message = format!("{message}\nhelp: {help}");
                        }
                        json!({
                            "code": d.code,
                            "start": lsp_position(&source, d.span().start as usize),
                            "end": lsp_position(&source, d.span().end as usize),
                            "message": message,
                        })
                    })
                    .collect(),
            };
        let uri = file_uri(&path);
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "gfn", "version": 1, "text": source}}),
        );
        let published: Vec<Value> = server
            .diagnostics(&uri, 1)
            .iter()
            .map(|d| {
                json!({
                    "code": d["code"],
                    "start": d["range"]["start"],
                    "end": d["range"]["end"],
                    "message": d["message"],
                })
            })
            .collect();
        assert_eq!(published, expected, "{}", path.display());
        server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        compared += 1;
    }
    assert!(compared > 50, "only {compared} programs compared");
    server.request("shutdown", Value::Null);
    server.notify("exit", Value::Null);
    assert_eq!(server.exit_code(), Some(0));
}

#[test]
fn garbage_and_protocol_errors_do_not_crash_the_server() {
    let mut server = Server::start();
    // Before `initialize`: an error response, and the server goes on.
    let early = server.call("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    server.request("initialize", json!({"capabilities": {}}));
    // Not JSON, wrong params, an unknown method, a document never opened, an unknown file's
    // change, a file the parser refuses: all answered or logged, none fatal.
    let stdin = server.stdin.as_mut().expect("stdin is open");
    write!(stdin, "Content-Length: 8\r\n\r\n{{garbage").expect("the server reads");
    server.notify("textDocument/didChange", json!({"textDocument": 3}));
    let uri = "file:///nowhere/deep.gfn";
    let deep = format!(
        "env d\nreward {}1{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "gfn", "version": 7, "text": deep}}),
    );
    let diagnostics = server.diagnostics(uri, 7);
    assert!(!diagnostics.is_empty());
    let never_opened = json!({
        "textDocument": {"uri": "file:///never/opened.gfn"},
        "position": {"line": 0, "character": 0}
    });
    assert_eq!(
        server.request("textDocument/hover", never_opened),
        Value::Null
    );
    let invalid = server.call("textDocument/hover", json!({"nonsense": true}));
    assert_eq!(invalid["error"]["code"], -32602, "{invalid}");
    let unknown = server.call("workspace/symbol", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // `exit` without `shutdown`: exit status 1, as the protocol says.
    server.notify("exit", Value::Null);
    assert_eq!(server.exit_code(), Some(1));
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = gfnc(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains("gfnc"), "{shell}: {script}");
        assert!(
            script.contains("enumerate"),
            "{shell}: the subcommands are completed"
        );
    }
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for command in [
        "check",
        "enumerate",
        "inspect",
        "run",
        "compare",
        "sample",
        "plot",
        "bench",
        "lsp",
        "completions",
    ] {
        let out = gfnc(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        let help = text(&out.stdout);
        assert!(help.contains("Example"), "`gfnc {command} --help`:\n{help}");
    }
}

/// The words of grammar/gfn.pest's `keyword` rule.
fn pest_keywords() -> Vec<String> {
    let grammar = std::fs::read_to_string(root().join("grammar/gfn.pest")).expect("the grammar");
    let rule = grammar
        .split("\nkeyword = @{")
        .nth(1)
        .and_then(|rest| rest.split("~ !ident_char").next())
        .expect("a `keyword` rule");
    let words: Vec<String> = rule
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(words.len() > 10, "the rule's words: {words:?}");
    words
}

/// The words of the `(?:a|b|c)` alternations in the grammar's `keywords` patterns.
fn highlighted_keywords(grammar: &Value) -> Vec<String> {
    let patterns = grammar["repository"]["keywords"]["patterns"]
        .as_array()
        .expect("a `keywords` entry with patterns");
    let mut words = Vec::new();
    for pattern in patterns {
        let regex = pattern["match"].as_str().expect("a match");
        for group in regex.split("(?:").skip(1) {
            let alternatives = group.split(')').next().unwrap_or("");
            words.extend(alternatives.split('|').map(str::to_string));
        }
    }
    words
}

#[test]
fn the_textmate_grammar_is_json_and_highlights_every_keyword() {
    let folder = root().join("editors/vscode");
    let read = |name: &str| -> Value {
        let text = std::fs::read_to_string(folder.join(name)).expect("the file exists");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
    };
    let grammar = read("syntaxes/gfn.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.gfn");
    let highlighted = highlighted_keywords(&grammar);
    for word in pest_keywords() {
        assert!(
            highlighted.contains(&word),
            "keyword `{word}` of grammar/gfn.pest is not in the TextMate grammar's keywords"
        );
    }

    // The extension points at that grammar for language `gfn`, files `.gfn`.
    let package = read("package.json");
    let contributes = &package["contributes"];
    assert_eq!(contributes["languages"][0]["id"], "gfn");
    assert_eq!(contributes["languages"][0]["extensions"][0], ".gfn");
    assert_eq!(contributes["grammars"][0]["language"], "gfn");
    let grammar_path = contributes["grammars"][0]["path"].as_str().unwrap_or("");
    assert!(folder.join(grammar_path).is_file(), "{grammar_path}");
    let configuration = read("language-configuration.json");
    assert_eq!(configuration["comments"]["lineComment"], "#");
}

/// A file whose graph is far too large to explore: the server's graph checks stop within
/// about a second, and an edit gets its static diagnostics at once rather than after the
/// previous version's graph checks.
#[test]
fn a_large_space_is_checked_in_about_a_second_and_the_next_edit_is_not_kept_waiting() {
    let dir = scratch("large");
    let path = dir.join("hp.gfn");
    let source =
        std::fs::read_to_string(root().join("examples/bench/hp_natural.gfn")).expect("readable");
    std::fs::write(&path, &source).expect("the file is written");
    let uri = file_uri(&path);
    let mut server = Server::start();
    server.request("initialize", json!({"capabilities": {}}));
    server.notify("initialized", json!({}));
    let opened = Instant::now();
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "gfn", "version": 1, "text": source}}),
    );
    assert!(server.diagnostics(&uri, 1).is_empty());
    // `gfnc check` spends a minute on this file; the server a bounded second or so (a debug
    // build, on a loaded machine, more).
    let first = opened.elapsed();
    assert!(first < Duration::from_secs(20), "{first:?}");
    // Version 2 starts a graph check; version 3 (broken) cancels it and shows its error.
    let edited = source.replace("reward exp", "reward  exp");
    let broken = source.replace("reward exp", "reward exq");
    let edit = Instant::now();
    for (version, text) in [(2, &edited), (3, &broken)] {
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }
    let diagnostics = server.diagnostics(&uri, 3);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        edit.elapsed() < Duration::from_secs(20),
        "{:?}",
        edit.elapsed()
    );
}
