//! Positions: LSP's (line, UTF-16 column) against byte offsets into a text.

use lsp_types::{Position, Range};

/// Byte offset of `pos` in `text` (clamped to the line's end and the text's end).
pub fn offset(text: &str, pos: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in text[line_start..line_end].char_indices() {
        if units >= pos.character {
            return line_start + i;
        }
        units += c.len_utf16() as u32;
    }
    line_end
}

/// The position of byte `offset` in `text`.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|b| *b == b'\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = before[line_start..]
        .chars()
        .map(|c| c.len_utf16() as u32)
        .sum();
    Position { line, character }
}

/// The range of bytes `start..end` in `text`.
pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range {
        start: position(text, start),
        end: position(text, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_agree_across_multibyte_text() {
        let text = "a = \"é😀x\"\nbb = 1\n";
        let x = text.find('x').unwrap();
        let p = position(text, x);
        // `é` is one UTF-16 unit, `😀` two.
        assert_eq!(
            p,
            Position {
                line: 0,
                character: 8
            }
        );
        assert_eq!(offset(text, p), x);
        let b = text.find("bb").unwrap();
        assert_eq!(
            position(text, b),
            Position {
                line: 1,
                character: 0
            }
        );
        assert_eq!(
            offset(
                text,
                Position {
                    line: 1,
                    character: 99
                }
            ),
            text.len() - 1
        );
    }
}
