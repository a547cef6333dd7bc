//! The documentation runs as written: every `gfnc` command of `docs/tutorial.md` exits as the
//! page says, every program of `docs/reference.md`, `docs/tutorial/` and `docs/porting/` passes
//! `gfnc check`, the programs shown on the pages are the files the commands use, and every
//! diagnostic code the implementation can emit has an entry in the reference.

use crate::{gfn_files, gfnc, root, text};
use std::path::{Path, PathBuf};

/// The contents of the fenced blocks of a markdown page whose info string is `lang`
/// (fences may be indented, as inside a list item).
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    // Inside a block: its info string and the lines so far.
    let mut open: Option<(String, String)> = None;
    for line in markdown.lines() {
        let trimmed = line.trim();
        match &mut open {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    open = Some((info.trim().to_string(), String::new()));
                }
            }
            Some((info, body)) => {
                if trimmed == "```" {
                    if info == lang {
                        blocks.push(std::mem::take(body));
                    }
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is not closed");
    blocks
}

/// A command line as a shell would split it, for the simple lines of the tutorial: words are
/// separated by whitespace, double quotes group words (and are removed), and an unquoted `#`
/// at the start of a word starts a comment, returned apart.
fn split_command(line: &str) -> (Vec<String>, Option<String>) {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            '#' if !quoted && !in_word => {
                return (words, Some(line[at + 1..].trim().to_string()));
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in `{line}`");
    if in_word {
        words.push(word);
    }
    (words, None)
}

/// The exit code a tutorial line promises: 0, or N for a trailing `# fails: exit N`.
fn expected_exit(comment: Option<&str>) -> i32 {
    match comment.and_then(|c| c.strip_prefix("fails: exit")) {
        Some(code) => code
            .trim()
            .parse()
            .expect("`# fails: exit N` names a number"),
        None => 0,
    }
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn splitting_commands_respects_quotes_and_comments() {
    let (words, comment) = split_command(
        r#"gfnc inspect docs/tutorial/word.gfn --state "w=[0, 1, 0]"   # fails: exit 1"#,
    );
    assert_eq!(
        words,
        [
            "gfnc",
            "inspect",
            "docs/tutorial/word.gfn",
            "--state",
            "w=[0, 1, 0]"
        ]
    );
    assert_eq!(expected_exit(comment.as_deref()), 1);
    let (words, comment) = split_command(r#"gfnc check "a # b.gfn" --set W=[1,2]"#);
    assert_eq!(words, ["gfnc", "check", "a # b.gfn", "--set", "W=[1,2]"]);
    assert_eq!(comment, None);
    assert_eq!(expected_exit(Some("a note")), 0);
}

/// Every command of the tutorial, in order, with the binary under test, from the repository
/// root: each exits 0, or with the code its `# fails: exit N` comment names.
#[test]
fn tutorial_commands_run_as_written() {
    let page = read("docs/tutorial.md");
    let mut commands = 0;
    for block in fenced_blocks(&page, "sh") {
        for line in block.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                line.starts_with("gfnc "),
                "a shell line of the tutorial that is not a gfnc command: `{line}`"
            );
            let (words, comment) = split_command(line);
            let expected = expected_exit(comment.as_deref());
            let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
            let out = gfnc(&args);
            assert_eq!(
                out.status.code(),
                Some(expected),
                "`{line}` exited with {:?}, the tutorial says {expected}\nstdout:\n{}\nstderr:\n{}",
                out.status.code(),
                text(&out.stdout),
                text(&out.stderr)
            );
            commands += 1;
        }
    }
    assert!(
        commands >= 8,
        "the tutorial lost its commands ({commands} left)"
    );
}

/// `gfnc check FILE` exits 0; the failure shows the diagnostics.
fn assert_checks(path: &Path, shown: &str) {
    let path = path.to_str().expect("a UTF-8 path");
    let out = gfnc(&["check", path, "--color", "never"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{shown} does not pass gfnc check:\n{}",
        text(&out.stderr)
    );
}

/// Every `gfn` block of the reference, and every program under docs/tutorial/ (but the
/// deliberately broken ones) and docs/porting/, passes `gfnc check`.
#[test]
fn documented_programs_check() {
    let blocks = fenced_blocks(&read("docs/reference.md"), "gfn");
    assert!(blocks.len() >= 8, "the reference lost its examples");
    let dir = std::env::temp_dir().join(format!("gfnc-reference-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (k, block) in blocks.iter().enumerate() {
        let path = dir.join(format!("example-{k}.gfn"));
        std::fs::write(&path, block).expect("written");
        let first = block.lines().find(|l| l.starts_with("env ")).unwrap_or("?");
        assert_checks(
            &path,
            &format!("the reference's gfn block {k} (`{first}`):\n{block}\n"),
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    let mut files: Vec<PathBuf> = gfn_files("docs/tutorial");
    files.retain(|p| !p.to_string_lossy().ends_with("_broken.gfn"));
    files.extend(gfn_files("docs/porting"));
    assert!(
        files.len() >= 3,
        "docs/tutorial/ or docs/porting/ lost its programs"
    );
    for path in files {
        assert_checks(&path, &path.display().to_string());
    }
}

/// The programs printed in the tutorial and the porting guide are the files their commands
/// run, character for character.
#[test]
fn tutorial_and_porting_pages_show_their_files() {
    for (page, folder) in [
        ("docs/tutorial.md", "docs/tutorial"),
        ("docs/porting-from-torchgfn.md", "docs/porting"),
    ] {
        let files: Vec<(PathBuf, String)> = gfn_files(folder)
            .into_iter()
            .map(|p| {
                let source = std::fs::read_to_string(&p).expect("readable");
                (p, source)
            })
            .collect();
        let blocks = fenced_blocks(&read(page), "gfn");
        assert!(!blocks.is_empty(), "{page} shows no program");
        for block in blocks {
            assert!(
                files.iter().any(|(_, source)| *source == block),
                "a gfn block of {page} is none of the files in {folder}/:\n{block}"
            );
        }
    }
}

/// Every code of the form `gfn::STAGE::NAME` written in the sources has an entry in the
/// reference's "Diagnostic codes", anchored as the diagnostics link to it.
#[test]
fn every_diagnostic_code_has_a_reference_entry() {
    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let mut codes = std::collections::BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("readable");
        for (at, _) in source.match_indices("\"gfn::") {
            let rest = &source[at + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let code = &rest[..end];
            if rest[end..].starts_with('"') && code.matches("::").count() == 2 {
                codes.insert(code.to_string());
            }
        }
    }
    assert!(codes.len() > 50, "found only {} codes", codes.len());
    let reference = read("docs/reference.md");
    let missing: Vec<&String> = codes
        .iter()
        .filter(|code| {
            let anchor = format!("<a id=\"{}\"></a>", code.replace("::", "-"));
            !reference.contains(&anchor) || !reference.contains(&format!("`{code}`"))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "diagnostic codes without an entry in docs/reference.md#diagnostic-codes: {missing:?}"
    );
}
