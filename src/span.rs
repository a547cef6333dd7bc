//! Byte spans into a source file: every AST node and every diagnostic carries one.

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The offset of the first byte covered.
    pub start: u32,
    /// The offset one past the last byte covered; never less than `start`.
    pub end: u32,
}

impl Span {
    /// A span from byte offsets; offsets past `u32::MAX` saturate (files that large are refused earlier).
    pub fn new(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn merge(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The number of bytes covered.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes (a position, such as end of file).
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The text this span covers in `source` (empty when out of bounds).
    pub fn text(self, source: &str) -> &str {
        source
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> miette::SourceSpan {
        (span.start as usize, span.len()).into()
    }
}

impl From<pest::Span<'_>> for Span {
    /// Pest spans of rules that end in an optional repetition take in the whitespace and
    /// comments skipped before it; labels should end at the last character written.
    fn from(span: pest::Span<'_>) -> Span {
        let text = trim_trailing_trivia(span.as_str());
        Span::new(span.start(), span.start() + text.len())
    }
}

/// `text` without trailing whitespace and `#` comments (the language has no strings, so a `#`
/// always starts a comment).
fn trim_trailing_trivia(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_end();
        let line_start = trimmed.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let trimmed = match trimmed[line_start..].find('#') {
            Some(hash) => &trimmed[..line_start + hash],
            None => trimmed,
        };
        if trimmed.len() == text.len() {
            return text;
        }
        text = trimmed;
    }
}

#[cfg(test)]
mod tests {
    use super::trim_trailing_trivia;

    #[test]
    fn trailing_whitespace_and_comments_are_not_part_of_a_span() {
        assert_eq!(trim_trailing_trivia("2 ** 70\n"), "2 ** 70");
        assert_eq!(trim_trailing_trivia("x  # note\n  # more\n "), "x");
        assert_eq!(trim_trailing_trivia("a\n# c\nb"), "a\n# c\nb");
    }
}
