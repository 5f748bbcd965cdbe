//! The lexical layer of the fast parser ([`super::fast`]): a cursor over the bytes of a
//! source that skips trivia (whitespace and comments, keeping the comments) and scans
//! the tokens of the grammar (identifiers, numbers, operators) exactly as the pest
//! grammar's atomic rules match them.
//!
//! The language is context-sensitive (heredocs, templates, block heads that only allow
//! spaces), so the parser drives the cursor token by token instead of reading a token
//! stream: each scanner starts at the cursor and leaves it after what it matched.

use super::ast::{BinaryOp, Comment};
use crate::source::{FileId, Span};

/// The fast parser gave up: the input is not, or not certainly, something it reads
/// exactly as the reference (pest) parser does. The caller falls back to pest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bail;

pub(crate) type Res<T> = Result<T, Bail>;

/// A saved position of the cursor, to backtrack to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    pos: usize,
    comments: usize,
}

pub(crate) struct Cursor<'a> {
    pub text: &'a str,
    pub bytes: &'a [u8],
    pub pos: usize,
    pub file: FileId,
    /// Comments met so far, in source order.
    pub comments: Vec<Comment>,
    /// Whether comments may appear at all (an expression parsed on its own keeps no
    /// comments, so its spans would include them: refuse them instead).
    comments_allowed: bool,
}

pub(crate) fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

pub(crate) fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'a> Cursor<'a> {
    pub fn new(file: FileId, text: &'a str, comments_allowed: bool) -> Self {
        Cursor {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            file,
            comments: Vec::new(),
            comments_allowed,
        }
    }

    pub fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The byte at the cursor, or 0 at the end (no token starts with a NUL byte).
    #[inline]
    pub fn peek(&self) -> u8 {
        self.at(self.pos)
    }

    #[inline]
    pub fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    pub fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            comments: self.comments.len(),
        }
    }

    pub fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.comments.truncate(m.comments);
    }

    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    /// Consumes `c` if it is next, then the trivia after it.
    pub fn eat(&mut self, c: u8) -> Res<bool> {
        if self.peek() == c {
            self.pos += 1;
            self.skip()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Consumes `c`, which must be next, then the trivia after it.
    pub fn expect(&mut self, c: u8) -> Res<()> {
        if self.eat(c)? {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Skips whitespace and comments (the grammar's implicit `WHITESPACE | COMMENT`).
    /// An unterminated `/*` fails: nothing in the grammar could read it otherwise.
    pub fn skip(&mut self) -> Res<()> {
        loop {
            match self.peek() {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                // U+FEFF, which the grammar counts as whitespace.
                0xEF if self.at(self.pos + 1) == 0xBB && self.at(self.pos + 2) == 0xBF => {
                    self.pos += 3;
                }
                b'#' => self.line_comment()?,
                b'/' if self.at(self.pos + 1) == b'/' => self.line_comment()?,
                b'/' if self.at(self.pos + 1) == b'*' => {
                    let start = self.pos;
                    let body = self.bytes.get(start + 2..).unwrap_or(&[]);
                    let Some(n) = find2(body, b'*', b'/') else {
                        return Err(Bail);
                    };
                    self.pos = start + 2 + n + 2;
                    self.comment(start, self.pos)?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn line_comment(&mut self) -> Res<()> {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or(&[]);
        self.pos = start + rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        self.comment(start, self.pos)
    }

    /// Records the comment `start..end` as the reference parser does (trimmed at its
    /// end). The reference trims node spans of trailing comments by looking for a comment
    /// that ends where the whitespace before it (`' '`, `'\t'`, `'\r'`, `'\n'`, U+FEFF)
    /// ends; a comment whose trimmed tail holds anything else would make it keep the
    /// comment in the span, so such (odd) comments are refused.
    fn comment(&mut self, start: usize, end: usize) -> Res<()> {
        if !self.comments_allowed {
            return Err(Bail);
        }
        let raw = self.slice(start, end);
        let text = raw.trim_end();
        let tail = raw.get(text.len()..).unwrap_or("");
        if text.ends_with('\u{FEFF}') || tail.bytes().any(|c| !matches!(c, b' ' | b'\t' | b'\r')) {
            return Err(Bail);
        }
        self.comments.push(Comment {
            text: text.to_string(),
            span: Span::new(self.file, start, start + text.len()),
        });
        Ok(())
    }

    /// Scans an identifier at the cursor (no trivia after it): its start and end.
    pub fn ident(&mut self) -> Res<(usize, usize)> {
        let start = self.pos;
        if !is_ident_start(self.peek()) {
            return Err(Bail);
        }
        let rest = self.bytes.get(start + 1..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&c| !is_ident_char(c))
            .unwrap_or(rest.len());
        self.pos = start + 1 + n;
        Ok((start, self.pos))
    }

    /// The identifier at the cursor, without consuming it ("" if there is none).
    pub fn peek_word(&self) -> &'a str {
        if !is_ident_start(self.peek()) {
            return "";
        }
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&c| !is_ident_char(c))
            .unwrap_or(rest.len());
        self.slice(self.pos, self.pos + n)
    }

    /// Scans a number (`number` in the grammar) at the cursor: its text.
    pub fn number(&mut self) -> Res<&'a str> {
        let start = self.pos;
        let digits = |c: &Self, mut i: usize| {
            while c.at(i).is_ascii_digit() || c.at(i) == b'_' {
                i += 1;
            }
            i
        };
        let mut i = digits(self, start + 1);
        if self.at(i) == b'.' && self.at(i + 1).is_ascii_digit() {
            i = digits(self, i + 2);
        }
        if matches!(self.at(i), b'e' | b'E') {
            let mut j = i + 1;
            if matches!(self.at(j), b'+' | b'-') {
                j += 1;
            }
            if self.at(j).is_ascii_digit() {
                while self.at(j).is_ascii_digit() {
                    j += 1;
                }
                i = j;
            }
        }
        if is_ident_char(self.at(i)) {
            return Err(Bail);
        }
        self.pos = i;
        Ok(self.slice(start, i))
    }

    /// The binary operator at the cursor and its length, as the grammar's `infix`
    /// alternatives match them, in their order.
    pub fn infix(&self) -> Option<(BinaryOp, usize)> {
        let next = self.at(self.pos + 1);
        let op = match (self.peek(), next) {
            (b'?', b'?') => (BinaryOp::Coalesce, 2),
            (b'|', b'|') => (BinaryOp::Or, 2),
            (b'&', b'&') => (BinaryOp::And, 2),
            (b'=', b'=') => (BinaryOp::Eq, 2),
            (b'!', b'=') => (BinaryOp::Ne, 2),
            (b'<', b'=') => (BinaryOp::Le, 2),
            (b'>', b'=') => (BinaryOp::Ge, 2),
            (b'<', n) if n != b'<' => (BinaryOp::Lt, 1),
            (b'>', _) => (BinaryOp::Gt, 1),
            (b'+', _) => (BinaryOp::Add, 1),
            (b'-', _) => (BinaryOp::Sub, 1),
            (b'*', _) => (BinaryOp::Mul, 1),
            (b'/', _) => (BinaryOp::Div, 1),
            (b'%', _) => (BinaryOp::Mod, 1),
            _ => return None,
        };
        Some(op)
    }

    /// Counts the spaces and tabs at the cursor (without consuming them).
    pub fn hspace(&self) -> usize {
        let rest = self.bytes.get(self.pos..).unwrap_or(&[]);
        rest.iter()
            .position(|&c| c != b' ' && c != b'\t')
            .unwrap_or(rest.len())
    }
}

/// The offset of the first `a` directly followed by `b` in `hay`.
fn find2(hay: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut from = 0;
    while let Some(n) = hay.get(from..)?.iter().position(|&c| c == a) {
        let i = from + n;
        if hay.get(i + 1) == Some(&b) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}
