//! Byte offsets (what spans hold) to LSP positions (line and UTF-16 code unit) and back.
//!
//! LSP counts characters in UTF-16 code units by default, while every span of the compiler is
//! a byte offset into UTF-8 text: a name after an `é` in a comment would otherwise be
//! underlined one column too far right. Both directions clamp instead of failing, because the
//! editor may send a position past the end of a line or file (it is not a protocol error).

use crate::span::Span;
use lsp_types::{Position, Range};

/// The start of every line of one text, to convert offsets without rescanning the file.
pub struct Lines<'a> {
    text: &'a str,
    /// Byte offset of the first character of each line; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    /// Index the lines of `text` (split at `\n`; a `\r` before it belongs to the line).
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    /// The position of byte `offset`, clamped to the text and moved back to a character
    /// boundary (a span never splits a character, but a clamped one might).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The last line starting at or before the offset.
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let character: usize = self
            .text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(char::len_utf16)
            .sum();
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(character).unwrap_or(u32::MAX),
        }
    }

    /// The range a span covers.
    pub fn range(&self, span: Span) -> Range {
        Range {
            start: self.position(span.start as usize),
            end: self.position(span.end as usize),
        }
    }

    /// The byte offset of a position: past the end of its line it is the line's end, past the
    /// last line the end of the text; a position inside a surrogate pair rounds down.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = self.text.get(start..).unwrap_or("");
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0usize;
        for (at, c) in line.char_indices() {
            units += c.len_utf16();
            if units > position.character as usize {
                return start + at;
            }
        }
        start + line.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;
    use lsp_types::Position;

    fn at(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn offsets_and_positions_agree_on_ascii_and_wider_characters() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝔁` is 4 bytes and 2 units.
        let text = "ab\n# é 𝔁 x\r\nlast";
        let lines = Lines::new(text);
        assert_eq!(lines.position(0), at(0, 0));
        assert_eq!(lines.position(3), at(1, 0));
        let x = text.find(" x").map(|i| i + 1).unwrap_or(0);
        assert_eq!(lines.position(x), at(1, 7));
        assert_eq!(lines.offset(at(1, 7)), x);
        assert_eq!(lines.offset(at(2, 2)), text.len() - 2);
        // Clamped: past a line's end, past the last line, past the text.
        assert_eq!(lines.offset(at(0, 99)), 2);
        assert_eq!(lines.offset(at(99, 0)), text.len());
        assert_eq!(lines.position(10_000), at(2, 4));
        // Inside `é` (not a boundary): the start of the character.
        let e = text.find('é').unwrap_or(0);
        assert_eq!(lines.position(e + 1), lines.position(e));
    }
}
