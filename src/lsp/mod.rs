//! `gfnc lsp`: a language server for `.gfn` files over stdio.
//!
//! Diagnostics are `gfnc check`'s (the same pipeline, exploring at most 200,000 reachable states
//! and without the probe), published on open and on every change; hover shows the type and value
//! of params, consts and state fields, the definition of lets and a line about built-ins;
//! go-to-definition jumps to where a name is defined.
//!
//! Threads: one reads stdin, one writes stdout, the main one answers requests, and a worker
//! checks documents, so that hovering stays instant while a large graph is being explored.
//! Checks of a document that changed again before its turn are skipped: only its latest text
//! is checked.
//!
//! The transport (Content-Length framing) is this module's rather than `lsp_server`'s stdio
//! one: that one allocates whatever length a header announces and unwraps failed sends,
//! while a language server must survive any input. The messages themselves are
//! `lsp_server`'s, and their parameters `lsp_types`'.

mod analysis;
mod builtins;
mod index;
mod text;

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams,
    HoverProviderCapability, InitializeResult, Location, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, Uri,
};
use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};

/// Serve one client over stdin and stdout until it sends `exit` or closes stdin; log lines go
/// to stderr. `Err` when the session did not end as the protocol says (exit without shutdown,
/// stdin closed or unreadable first): the process should then exit with status 1.
pub fn serve_stdio() -> Result<(), String> {
    let (incoming_tx, incoming) = mpsc::channel();
    // The reader is not joined: after a failure it may still be blocked on stdin, and the
    // process ends anyway once the session has.
    std::thread::Builder::new()
        .name("gfnc-lsp-reader".to_string())
        .spawn(move || read_messages(std::io::stdin().lock(), &incoming_tx))
        .map_err(|e| format!("cannot start the reader thread: {e}"))?;
    let (outgoing, outgoing_rx) = mpsc::channel::<Message>();
    let writer = std::thread::Builder::new()
        .name("gfnc-lsp-writer".to_string())
        .spawn(move || write_messages(std::io::stdout().lock(), &outgoing_rx))
        .map_err(|e| format!("cannot start the writer thread: {e}"))?;
    let result = Server::new(outgoing).and_then(|server| server.run(&incoming));
    // Every sender is gone now (the server's, and the worker's outbox emptied on the way out):
    // the writer writes what is queued, the shutdown response among it, and ends.
    if writer.join().is_err() {
        log("the writer thread panicked");
    }
    result
}

fn log(message: &str) {
    eprintln!("gfnc lsp: {message}");
}

/// What the reader hands to the main loop.
enum Incoming {
    Message(Message),
    /// A framed message that is not JSON-RPC: logged and skipped.
    Malformed(String),
    /// Stdin ended or cannot be read any more (with why, when it is an error).
    Closed(Option<String>),
}

/// A message body larger than this is skipped unread: the largest source the parser accepts
/// is 1 MiB, so no legitimate message is anywhere near it.
const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// A header line longer than this is garbage, not a header.
const MAX_HEADER_BYTES: u64 = 4096;

fn read_messages(mut input: impl BufRead, sink: &Sender<Incoming>) {
    loop {
        let incoming = match read_frame(&mut input) {
            Ok(Some(body)) => match serde_json::from_slice::<Message>(&body) {
                Ok(message) => Incoming::Message(message),
                Err(e) => Incoming::Malformed(format!("not a JSON-RPC message: {e}")),
            },
            Ok(None) => Incoming::Closed(None),
            Err(Frame::Skipped(why)) => Incoming::Malformed(why),
            Err(Frame::Broken(why)) => Incoming::Closed(Some(why)),
        };
        // After `exit` nothing more is read: the client may keep stdin open.
        let last = match &incoming {
            Incoming::Closed(_) => true,
            Incoming::Message(Message::Notification(n)) => n.method == "exit",
            _ => false,
        };
        if sink.send(incoming).is_err() || last {
            return;
        }
    }
}

/// Why a frame could not be read.
enum Frame {
    /// The frame was consumed whole but not kept (too large): the stream is still in step.
    Skipped(String),
    /// The stream is out of step or failed: nothing more can be read.
    Broken(String),
}

/// One `Content-Length: N\r\n\r\n<N bytes>` frame; `None` at the end of input.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, Frame> {
    let mut length: Option<usize> = None;
    let mut first = true;
    loop {
        let mut line = String::new();
        let read = input
            .by_ref()
            .take(MAX_HEADER_BYTES)
            .read_line(&mut line)
            .map_err(|e| Frame::Broken(format!("cannot read a header: {e}")))?;
        if read == 0 {
            return if first {
                Ok(None)
            } else {
                Err(Frame::Broken("input ended inside a header".to_string()))
            };
        }
        first = false;
        if !line.ends_with('\n') {
            return Err(Frame::Broken(format!(
                "a header line longer than {MAX_HEADER_BYTES} bytes"
            )));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(Frame::Broken(format!("malformed header `{line}`")));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            let value = value.trim().parse::<usize>().map_err(|_| {
                Frame::Broken(format!(
                    "Content-Length is not a number: `{}`",
                    value.trim()
                ))
            })?;
            length = Some(value);
        }
    }
    let length = length.ok_or_else(|| Frame::Broken("a message without Content-Length".into()))?;
    if length > MAX_MESSAGE_BYTES {
        let skipped = std::io::copy(
            &mut input.by_ref().take(length as u64),
            &mut std::io::sink(),
        )
        .map_err(|e| Frame::Broken(format!("cannot read a message: {e}")))?;
        if skipped < length as u64 {
            return Err(Frame::Broken("input ended inside a message".to_string()));
        }
        return Err(Frame::Skipped(format!(
            "skipped a message of {length} bytes (at most {MAX_MESSAGE_BYTES} are read)"
        )));
    }
    let mut body = vec![0; length];
    input
        .read_exact(&mut body)
        .map_err(|e| Frame::Broken(format!("cannot read a message: {e}")))?;
    Ok(Some(body))
}

fn write_messages(mut output: impl Write, queue: &Receiver<Message>) {
    for message in queue {
        if let Err(e) = message.write(&mut output) {
            // The client is gone; the main loop finds out from stdin.
            log(&format!("cannot write to stdout: {e}"));
            return;
        }
    }
}

/// A document the client has open.
struct Document {
    uri: Uri,
    text: String,
    version: i32,
}

/// What the worker is asked to do.
enum Job {
    /// Check this text of a document and publish its diagnostics.
    Check {
        uri: Uri,
        text: String,
        version: i32,
    },
    /// The document was closed: clear its diagnostics.
    Close { uri: Uri },
}

impl Job {
    fn uri(&self) -> &Uri {
        match self {
            Job::Check { uri, .. } | Job::Close { uri } => uri,
        }
    }
}

/// The checking thread's stack (reserved, not committed, until used).
const CHECKER_STACK_BYTES: usize = 64 << 20;

/// The last model that checked, per document, with the text it was checked from: hover shows
/// its values without checking the file again.
type Models = Arc<Mutex<HashMap<String, (String, Arc<crate::hir::Model>)>>>;

/// The latest version of each open document: a check of an older one is stale, and its graph
/// checks stop (the next edit cancels them).
type Versions = Arc<Mutex<HashMap<String, i32>>>;

/// A lock that survives a panic of another holder: the map stays usable (at worst stale).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Server {
    outgoing: Sender<Message>,
    /// The worker's way out, emptied when the session ends so that the writer can finish
    /// without waiting for a check in progress.
    outbox: Arc<Mutex<Option<Sender<Message>>>>,
    jobs: Sender<Job>,
    documents: HashMap<String, Document>,
    models: Models,
    versions: Versions,
    shutdown: bool,
}

impl Server {
    fn new(outgoing: Sender<Message>) -> Result<Server, String> {
        let outbox = Arc::new(Mutex::new(Some(outgoing.clone())));
        let models: Models = Arc::default();
        let versions: Versions = Arc::default();
        let (jobs, queue) = mpsc::channel();
        let worker = Worker {
            outbox: outbox.clone(),
            models: models.clone(),
            versions: versions.clone(),
        };
        // Not joined either: a check in progress when the session ends is abandoned. The stack
        // is as large as the front end's: `gfnc check` compiles and explores on the main
        // thread, whose stack is larger than a spawned thread's default 2 MiB.
        std::thread::Builder::new()
            .name("gfnc-lsp-checker".to_string())
            .stack_size(CHECKER_STACK_BYTES)
            .spawn(move || worker.run(&queue))
            .map_err(|e| format!("cannot start the checking thread: {e}"))?;
        Ok(Server {
            outgoing,
            outbox,
            jobs,
            documents: HashMap::new(),
            models,
            versions,
            shutdown: false,
        })
    }

    fn run(self, incoming: &Receiver<Incoming>) -> Result<(), String> {
        let outbox = self.outbox.clone();
        let result = self.session(incoming);
        lock(&outbox).take();
        result
    }

    fn session(mut self, incoming: &Receiver<Incoming>) -> Result<(), String> {
        let mut initialized = false;
        loop {
            let message = match incoming.recv() {
                Ok(Incoming::Message(message)) => message,
                Ok(Incoming::Malformed(why)) => {
                    log(&why);
                    continue;
                }
                Ok(Incoming::Closed(why)) => {
                    let why = why.unwrap_or_else(|| "stdin closed".to_string());
                    return Err(format!("{why} before the `exit` notification"));
                }
                Err(_) => return Err("the reader thread stopped".to_string()),
            };
            match message {
                Message::Request(request) if !initialized => {
                    if request.method == "initialize" {
                        self.respond(request.id, initialize_result());
                        initialized = true;
                    } else {
                        self.fail(
                            request.id,
                            ErrorCode::ServerNotInitialized,
                            "expected `initialize` first".to_string(),
                        );
                    }
                }
                Message::Request(request) if self.shutdown => self.fail(
                    request.id,
                    ErrorCode::InvalidRequest,
                    "the server is shutting down".to_string(),
                ),
                Message::Request(request) if request.method == "shutdown" => {
                    self.shutdown = true;
                    self.respond(request.id, Ok(serde_json::Value::Null));
                }
                Message::Request(request) => self.request(request),
                Message::Notification(n) if n.method == "exit" => {
                    return if self.shutdown {
                        Ok(())
                    } else {
                        Err("`exit` before `shutdown`".to_string())
                    };
                }
                Message::Notification(n) if initialized && !self.shutdown => self.notification(n),
                // Before `initialize` and after `shutdown`, notifications other than `exit`
                // are dropped, as the protocol says.
                Message::Notification(_) => {}
                // The server sends no requests, so answers are unexpected: ignored.
                Message::Response(_) => {}
            }
        }
    }

    fn send(&self, message: Message) {
        if self.outgoing.send(message).is_err() {
            log("the writer thread stopped");
        }
    }

    fn respond(&self, id: RequestId, result: Result<serde_json::Value, String>) {
        match result {
            Ok(value) => self.send(Message::Response(Response {
                id,
                response_result: Ok(value),
            })),
            Err(why) => self.fail(id, ErrorCode::InternalError, why),
        }
    }

    fn fail(&self, id: RequestId, code: ErrorCode, message: String) {
        self.send(Message::Response(Response::new_err(
            id,
            code as i32,
            message,
        )));
    }

    /// A request after `initialize`: a panic while answering is an error response.
    fn request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let answer = catch_unwind(AssertUnwindSafe(|| match method.as_str() {
            "textDocument/hover" => self.hover(params).map(Some),
            "textDocument/definition" => self.definition(params).map(Some),
            _ => Ok(None),
        }));
        match answer {
            Ok(Ok(Some(value))) => self.respond(id, Ok(value)),
            Ok(Ok(None)) => self.fail(
                id,
                ErrorCode::MethodNotFound,
                format!("`{method}` is not supported"),
            ),
            Ok(Err(why)) => self.fail(id, ErrorCode::InvalidParams, why),
            Err(_) => self.fail(
                id,
                ErrorCode::InternalError,
                format!("internal error in gfnc while answering `{method}` (see its log)"),
            ),
        }
    }

    fn notification(&mut self, notification: Notification) {
        let Notification { method, params } = notification;
        let done = catch_unwind(AssertUnwindSafe(|| match method.as_str() {
            "textDocument/didOpen" => self.did_open(params),
            "textDocument/didChange" => self.did_change(params),
            "textDocument/didClose" => self.did_close(params),
            // `initialized`, `didSave`, `$/cancelRequest`, `$/setTrace`...: nothing to do.
            _ => Ok(()),
        }));
        match done {
            Ok(Ok(())) => {}
            Ok(Err(why)) => log(&format!("{method}: {why}")),
            Err(_) => log(&format!("internal error while handling {method}")),
        }
    }

    fn did_open(&mut self, params: serde_json::Value) -> Result<(), String> {
        let params: DidOpenTextDocumentParams = parse_params(params)?;
        let item = params.text_document;
        let document = Document {
            uri: item.uri,
            text: item.text,
            version: item.version,
        };
        self.check(&document);
        self.documents
            .insert(document.uri.as_str().to_string(), document);
        Ok(())
    }

    fn did_change(&mut self, params: serde_json::Value) -> Result<(), String> {
        let params: DidChangeTextDocumentParams = parse_params(params)?;
        let key = params.text_document.uri.as_str().to_string();
        let Some(document) = self.documents.get_mut(&key) else {
            return Err(format!("change of a document not open: {key}"));
        };
        for change in params.content_changes {
            match change.range {
                // The server asks for full sync, but a ranged change is applied all the same.
                Some(range) => {
                    let lines = text::Lines::new(&document.text);
                    let start = lines.offset(range.start);
                    let end = lines.offset(range.end).max(start);
                    document.text.replace_range(start..end, &change.text);
                }
                None => document.text = change.text,
            }
        }
        document.version = params.text_document.version;
        if let Some(document) = self.documents.get(&key) {
            self.check(document);
        }
        Ok(())
    }

    fn did_close(&mut self, params: serde_json::Value) -> Result<(), String> {
        let params: DidCloseTextDocumentParams = parse_params(params)?;
        let key = params.text_document.uri.as_str().to_string();
        self.documents.remove(&key);
        lock(&self.models).remove(&key);
        lock(&self.versions).remove(&key);
        self.queue(Job::Close {
            uri: params.text_document.uri,
        });
        Ok(())
    }

    fn check(&self, document: &Document) {
        lock(&self.versions).insert(document.uri.as_str().to_string(), document.version);
        self.queue(Job::Check {
            uri: document.uri.clone(),
            text: document.text.clone(),
            version: document.version,
        });
    }

    fn queue(&self, job: Job) {
        if self.jobs.send(job).is_err() {
            log("the checking thread stopped: diagnostics are no longer updated");
        }
    }

    /// The open document a position is in, and the byte offset of the position.
    fn locate(
        &self,
        at: &lsp_types::TextDocumentPositionParams,
    ) -> Result<Option<(&Document, usize)>, String> {
        let key = at.text_document.uri.as_str();
        let Some(document) = self.documents.get(key) else {
            // Not an error: the client may ask about a file it has not opened here.
            return Ok(None);
        };
        let offset = text::Lines::new(&document.text).offset(at.position);
        Ok(Some((document, offset)))
    }

    fn hover(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let params: HoverParams = parse_params(params)?;
        let Some((document, offset)) = self.locate(&params.text_document_position_params)? else {
            return Ok(serde_json::Value::Null);
        };
        let source = document.text.as_str();
        let Some(index) = analysis::index(source) else {
            return Ok(serde_json::Value::Null);
        };
        let model = if analysis::needs_model(&index, offset) {
            self.model(document)
        } else {
            None
        };
        let Some((span, value)) = analysis::hover(source, &index, model.as_deref(), offset) else {
            return Ok(serde_json::Value::Null);
        };
        let hover = Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: Some(text::Lines::new(source).range(span)),
        };
        serde_json::to_value(hover).map_err(|e| e.to_string())
    }

    /// The checked model of a document's current text: the worker's when it checked this very
    /// text, otherwise parsed and checked now (without exploring).
    fn model(&self, document: &Document) -> Option<Arc<crate::hir::Model>> {
        if let Some((text, model)) = lock(&self.models).get(document.uri.as_str()) {
            if *text == document.text {
                return Some(model.clone());
            }
        }
        analysis::load(&document.text, &folder_of(&document.uri)).map(Arc::new)
    }

    fn definition(&self, params: serde_json::Value) -> Result<serde_json::Value, String> {
        let params: GotoDefinitionParams = parse_params(params)?;
        let Some((document, offset)) = self.locate(&params.text_document_position_params)? else {
            return Ok(serde_json::Value::Null);
        };
        let source = document.text.as_str();
        let found = analysis::index(source).and_then(|index| analysis::definition(&index, offset));
        let Some(span) = found else {
            return Ok(serde_json::Value::Null);
        };
        let range = text::Lines::new(source).range(span);
        let location = GotoDefinitionResponse::Scalar(Location::new(document.uri.clone(), range));
        serde_json::to_value(location).map_err(|e| e.to_string())
    }
}

fn parse_params<P: serde::de::DeserializeOwned>(params: serde_json::Value) -> Result<P, String> {
    serde_json::from_value(params).map_err(|e| format!("invalid params: {e}"))
}

fn initialize_result() -> Result<serde_json::Value, String> {
    let result = InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "gfnc".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    };
    serde_json::to_value(result).map_err(|e| e.to_string())
}

/// The folder of a `file:` URI, where `load(...)` paths and scorers are relative to, as
/// `gfnc check` takes the folder of its file; `.` for other schemes (an unsaved buffer).
fn folder_of(uri: &Uri) -> PathBuf {
    let Some(rest) = uri.as_str().strip_prefix("file://") else {
        return PathBuf::from(".");
    };
    // `file://host/path`: the path starts at the first `/` after the (usually empty) host.
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    let mut path = percent_decode(path);
    // `file:///C:/dir/a.gfn` on Windows: no leading `/` before the drive.
    if cfg!(windows) && path.as_bytes().get(2) == Some(&b':') {
        path.remove(0);
    }
    match PathBuf::from(path).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `%20` and friends back to bytes; an invalid escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut k = 0;
    while k < bytes.len() {
        let hex = || {
            let digits = text.get(k + 1..k + 3)?;
            u8::from_str_radix(digits, 16).ok()
        };
        match (bytes[k], hex()) {
            (b'%', Some(byte)) => {
                out.push(byte);
                k += 3;
            }
            (byte, _) => {
                out.push(byte);
                k += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Checks documents one at a time, latest text first.
struct Worker {
    outbox: Arc<Mutex<Option<Sender<Message>>>>,
    models: Models,
    versions: Versions,
}

impl Worker {
    fn run(self, queue: &Receiver<Job>) {
        while let Ok(first) = queue.recv() {
            // Of several jobs waiting for one document, only the last one matters.
            let mut latest: Vec<Job> = vec![first];
            for job in queue.try_iter() {
                latest.retain(|j| j.uri() != job.uri());
                latest.push(job);
            }
            for job in latest {
                self.run_one(job);
            }
        }
    }

    fn run_one(&self, job: Job) {
        let (uri, diagnostics, version) = match job {
            Job::Check { uri, text, version } => {
                let key = uri.as_str().to_string();
                let stale = || lock(&self.versions).get(&key) != Some(&version);
                // Static errors are shown at once; graph checks follow within a second, and
                // the next edit cancels them (its own check publishes instead).
                let checked =
                    analysis::check_static(&text, &folder_of(&uri)).and_then(|(model, env)| {
                        lock(&self.models)
                            .insert(key.clone(), (text.clone(), Arc::new(model.clone())));
                        analysis::check_graph(model, env, &stale)
                    });
                if stale() {
                    return;
                }
                let diagnostics = match checked {
                    Ok(_) => Vec::new(),
                    Err(found) => {
                        lock(&self.models).remove(&key);
                        analysis::to_lsp(&uri, &text, &found)
                    }
                };
                (uri, diagnostics, Some(version))
            }
            Job::Close { uri } => (uri, Vec::new(), None),
        };
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        let params = match serde_json::to_value(params) {
            Ok(params) => params,
            Err(e) => return log(&format!("cannot encode diagnostics: {e}")),
        };
        let message = Message::Notification(Notification {
            method: "textDocument/publishDiagnostics".to_string(),
            params,
        });
        // Cloned out of the lock so that a slow send does not hold it.
        let outbox = lock(&self.outbox).clone();
        if let Some(outbox) = outbox {
            let _ = outbox.send(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn frames(input: &[u8]) -> Vec<String> {
        let (sink, from) = mpsc::channel();
        read_messages(input, &sink);
        from.try_iter()
            .map(|incoming| match incoming {
                Incoming::Message(Message::Notification(n)) => format!("note {}", n.method),
                Incoming::Message(Message::Request(r)) => format!("request {}", r.method),
                Incoming::Message(Message::Response(_)) => "response".to_string(),
                Incoming::Malformed(why) => format!("malformed: {why}"),
                Incoming::Closed(why) => format!("closed: {why:?}"),
            })
            .collect()
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn the_reader_survives_garbage_and_stops_at_exit() {
        let mut input = frame(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#);
        input += &frame("{not json");
        input += "Content-Length: 999999999999\r\n\r\n";
        let read = frames(input.as_bytes());
        assert_eq!(read[0], "request initialize");
        assert!(read[1].starts_with("malformed: not a JSON-RPC message"));
        assert!(read[2].starts_with("closed: Some(\"input ended inside a message"));

        let mut input = frame(r#"{"jsonrpc":"2.0","method":"exit"}"#);
        input += "garbage that is never read";
        assert_eq!(frames(input.as_bytes()), ["note exit"]);
        assert!(frames(b"Content-Length: x\r\n\r\n")[0].contains("not a number"));
        assert!(frames(&[b'a'; 10_000])[0].contains("header line longer"));
        assert_eq!(frames(b""), ["closed: None"]);
    }

    #[test]
    fn folders_of_file_uris() {
        let folder = |uri: &str| folder_of(&Uri::from_str(uri).expect("a URI"));
        assert_eq!(
            folder("file:///tmp/my%20dir/a.gfn"),
            PathBuf::from("/tmp/my dir")
        );
        assert_eq!(folder("file://localhost/srv/a.gfn"), PathBuf::from("/srv"));
        assert_eq!(folder("untitled:Untitled-1"), PathBuf::from("."));
        assert_eq!(percent_decode("%e2%9c%93%zz%4"), "✓%zz%4");
    }
}
