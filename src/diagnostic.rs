//! Diagnostics as plain data (code, message, labelled spans, help), and the one place that renders them.

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
    pub span: Span,
    pub text: String,
}

impl Diagnostic {
    pub fn new(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

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
    Never,
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

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diagnostic.labels.iter().map(|l| {
            miette::LabeledSpan::new_with_span(Some(l.text.clone()), l.span)
        })))
    }
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
