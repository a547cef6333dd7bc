//! The hostile campaign, data part: tiny files that announce huge tables, bad values that look
//! like headers, big integers, devices and named pipes where a file is expected, huge cells, a
//! byte-order mark. Every case ends with a clear message and exit 1 or 2 (or 0 when nothing
//! is wrong), never a panic (101), an abort (134) or a hang: a child that could block is
//! waited for with a timeout and killed.

use crate::{gfnc, root, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Far longer than any of these checks takes; far shorter than a hang.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A fresh folder under the system's temporary folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let path =
            std::env::temp_dir().join(format!("gfnc-hostile-data-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a scratch folder");
        Scratch(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, contents).expect("written");
        path
    }

    /// A .gfn file whose table `T` is `load("FILE")`.
    fn loading(&self, file: &str) -> String {
        let source = format!(
            "env t\nconst T = load(\"{file}\")\nstate {{ i: 0..2 }}\naction inc when i < 1 {{ i += 1 }}\nstop\nreward 1.0\n"
        );
        path_text(&self.write(&format!("{file}.gfn"), source.as_bytes()))
    }

    fn fifo(&self, name: &str) -> PathBuf {
        let path = self.join(name);
        let c = std::ffi::CString::new(path_text(&path)).expect("a path");
        // SAFETY: mkfifo reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

/// `gfnc ARGS`, killed after [`TIMEOUT`]; its output (the test fails if it had to be killed).
/// Output goes to files, so that a full pipe cannot stall the child while it is polled.
fn gfnc_within(args: &[&str], scratch: &Scratch) -> Output {
    let (out_path, err_path) = (scratch.join("child.out"), scratch.join("child.err"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gfnc"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("gfnc runs");
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gfnc {args:?} did not finish within {TIMEOUT:?}: it blocks");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: std::fs::read(&out_path).unwrap_or_default(),
        stderr: std::fs::read(&err_path).unwrap_or_default(),
    }
}

/// Exit `code`, no panic, and every one of `says` on stderr.
fn fails_with(out: &Output, code: i32, says: &[&str], what: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    for word in says {
        assert!(stderr.contains(word), "{what} says `{word}`: {stderr}");
    }
}

fn check(file: &str) -> Output {
    gfnc(&["check", "--color", "never", file])
}

/// A .npy file of `header` (the dict literal) and `data`, version 1.
fn npy(header: &str, data: &[u8]) -> Vec<u8> {
    let mut padded = header.as_bytes().to_vec();
    while !(10 + padded.len() + 1).is_multiple_of(64) {
        padded.push(b' ');
    }
    padded.push(b'\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
    out.extend_from_slice(&padded);
    out.extend_from_slice(data);
    out
}

#[test]
fn tiny_npy_files_announcing_huge_tables_are_refused() {
    let scratch = Scratch::new("npy");
    let huge = |order: &str, shape: &str| {
        npy(
            &format!("{{'descr': '<f8', 'fortran_order': {order}, 'shape': {shape}, }}"),
            &[],
        )
    };
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    v2.extend_from_slice(&u32::MAX.to_le_bytes());
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "wrap_c.npy",
            huge("False", "(4294967296, 4294967296, 2)"),
            "more than 1048576 values",
        ),
        (
            "wrap_f.npy",
            huge("True", "(4294967296, 4294967296, 2)"),
            "more than 1048576 values",
        ),
        (
            "square.npy",
            huge("False", "(4294967296, 4294967296)"),
            "more than 1048576 values",
        ),
        (
            "nodata.npy",
            huge("False", "(1024, 1024)"),
            "but 0 bytes of data follow",
        ),
        ("v2.npy", v2, "announces 4294967295 bytes"),
    ];
    for (name, bytes, says) in cases {
        scratch.write(name, &bytes);
        let out = check(&scratch.loading(name));
        fails_with(&out, 1, &["gfn::check::load", name, says], name);
    }
}

#[test]
fn a_bad_first_value_of_a_one_column_csv_is_not_a_header() {
    let scratch = Scratch::new("csv");
    for (k, first) in ["nan", "1e400", "0x10", "9223372036854775808"]
        .iter()
        .enumerate()
    {
        let name = format!("t{k}.csv");
        scratch.write(&name, format!("{first}\n1\n2\n").as_bytes());
        let out = check(&scratch.loading(&name));
        fails_with(
            &out,
            1,
            &["gfn::check::load", "line 1, column 1", first],
            first,
        );
    }
    // A name still is a header.
    scratch.write("named.csv", b"reward\n1\n2\n");
    let out = check(&scratch.loading("named.csv"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn json_integers_past_64_bits_are_refused_as_in_csv() {
    let scratch = Scratch::new("json");
    scratch.write("big.json", b"[1, 18446744073709551615]");
    let out = check(&scratch.loading("big.json"));
    fails_with(
        &out,
        1,
        &["gfn::check::load", "18446744073709551615", "64-bit int"],
        "u64",
    );
    scratch.write("bom.json", b"\xef\xbb\xbf[1, 2]");
    let out = check(&scratch.loading("bom.json"));
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn devices_and_named_pipes_are_refused_without_blocking() {
    let scratch = Scratch::new("fifo");
    for device in ["/dev/zero", "/dev/urandom"] {
        let name = format!("{}.csv", &device[5..]);
        std::os::unix::fs::symlink(device, scratch.join(&name)).expect("a link");
        let out = gfnc_within(&["check", &scratch.loading(&name)], &scratch);
        fails_with(&out, 1, &["it is a device"], device);
    }
    scratch.fifo("pipe.csv");
    // (Messages are wrapped at the terminal's width: the words checked are short.)
    let fifo_words = ["pipe.csv", "named pipe (FIFO)"];
    let out = gfnc_within(&["check", &scratch.loading("pipe.csv")], &scratch);
    fails_with(&out, 1, &fifo_words, "load");

    // `--set W=@FILE` for an array param.
    let params = scratch.write(
        "params.gfn",
        b"env t\nparam W: [float; 2] = [1.0, 2.0]\nstate { i: 0..2 }\naction inc when i < 1 { i += 1 }\nstop\nreward W[i]\n",
    );
    let set = format!("W=@{}", path_text(&scratch.join("pipe.csv")));
    let out = gfnc_within(&["check", &path_text(&params), "--set", &set], &scratch);
    fails_with(&out, 1, &fifo_words, "--set W=@fifo");

    // The .gfn file itself.
    let source = scratch.fifo("source.gfn");
    let out = gfnc_within(&["check", &path_text(&source)], &scratch);
    fails_with(
        &out,
        2,
        &["source.gfn", "named pipe (FIFO)"],
        "a FIFO source",
    );
    let dir = path_text(&scratch.0);
    let out = gfnc_within(&["check", &dir], &scratch);
    fails_with(&out, 2, &["it is a directory"], "a directory source");
}

#[test]
fn plot_refuses_named_pipes_in_a_run_directory() {
    let scratch = Scratch::new("plot");
    let run = scratch.join("run");
    let out = gfnc(&[
        "run",
        "examples/hypergrid.gfn",
        "--steps",
        "20",
        "--eval-every",
        "10",
        "--quiet",
        "--out",
        &path_text(&run),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    for file in ["metrics.csv", "samples.csv", "env.gfn"] {
        let dir = scratch.join(&format!("pipe-{file}"));
        std::fs::create_dir_all(&dir).expect("a copy");
        for other in ["run.json", "env.gfn", "metrics.csv", "samples.csv"] {
            if other != file {
                std::fs::copy(run.join(other), dir.join(other)).expect("copied");
            }
        }
        scratch.fifo(&format!("pipe-{file}/{file}"));
        let out_dir = scratch.join(&format!("out-{file}"));
        let out = gfnc_within(
            &["plot", &path_text(&dir), "--out", &path_text(&out_dir)],
            &scratch,
        );
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{file}: {stderr}");
        if file == "metrics.csv" {
            fails_with(&out, 2, &["metrics.csv", "named pipe (FIFO)"], file);
        } else {
            // Without samples or the environment, the pictures of the metrics still draw.
            assert!(matches!(out.status.code(), Some(0 | 2)), "{file}: {stderr}");
        }
    }
}

#[test]
fn the_language_server_diagnoses_a_named_pipe_and_still_shuts_down() {
    let scratch = Scratch::new("lsp");
    scratch.fifo("pipe.csv");
    let path = scratch.join("pipe.gfn");
    let source = "env t\nconst T = load(\"pipe.csv\")\nstate { i: 0..2 }\naction inc when i < 1 { i += 1 }\nstop\nreward 1.0\n";
    let uri = format!("file://{}", path_text(&path));
    let mut server = crate::lsp::Server::start();
    server.request(
        "initialize",
        serde_json::json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    server.notify("initialized", serde_json::json!({}));
    server.notify(
        "textDocument/didOpen",
        serde_json::json!({"textDocument": {"uri": uri, "languageId": "gfn", "version": 1, "text": source}}),
    );
    let diagnostics = server.diagnostics(&uri, 1);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "gfn::check::load");
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("named pipe (FIFO)")),
        "{diagnostics:?}"
    );
    // On line 2 (0-based 1), where `load` is.
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 1);
    // A document with a byte-order mark: its diagnostic stays on its line.
    let bom = format!("\u{feff}{}", source.replace("pipe.csv", "missing.csv"));
    server.notify(
        "textDocument/didChange",
        serde_json::json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": bom}]}),
    );
    let diagnostics = server.diagnostics(&uri, 2);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "gfn::check::load");
    assert_eq!(diagnostics[0]["range"]["start"]["line"], 1);
    assert_eq!(diagnostics[0]["range"]["start"]["character"], 10);
    server.request("shutdown", serde_json::Value::Null);
    server.notify("exit", serde_json::Value::Null);
    assert_eq!(server.exit_code(), Some(0));
}

#[test]
fn a_huge_cell_is_quoted_briefly() {
    let scratch = Scratch::new("quote");
    let mut bytes = b"1\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 4 << 20));
    bytes.push(b'\n');
    scratch.write("long.csv", &bytes);
    let out = check(&scratch.loading("long.csv"));
    fails_with(
        &out,
        1,
        &["line 2, column 1", "(4194304 bytes in"],
        "a huge cell",
    );
    assert!(out.stderr.len() < 4096, "{} bytes", out.stderr.len());
}

#[test]
fn a_source_with_a_byte_order_mark_checks() {
    let scratch = Scratch::new("bom");
    let good = scratch.write(
        "good.gfn",
        "\u{feff}env t\nstate { i: 0..2 }\naction inc when i < 1 { i += 1 }\nstop\nreward 1.0\n"
            .as_bytes(),
    );
    let out = check(&path_text(&good));
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A diagnostic on line 2 is shown on line 2.
    let bad = scratch.write(
        "bad.gfn",
        "\u{feff}env t\nstate { i: 0..2 }\naction inc when j < 1 { i += 1 }\nstop\nreward 1.0\n"
            .as_bytes(),
    );
    let out = check(&path_text(&bad));
    fails_with(
        &out,
        1,
        &["gfn::check::unknown_name", "bad.gfn:3:17"],
        "bom",
    );
}

#[test]
fn adjacency_names_its_own_limit() {
    let scratch = Scratch::new("adjacency");
    let file = scratch.write(
        "a.gfn",
        b"env t\nconst A = adjacency(2000000, [])\nstate { i: 0..2 }\naction inc when i < 1 { i += 1 }\nstop\nreward 1.0\n",
    );
    let out = check(&path_text(&file));
    fails_with(
        &out,
        1,
        &["gfn::check::too_large", "at most 1024"],
        "adjacency",
    );
    assert!(
        !text(&out.stderr).contains("1048576"),
        "{}",
        text(&out.stderr)
    );
}
