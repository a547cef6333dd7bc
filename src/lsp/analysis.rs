//! What the server knows about one document: its diagnostics, and what a name under the cursor
//! is and where it is defined. No I/O here, so that all of it is tested without a client.

use super::builtins;
use super::index::{DefKind, Definition, Index, Target};
use super::text::Lines;
use crate::diagnostic::codes;
use crate::hir::Constant;
use crate::span::Span;
use crate::{Checks, Diagnostic, Model};
use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

/// Reachable states explored while typing: a fifth of `gfnc check`'s default, so that a
/// keystroke is checked in well under a second on the examples; beyond it the checks are
/// partial, as `gfnc check --max-states` makes them.
pub const MAX_STATES: usize = 200_000;

/// The time the graph checks of one version of a file may take: a keystroke costs at most
/// about a second of CPU, whatever the space.
pub const GRAPH_SECONDS: f64 = 1.0;

/// `gfnc check`'s checks, lighter: a smaller budget of states and time, and no probe (its
/// trajectories take up to five seconds and are random; an editor wants the exhaustive part
/// quickly).
pub fn checks() -> Checks {
    let mut checks = Checks {
        probe: 0,
        ..Checks::default()
    };
    checks.budget.max_states = MAX_STATES;
    checks.budget.max_time = Some(std::time::Duration::from_secs_f64(GRAPH_SECONDS));
    checks
}

/// `source` as the compiler reads it: a leading byte-order mark (editors on some systems write
/// one) becomes three spaces, its three bytes, so that every span is still a byte offset into
/// the editor's text and positions are counted on that text, as the editor counts them.
fn parseable(source: &str) -> Cow<'_, str> {
    match source.strip_prefix('\u{feff}') {
        Some(rest) => Cow::Owned(format!("   {rest}")),
        None => Cow::Borrowed(source),
    }
}

/// Both halves of the checks in one call (the server runs them apart, to publish static errors
/// at once and cancel stale graph checks).
#[cfg(test)]
fn check(source: &str, dir: &Path) -> Result<Model, Vec<Diagnostic>> {
    let (model, env) = check_static(source, dir)?;
    check_graph(model, env, &|| false)
}

/// Everything `gfnc check` runs on `source` (a file in folder `dir`), in two halves; this one
/// parses, checks and compiles, in milliseconds: what the editor shows at once. A panic in the
/// compiler becomes a diagnostic (and is logged by the panic hook), so that one bad file
/// cannot end the server.
pub fn check_static(
    source: &str,
    dir: &Path,
) -> Result<(Model, crate::env::Environment), Vec<Diagnostic>> {
    let source = &*parseable(source);
    let run = || -> Result<(Model, crate::env::Environment), Vec<Diagnostic>> {
        let model = crate::check::load_in(source, &[], dir)?;
        let env = crate::env::Environment::new(&model)?;
        Ok((model, env))
    };
    catch_unwind(AssertUnwindSafe(run))
        .unwrap_or_else(|_| Err(vec![internal_error("checking this file")]))
}

/// The graph half of the checks (after [`check_static`]), within [`checks`]' budget of states and time, stopped early
/// once `cancelled` says so (the next edit made it stale). A file whose reward calls
/// `extern(...)` is checked up to compilation only: opening a file in an editor must not run
/// the command it names (it may be untrusted, or slow).
pub fn check_graph(
    model: Model,
    env: crate::env::Environment,
    cancelled: &dyn Fn() -> bool,
) -> Result<Model, Vec<Diagnostic>> {
    if !model.scorers.is_empty() {
        return Ok(model);
    }
    let run = || crate::check_graph(model, env, &checks(), &mut |_, _| {}, cancelled);
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(result) => result.map(|validated| validated.model),
        Err(_) => Err(vec![internal_error("checking this file")]),
    }
}

/// Parse and check only (no exploration): what hover needs for the values of params and
/// consts, when the last full check is not of this text.
pub fn load(source: &str, dir: &Path) -> Option<Model> {
    let source = &*parseable(source);
    catch_unwind(AssertUnwindSafe(|| crate::check::load_in(source, &[], dir)))
        .ok()?
        .ok()
}

/// The names of a file that parses; `None` when it does not (the diagnostics say why).
pub fn index(source: &str) -> Option<Index> {
    let source = &*parseable(source);
    let run = || {
        // The parser and the walk recurse: both run on the front end's large stack.
        crate::stack::with_large_stack(|| {
            crate::syntax::parse::parse_here(source)
                .map(|program| Index::new(&program))
                .map_err(|d| vec![d])
        })
    };
    catch_unwind(AssertUnwindSafe(run)).ok()?.ok()
}

fn internal_error(what: &str) -> Diagnostic {
    Diagnostic::new(
        codes::internal::PANIC,
        format!("internal error in gfnc while {what}"),
    )
    .label(Span::default(), "")
    .help("this is a bug in gfnc: the language server's log (stderr) has the details")
}

/// The LSP form of `gfnc check`'s diagnostics: the first label is the range, the others
/// related information; the help goes under the message, as the terminal shows it.
pub fn to_lsp(uri: &Uri, source: &str, found: &[Diagnostic]) -> Vec<lsp_types::Diagnostic> {
    let lines = Lines::new(source);
    found
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            let related: Vec<DiagnosticRelatedInformation> = d
                .labels
                .iter()
                .skip(1)
                .map(|label| DiagnosticRelatedInformation {
                    location: Location::new(uri.clone(), lines.range(label.span)),
                    message: label.text.clone(),
                })
                .collect();
            lsp_types::Diagnostic {
                range: lines.range(d.span()),
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String(d.code.to_string())),
                source: Some("gfnc".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..lsp_types::Diagnostic::default()
            }
        })
        .collect()
}

/// What a name defined by the file needs from the checked model.
pub fn needs_model(index: &Index, offset: usize) -> bool {
    let target = index.at(offset).and_then(|o| index.resolve(o));
    matches!(
        target,
        Some(Target::Definition(Definition {
            kind: DefKind::Param { .. } | DefKind::Const { .. } | DefKind::Field { .. },
            ..
        }))
    )
}

/// Markdown about the name at `offset`, and the span of that name; `model` is the checked
/// model of this very text, when it checks.
pub fn hover(
    source: &str,
    index: &Index,
    model: Option<&Model>,
    offset: usize,
) -> Option<(Span, String)> {
    let occurrence = index.at(offset)?;
    let text = match index.resolve(occurrence)? {
        Target::Builtin(name) => builtins::function(name)?,
        Target::Method(name) => builtins::method(name)?,
        Target::Definition(definition) => describe(source, definition, model),
    };
    Some((occurrence.span, text))
}

/// Where the name at `offset` is defined.
pub fn definition(index: &Index, offset: usize) -> Option<Span> {
    match index.resolve(index.at(offset)?)? {
        Target::Definition(definition) => Some(definition.span),
        Target::Builtin(_) | Target::Method(_) => None,
    }
}

/// Values shown on hover are cut here: a loaded table can hold a million numbers.
const SHOWN_CHARS: usize = 240;

fn describe(source: &str, definition: &Definition, model: Option<&Model>) -> String {
    let name = definition.name.as_str();
    let written = |span: Span| shorten(span.text(source));
    let constant = |list: fn(&Model) -> &Vec<Constant>| {
        model.and_then(|m| list(m).iter().find(|c| c.name == name))
    };
    match &definition.kind {
        DefKind::Param { ty, value } => match constant(|m| &m.params) {
            Some(c) => code(&format!("param {name}: {} = {}", c.ty, bounded(&c.value))),
            None => code(&format!(
                "param {name}: {} = {}",
                written(*ty),
                written(*value)
            )),
        },
        DefKind::Const { value } => match constant(|m| &m.consts) {
            Some(c) => code(&format!("const {name}: {} = {}", c.ty, bounded(&c.value))),
            None => code(&format!("const {name} = {}", written(*value))),
        },
        DefKind::Field { ty } => {
            match model.and_then(|m| m.fields.iter().find(|f| f.name == name)) {
                Some(f) => format!(
                    "{}state field, `{}` in the initial state",
                    code(&format!("{name}: {}", f.ty)),
                    bounded(&f.init)
                ),
                None => format!("{}state field", code(&format!("{name}: {}", written(*ty)))),
            }
        }
        DefKind::Let => code(&definition_lines(source, definition.item)),
        DefKind::Action => code(&first_line(definition.item.text(source))),
        DefKind::ActionArg { action, domain } => format!(
            "{}argument of `action {action}`",
            code(&format!("{name} in {}", written(*domain)))
        ),
        DefKind::LetParam { let_name } => {
            format!("{}parameter of `let {let_name}`", code(name))
        }
        DefKind::AggregateVar { function, domain } => format!(
            "{}variable of `{function}(...)`",
            code(&format!("{name} in {}", written(*domain)))
        ),
    }
}

/// A fenced block of `.gfn` (editors colour it with the grammar of editors/vscode).
fn code(text: &str) -> String {
    format!("```gfn\n{text}\n```\n")
}

/// The whole lines a definition is written on, at most a dozen.
fn definition_lines(source: &str, item: Span) -> String {
    let start = source
        .get(..item.start as usize)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |at| at + 1);
    let end = source
        .get(item.end as usize..)
        .and_then(|after| after.find('\n'))
        .map_or(source.len(), |at| item.end as usize + at);
    let text = source.get(start..end).unwrap_or("");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 12 {
        format!("{}\n...", lines[..12].join("\n"))
    } else {
        shorten(text.trim_end())
    }
}

fn first_line(text: &str) -> String {
    shorten(text.lines().next().unwrap_or("").trim_end())
}

/// Text cut to [`SHOWN_CHARS`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}

/// A value's display cut to [`SHOWN_CHARS`] characters without printing all of it first.
fn bounded(value: &dyn fmt::Display) -> String {
    /// Stops the formatter (with an error) once full.
    struct Limited(String);
    impl fmt::Write for Limited {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = SHOWN_CHARS.saturating_sub(self.0.chars().count());
            match s.char_indices().nth(room) {
                Some((at, _)) => {
                    self.0.push_str(&s[..at]);
                    Err(fmt::Error)
                }
                None => {
                    self.0.push_str(s);
                    Ok(())
                }
            }
        }
    }
    let mut out = Limited(String::new());
    match write!(out, "{value}") {
        Ok(()) => out.0,
        Err(_) => format!("{}...", out.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const PROGRAM: &str = "env t
param N: int = 3
const C = N * 2
state { n: 0..8, xs: [bool; 2] }
let big = n > N
let twice(k) = 2 * k
action inc(i in 0..2) when n < C and not big { n += i + 1 }
stop
reward float(twice(n)) + sum(j in 0..N: float(j))
";

    fn offset_of(needle: &str, nth: usize) -> usize {
        PROGRAM
            .match_indices(needle)
            .nth(nth)
            .map(|(at, _)| at)
            .unwrap_or_else(|| panic!("`{needle}` #{nth} not in the program"))
    }

    fn hover_at(needle: &str, nth: usize) -> String {
        let index = index(PROGRAM).expect("the program parses");
        let model = check(PROGRAM, Path::new(".")).expect("the program checks");
        hover(PROGRAM, &index, Some(&model), offset_of(needle, nth))
            .map(|(_, text)| text)
            .unwrap_or_default()
    }

    #[test]
    fn hover_shows_types_values_and_definitions() {
        let shows = |needle: &str, nth: usize, expected: &str| {
            let text = hover_at(needle, nth);
            assert!(text.contains(expected), "hover on `{needle}`: {text:?}");
        };
        shows("N", 1, "param N: int = 3");
        shows("C", 1, "const C: int = 6");
        shows("n <", 0, "n: 0..8");
        shows("big {", 0, "let big = n > N");
        shows("i +", 0, "i in 0..2");
        shows("j)", 0, "variable of `sum(...)`");
        shows("sum", 0, "sum(i in D: e)");
        shows("float(t", 0, "float(x)");
        shows("k)", 0, "parameter of `let twice`");
        // Nothing to say about a keyword or a number.
        assert_eq!(hover_at("reward", 0), "");
        assert_eq!(hover_at("3", 0), "");
    }

    #[test]
    fn hover_without_a_model_shows_the_source() {
        let index = index(PROGRAM).expect("the program parses");
        let text = hover(PROGRAM, &index, None, offset_of("N", 1)).map(|(_, t)| t);
        assert_eq!(text.as_deref(), Some("```gfn\nparam N: int = 3\n```\n"));
    }

    #[test]
    fn definitions_resolve_through_scopes() {
        let index = index(PROGRAM).expect("the program parses");
        let at = |needle: &str, nth: usize| {
            definition(&index, offset_of(needle, nth)).map(|s| s.start as usize)
        };
        assert_eq!(at("big {", 0), Some(offset_of("big", 0)));
        assert_eq!(at("N", 2), Some(offset_of("N", 0)));
        assert_eq!(at("i +", 0), Some(offset_of("i in", 0)));
        assert_eq!(at("twice(n", 0), Some(offset_of("twice", 0)));
        assert_eq!(at("n +=", 0), Some(offset_of("n:", 0)));
        assert_eq!(at("sum", 0), None);
    }

    #[test]
    fn values_are_cut_without_being_printed_whole() {
        let long: Vec<crate::hir::Value> = (0..100_000).map(crate::hir::Value::Int).collect();
        let shown = bounded(&crate::hir::Value::Array(long));
        assert!(shown.ends_with("...") && shown.chars().count() == SHOWN_CHARS + 3);
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn diagnostics_carry_code_range_help_and_related_labels() {
        let source = "env t\nstate { n: 0..3 }\naction a { n += foo }\nstop\nreward 1";
        let found = check(source, Path::new(".")).err().unwrap_or_default();
        let uri = Uri::from_str("file:///tmp/t.gfn").expect("a URI");
        let converted = to_lsp(&uri, source, &found);
        assert_eq!(converted.len(), 1, "{converted:?}");
        let d = &converted[0];
        assert_eq!(
            d.code,
            Some(NumberOrString::String(codes::check::UNKNOWN_NAME.into()))
        );
        assert_eq!((d.range.start.line, d.range.start.character), (2, 16));
        assert_eq!((d.range.end.line, d.range.end.character), (2, 19));
        assert!(d.message.contains("\nhelp: "), "{}", d.message);
        assert_eq!(d.source.as_deref(), Some("gfnc"));
        assert!(check(PROGRAM, Path::new(".")).is_ok());
    }

    #[test]
    fn a_byte_order_mark_is_accepted_and_positions_stay_on_their_line() {
        // Line 2 (0-based) of the editor's text, column 16: the mark is on line 0 only.
        let source = "\u{feff}env t\nstate { n: 0..3 }\naction a { n += foo }\nstop\nreward 1";
        let found = check(source, Path::new(".")).err().unwrap_or_default();
        let uri = Uri::from_str("file:///tmp/t.gfn").expect("a URI");
        let converted = to_lsp(&uri, source, &found);
        assert_eq!(converted.len(), 1, "{converted:?}");
        let d = &converted[0];
        assert_eq!((d.range.start.line, d.range.start.character), (2, 16));
        assert_eq!((d.range.end.line, d.range.end.character), (2, 19));
        // On the first line the mark is one UTF-16 unit, as the editor counts it.
        let source = "\u{feff}evn t\nstate { n: 0..3 }\nstop\nreward 1";
        let found = check(source, Path::new(".")).err().unwrap_or_default();
        let converted = to_lsp(&uri, source, &found);
        assert_eq!(converted.len(), 1, "{converted:?}");
        let start = converted[0].range.start;
        assert_eq!((start.line, start.character), (0, 1), "{converted:?}");
        // Hover and go-to-definition parse the same text.
        let source = "\u{feff}env t\nstate { n: 0..3 }\naction a { n += 1 }\nstop\nreward 1";
        let index = index(source).expect("parses");
        let offset = source.find("n +=").expect("n");
        let found = definition(&index, offset).map(|s| s.text(source).to_string());
        assert_eq!(found.as_deref(), Some("n"));
    }
}
