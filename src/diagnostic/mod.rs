//! Diagnostics as plain data (code, message, labelled spans, help), and the one place that renders them.

pub mod codes;

use crate::span::Span;
use std::fmt;

/// One problem found in a program, located in its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// A namespaced, stable code such as `gfn::check::unknown_name`.
    pub code: &'static str,
    /// One line saying what is wrong.
    pub message: String,
    /// The primary label first; further labels point at related places.
    pub labels: Vec<Label>,
    /// A concrete suggestion.
    pub help: Option<String>,
}

/// A span with a short text shown under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// The source range the label points at.
    pub span: Span,
    /// What the label says about it.
    pub text: String,
}

impl Diagnostic {
    /// A diagnostic with a code and message, no labels and no help yet.
    pub fn new(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a label; the first one added is the primary label.
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the help text, replacing any earlier one.
    pub fn help(mut self, text: impl Into<String>) -> Diagnostic {
        self.help = Some(text.into());
        self
    }

    /// The primary span (used to sort diagnostics by position).
    pub fn span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// Sort by position and drop exact repeats (a `let` checked at several call sites reports once).
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by_key(|d| (d.span(), d.code));
    diagnostics.dedup();
}

/// How to colour rendered diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    /// Plain text, for pipes, files and tests.
    Never,
    /// ANSI colours, for a terminal.
    Always,
}

/// A diagnostic bound to its source, in the form miette renders.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: miette::NamedSource<String>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    /// Where the reference explains the code: `docs/reference.md#gfn-check-unknown_name`.
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(reference_link(self.diagnostic.code)))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diagnostic.labels.iter().map(|l| {
            miette::LabeledSpan::new_with_span(Some(l.text.clone()), l.span)
        })))
    }
}

/// The section of `docs/reference.md` that explains a diagnostic code.
pub fn reference_link(code: &str) -> String {
    format!("docs/reference.md#{}", code.replace("::", "-"))
}

/// Lines longer than this are not shown as source snippets (the renderer cannot lay out
/// columns past 65,535, and such a line would not read anyway).
const MAX_SNIPPET_LINE: usize = 1000;

/// A diagnostic whose labels sit on over-long lines, rewritten without snippets: each such
/// label becomes a note with its line, column and a short excerpt. `None` if none needs it.
fn clip_wide_lines(diagnostic: &Diagnostic, source: &str) -> Option<Diagnostic> {
    let line_of = |offset: usize| {
        let offset = offset.min(source.len());
        let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        (start, end)
    };
    let wide = |label: &Label| {
        let (start, end) = line_of(label.span.start as usize);
        end - start > MAX_SNIPPET_LINE
    };
    if !diagnostic.labels.iter().any(wide) {
        return None;
    }
    let mut clipped = diagnostic.clone();
    clipped.labels.retain(|l| !wide(l));
    let mut notes = Vec::new();
    for label in diagnostic.labels.iter().filter(|l| wide(l)) {
        let at = (label.span.start as usize).min(source.len());
        let (start, _) = line_of(at);
        let line = source[..start].matches('\n').count() + 1;
        let column = source[start..at].chars().count() + 1;
        let excerpt: String = source[at..]
            .chars()
            .take(40)
            .take_while(|c| *c != '\n')
            .collect();
        notes.push(format!(
            "at line {line}, column {column} ({}): `{}`",
            label.text,
            excerpt.trim_end()
        ));
    }
    clipped.message = format!("{} [{}]", clipped.message, notes.join("; "));
    Some(clipped)
}

/// Render diagnostics as text with source snippets, one after another.
pub fn render(
    diagnostics: &[Diagnostic],
    file_name: &str,
    source: &str,
    color: Color,
    width: usize,
) -> String {
    let theme = match color {
        Color::Always => miette::GraphicalTheme::unicode(),
        Color::Never => miette::GraphicalTheme::unicode_nocolor(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let clipped;
        let diagnostic = match clip_wide_lines(diagnostic, source) {
            Some(c) => {
                clipped = c;
                &clipped
            }
            None => diagnostic,
        };
        let report = Report {
            diagnostic,
            source: miette::NamedSource::new(file_name, source.to_string()),
        };
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!(
                "error[{}]: {}\n",
                diagnostic.code, diagnostic.message
            ));
        }
    }
    out
}
