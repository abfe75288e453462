//! The restricted Python literal parser for fileConfig's `args` and `kwargs`.
//!
//! Python evaluates these values as code (`eval(text, vars(logging))`); we never do. This is a
//! parser, not an evaluator: it accepts Python literals and the handful of names real
//! configurations use, and refuses everything else with an error naming the token and where
//! it is. Nothing in the text is ever executed, imported or opened.
//!
//! Accepted:
//!
//! * tuples (`()`, `(x,)`, `(x, y)`, and a bare `x, y` at the top level, as `eval` accepts),
//!   lists, dicts (hashable keys; a repeated key keeps its first position and last value, as
//!   Python), parentheses around a value;
//! * strings: `'…'`, `"…"`, triple-quoted, `r`/`u` prefixes (any case), Python's escapes
//!   (`\n \t \\ \' \x41 \u00e9 \U0001F600 \101`, backslash-newline; unknown escapes keep the
//!   backslash), adjacent literals concatenated;
//! * ints (decimal, `0x`, `0o`, `0b`, underscores; 64-bit) and floats (`1.5`, `.5`, `1e3`),
//!   with unary `-`/`+`;
//! * arithmetic on numbers (`+ - * / // % **`, with Python's precedence and results), as in
//!   a RotatingFileHandler's `10*1024*1024`: constants folded here, never code run. A result
//!   beyond 64 bits, a division by zero or a float overflow is refused;
//! * `True`, `False`, `None`;
//! * `sys.stdout`, `sys.stderr`, the level constants (`DEBUG` … `NOTSET`, `WARN`, `FATAL`),
//!   `handlers.SysLogHandler.LOG_*` (every priority and facility constant, with Python's
//!   numbers), `handlers.SYSLOG_UDP_PORT`, `handlers.SYSLOG_TCP_PORT`,
//!   `handlers.DEFAULT_TCP_LOGGING_PORT`, `handlers.DEFAULT_UDP_LOGGING_PORT`,
//!   `handlers.socket.SOCK_STREAM`, `handlers.socket.SOCK_DGRAM`;
//! * `#` comments, line breaks inside brackets, backslash line continuations.
//!
//! Refused: every other name, calls, attribute access and subscripts on anything else,
//! other operators and operators on anything but numbers, keywords (`lambda`, `for`, `if`, `not` …), sets, starred items, bytes, f-strings,
//! complex numbers, `\N{…}` escapes and lone surrogates (which a Rust string cannot hold).
//! Nesting deeper than [`MAX_DEPTH`] is refused, so hostile input cannot exhaust the stack.

use crate::PyValue;

/// The deepest nesting of brackets accepted (Python's own parser stops near 200).
pub(crate) const MAX_DEPTH: usize = 100;

/// A refused or malformed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PyError {
    /// Byte offset of the offending token in the text.
    pub(crate) at: usize,
    /// The offending token.
    pub(crate) token: String,
    /// What is wrong.
    pub(crate) message: String,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Parsed {
    /// The value.
    pub(crate) value: PyValue,
    /// Byte spans of the top-level items: a sequence's elements, or a dict's values (in the
    /// dict's order); empty for anything else.
    pub(crate) items: Vec<(usize, usize)>,
}

/// The names we resolve, with their values (checked against python3 3.11).
fn resolve(name: &str) -> Option<PyValue> {
    const LEVELS: [(&str, i64); 8] = [
        ("CRITICAL", 50),
        ("FATAL", 50),
        ("ERROR", 40),
        ("WARNING", 30),
        ("WARN", 30),
        ("INFO", 20),
        ("DEBUG", 10),
        ("NOTSET", 0),
    ];
    const SYSLOG: [(&str, i64); 32] = [
        // Priorities.
        ("LOG_EMERG", 0),
        ("LOG_ALERT", 1),
        ("LOG_CRIT", 2),
        ("LOG_ERR", 3),
        ("LOG_WARNING", 4),
        ("LOG_NOTICE", 5),
        ("LOG_INFO", 6),
        ("LOG_DEBUG", 7),
        // Facilities (codes, not shifted).
        ("LOG_KERN", 0),
        ("LOG_USER", 1),
        ("LOG_MAIL", 2),
        ("LOG_DAEMON", 3),
        ("LOG_AUTH", 4),
        ("LOG_SYSLOG", 5),
        ("LOG_LPR", 6),
        ("LOG_NEWS", 7),
        ("LOG_UUCP", 8),
        ("LOG_CRON", 9),
        ("LOG_AUTHPRIV", 10),
        ("LOG_FTP", 11),
        ("LOG_NTP", 12),
        ("LOG_SECURITY", 13),
        ("LOG_CONSOLE", 14),
        ("LOG_SOLCRON", 15),
        ("LOG_LOCAL0", 16),
        ("LOG_LOCAL1", 17),
        ("LOG_LOCAL2", 18),
        ("LOG_LOCAL3", 19),
        ("LOG_LOCAL4", 20),
        ("LOG_LOCAL5", 21),
        ("LOG_LOCAL6", 22),
        ("LOG_LOCAL7", 23),
    ];
    const HANDLERS: [(&str, i64); 6] = [
        ("SYSLOG_UDP_PORT", 514),
        ("SYSLOG_TCP_PORT", 514),
        ("DEFAULT_TCP_LOGGING_PORT", 9020),
        ("DEFAULT_UDP_LOGGING_PORT", 9021),
        ("socket.SOCK_STREAM", 1),
        ("socket.SOCK_DGRAM", 2),
    ];
    let find = |table: &[(&str, i64)], n: &str| {
        table
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| PyValue::Int(*v))
    };
    match name {
        "sys.stdout" => Some(PyValue::Stdout),
        "sys.stderr" => Some(PyValue::Stderr),
        _ => {
            if let Some(c) = name.strip_prefix("handlers.SysLogHandler.") {
                find(&SYSLOG, c)
            } else if let Some(c) = name.strip_prefix("handlers.") {
                find(&HANDLERS, c)
            } else {
                find(&LEVELS, name)
            }
        }
    }
}

const ALLOWED_NAMES: &str = "sys.stdout, sys.stderr, DEBUG/INFO/WARNING/ERROR/CRITICAL/NOTSET, \
    handlers.SysLogHandler.LOG_*, handlers.SYSLOG_UDP_PORT, handlers.SYSLOG_TCP_PORT, \
    handlers.DEFAULT_TCP_LOGGING_PORT, handlers.DEFAULT_UDP_LOGGING_PORT, \
    handlers.socket.SOCK_STREAM, handlers.socket.SOCK_DGRAM";

const KEYWORDS: [&str; 32] = [
    "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
    "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda",
    "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

// === tokens ===

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Int(i128),
    Float(f64),
    Name(String),
    /// Punctuation and operators, as written.
    Op(String),
    /// A line break outside brackets.
    Newline,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

fn is_id_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_id_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_char_at(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn err(&self, start: usize, end: usize, message: impl Into<String>) -> PyError {
        let end = end.min(self.src.len()).max(start);
        let mut token: String = self.src[start..end].chars().take(60).collect();
        if token.is_empty() {
            token = self.src[start..].chars().take(1).collect();
        }
        PyError {
            at: start,
            token,
            message: message.into(),
        }
    }

    fn next_token(&mut self) -> Result<Token, PyError> {
        loop {
            let Some(c) = self.peek_char() else {
                return Ok(Token {
                    tok: Tok::End,
                    start: self.pos,
                    end: self.pos,
                });
            };
            let start = self.pos;
            match c {
                ' ' | '\t' | '\x0c' => self.pos += 1,
                '#' => {
                    self.pos += self.src[self.pos..]
                        .find(['\n', '\r'])
                        .unwrap_or(self.src.len() - self.pos);
                }
                '\\' => {
                    let rest = &self.src[self.pos + 1..];
                    if rest.starts_with("\r\n") {
                        self.pos += 3;
                    } else if rest.starts_with('\n') || rest.starts_with('\r') {
                        self.pos += 2;
                    } else {
                        return Err(self.err(
                            start,
                            start + 1,
                            "unexpected character after line continuation '\\'",
                        ));
                    }
                }
                '\n' | '\r' => {
                    self.pos += 1;
                    if self.depth == 0 {
                        return Ok(Token {
                            tok: Tok::Newline,
                            start,
                            end: self.pos,
                        });
                    }
                }
                '0'..='9' => return self.number(),
                '.' if matches!(self.peek_char_at(1), Some('0'..='9')) => return self.number(),
                '\'' | '"' => return self.string(start, false),
                c if is_id_start(c) => {
                    let len: usize = self.src[self.pos..]
                        .chars()
                        .take_while(|&c| is_id_continue(c))
                        .map(char::len_utf8)
                        .sum();
                    let word = &self.src[self.pos..self.pos + len];
                    let after = self.src[self.pos + len..].chars().next();
                    if matches!(after, Some('\'' | '"')) {
                        match word.to_ascii_lowercase().as_str() {
                            "r" => {
                                self.pos += len;
                                return self.string(start, true);
                            }
                            "u" => {
                                self.pos += len;
                                return self.string(start, false);
                            }
                            "f" | "fr" | "rf" => {
                                self.pos += len;
                                let _ = self.string(start, true);
                                return Err(self.err(
                                    start,
                                    self.pos,
                                    "f-strings are not allowed (they run code)",
                                ));
                            }
                            "b" | "br" | "rb" => {
                                self.pos += len;
                                let _ = self.string(start, true);
                                return Err(self.err(
                                    start,
                                    self.pos,
                                    "bytes literals are not supported",
                                ));
                            }
                            _ => {}
                        }
                    }
                    self.pos += len;
                    return Ok(Token {
                        tok: Tok::Name(word.to_owned()),
                        start,
                        end: self.pos,
                    });
                }
                _ => {
                    const OPS: [&str; 23] = [
                        "**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "<<", ">>",
                        "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
                    ];
                    let rest = &self.src[self.pos..];
                    let len = OPS
                        .iter()
                        .find(|op| rest.starts_with(*op))
                        .map_or(c.len_utf8(), |op| op.len());
                    let op = &rest[..len];
                    match op {
                        "(" | "[" | "{" => self.depth += 1,
                        ")" | "]" | "}" => self.depth = self.depth.saturating_sub(1),
                        _ => {}
                    }
                    self.pos += len;
                    return Ok(Token {
                        tok: Tok::Op(op.to_owned()),
                        start,
                        end: self.pos,
                    });
                }
            }
        }
    }

    /// Consumes `[0-9](_?[0-9])*` style digits for `radix`; returns the digits without
    /// underscores, or `None` when malformed (`1__0`, `1_`).
    fn digits(&mut self, radix: u32, leading_underscore: bool) -> Option<String> {
        let mut out = String::new();
        let mut prev_underscore = false;
        let mut first = true;
        while let Some(c) = self.peek_char() {
            if c == '_' {
                if prev_underscore || (first && !leading_underscore) {
                    return None;
                }
                prev_underscore = true;
            } else if c.is_digit(radix) {
                out.push(c);
                prev_underscore = false;
            } else {
                break;
            }
            first = false;
            self.pos += 1;
        }
        (!prev_underscore && !out.is_empty()).then_some(out)
    }

    fn number(&mut self) -> Result<Token, PyError> {
        let start = self.pos;
        let bad = |lx: &mut Self, what: &str| {
            let len: usize = lx.src[lx.pos..]
                .chars()
                .take_while(|&c| is_id_continue(c) || c == '.')
                .map(char::len_utf8)
                .sum();
            lx.pos += len;
            Err(lx.err(start, lx.pos, format!("invalid {what} literal")))
        };
        let rest = &self.src[self.pos..];
        let radix = match rest.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("0x") => Some((16, "hexadecimal")),
            Some("0o") => Some((8, "octal")),
            Some("0b") => Some((2, "binary")),
            _ => None,
        };
        let tok = if let Some((radix, what)) = radix {
            self.pos += 2;
            let Some(digits) = self.digits(radix, true) else {
                return bad(self, what);
            };
            if self
                .peek_char()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                return bad(self, what);
            }
            match u128::from_str_radix(&digits, radix) {
                Ok(v) if v <= i64::MAX as u128 + 1 => Tok::Int(v as i128),
                _ => return Err(self.err(start, self.pos, "integer does not fit in 64 bits")),
            }
        } else {
            let int_part = if rest.starts_with('.') {
                String::new()
            } else {
                match self.digits(10, false) {
                    Some(d) => d,
                    None => return bad(self, "decimal"),
                }
            };
            let mut is_float = false;
            let mut frac = String::new();
            let mut exp = String::new();
            if self.peek_char() == Some('.') {
                is_float = true;
                self.pos += 1;
                if self.peek_char().is_some_and(|c| c.is_ascii_digit()) {
                    match self.digits(10, false) {
                        Some(d) => frac = d,
                        None => return bad(self, "decimal"),
                    }
                }
            }
            if matches!(self.peek_char(), Some('e' | 'E')) {
                let save = self.pos;
                self.pos += 1;
                let mut sign = "";
                if let Some(s @ ('+' | '-')) = self.peek_char() {
                    sign = if s == '-' { "-" } else { "" };
                    self.pos += 1;
                }
                match self.digits(10, false) {
                    Some(d) => {
                        exp = format!("e{sign}{d}");
                        is_float = true;
                    }
                    None => {
                        self.pos = save;
                        return bad(self, "decimal");
                    }
                }
            }
            if matches!(self.peek_char(), Some('j' | 'J')) {
                self.pos += 1;
                return Err(self.err(start, self.pos, "complex numbers are not supported"));
            }
            if self
                .peek_char()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                return bad(self, "decimal");
            }
            if is_float {
                let int_part = if int_part.is_empty() { "0" } else { &int_part };
                let frac = if frac.is_empty() { "0" } else { &frac };
                let text = format!("{int_part}.{frac}{exp}");
                match text.parse::<f64>() {
                    Ok(f) => Tok::Float(f),
                    Err(_) => return bad(self, "float"),
                }
            } else {
                if int_part.len() > 1
                    && int_part.starts_with('0')
                    && int_part.bytes().any(|b| b != b'0')
                {
                    return Err(self.err(
                        start,
                        self.pos,
                        "leading zeros in decimal integer literals are not permitted (use 0o for octal)",
                    ));
                }
                match int_part.parse::<u128>() {
                    Ok(v) if v <= i64::MAX as u128 + 1 => Tok::Int(v as i128),
                    _ => return Err(self.err(start, self.pos, "integer does not fit in 64 bits")),
                }
            }
        };
        Ok(Token {
            tok,
            start,
            end: self.pos,
        })
    }

    /// A string literal starting at the quote at `self.pos` (`start` includes any prefix).
    fn string(&mut self, start: usize, raw: bool) -> Result<Token, PyError> {
        let quote = self.peek_char().unwrap_or('\'');
        let triple = self.src[self.pos..].starts_with(&quote.to_string().repeat(3));
        let delim_len = if triple { 3 } else { 1 };
        self.pos += delim_len;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek_char() else {
                return Err(self.err(start, self.pos, "unterminated string literal"));
            };
            if c == quote {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.src[self.pos..].starts_with(&quote.to_string().repeat(3)) {
                    self.pos += 3;
                    break;
                }
                out.push(c);
                self.pos += 1;
                continue;
            }
            if c == '\n' || c == '\r' {
                if !triple {
                    return Err(self.err(start, self.pos, "unterminated string literal"));
                }
                self.pos += 1;
                if c == '\r' && self.peek_char() == Some('\n') {
                    self.pos += 1;
                }
                out.push('\n');
                continue;
            }
            if c != '\\' {
                out.push(c);
                self.pos += c.len_utf8();
                continue;
            }
            let esc_start = self.pos;
            self.pos += 1;
            let Some(e) = self.peek_char() else {
                return Err(self.err(start, self.pos, "unterminated string literal"));
            };
            if raw {
                out.push('\\');
                if e == '\r' || e == '\n' {
                    // Kept by the next iteration (as a line break, in triple quotes only).
                    if !triple {
                        self.pos += 1;
                        if e == '\r' && self.peek_char() == Some('\n') {
                            self.pos += 1;
                        }
                        out.push('\n');
                    }
                    continue;
                }
                out.push(e);
                self.pos += e.len_utf8();
                continue;
            }
            self.pos += e.len_utf8();
            let simple = match e {
                '\n' => Some(None),
                '\r' => {
                    if self.peek_char() == Some('\n') {
                        self.pos += 1;
                    }
                    Some(None)
                }
                '\\' => Some(Some('\\')),
                '\'' => Some(Some('\'')),
                '"' => Some(Some('"')),
                'a' => Some(Some('\x07')),
                'b' => Some(Some('\x08')),
                'f' => Some(Some('\x0c')),
                'n' => Some(Some('\n')),
                'r' => Some(Some('\r')),
                't' => Some(Some('\t')),
                'v' => Some(Some('\x0b')),
                _ => None,
            };
            if let Some(ch) = simple {
                out.extend(ch);
                continue;
            }
            match e {
                '0'..='7' => {
                    let mut v = e.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match self.peek_char().and_then(|c| c.to_digit(8)) {
                            Some(d) => {
                                v = v * 8 + d;
                                self.pos += 1;
                            }
                            None => break,
                        }
                    }
                    // At most 0o777, always a valid scalar value.
                    out.extend(char::from_u32(v));
                }
                'x' | 'u' | 'U' => {
                    let n = match e {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = self.src[self.pos..].chars().take(n).collect();
                    if hex.len() != n || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                        let end =
                            self.pos + hex.chars().take_while(char::is_ascii_hexdigit).count();
                        return Err(self.err(esc_start, end, format!("truncated \\{e} escape")));
                    }
                    self.pos += n;
                    let v = u32::from_str_radix(&hex, 16).unwrap_or(u32::MAX);
                    match char::from_u32(v) {
                        Some(ch) => out.push(ch),
                        None if (0xD800..0xE000).contains(&v) => {
                            return Err(self.err(
                                esc_start,
                                self.pos,
                                "lone surrogate escapes are not supported",
                            ))
                        }
                        None => {
                            return Err(self.err(esc_start, self.pos, "illegal Unicode character"))
                        }
                    }
                }
                'N' => {
                    return Err(self.err(
                        esc_start,
                        self.pos,
                        "\\N{...} escapes are not supported",
                    ));
                }
                other => {
                    out.push('\\');
                    out.push(other);
                }
            }
        }
        Ok(Token {
            tok: Tok::Str(out),
            start,
            end: self.pos,
        })
    }
}

// === parser ===

/// A parsed value with its span and, for containers, its items' spans.
struct Node {
    value: PyValue,
    start: usize,
    end: usize,
    items: Vec<(usize, usize)>,
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
}

/// Parses `src` as a restricted Python expression.
pub(crate) fn parse(src: &str) -> Result<Parsed, PyError> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        depth: 0,
    };
    let mut tokens = Vec::new();
    loop {
        let t = lexer.next_token()?;
        let end = t.tok == Tok::End;
        tokens.push(t);
        if end {
            break;
        }
    }
    // Report a construct by its keyword before anything it contains.
    for t in &tokens {
        if let Tok::Name(n) = &t.tok {
            if KEYWORDS.contains(&n.as_str()) {
                let what = match n.as_str() {
                    "for" | "async" => "comprehensions are not allowed",
                    "lambda" => "lambdas are not allowed",
                    "if" | "else" => "conditional expressions are not allowed",
                    "and" | "or" | "not" | "in" | "is" => "operators are not allowed",
                    _ => "Python keywords are not allowed",
                };
                return Err(PyError {
                    at: t.start,
                    token: n.clone(),
                    message: format!("{what} (a config value is a literal, not code)"),
                });
            }
        }
    }
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
    };
    while p.peek().tok == Tok::Newline {
        p.pos += 1;
    }
    if p.peek().tok == Tok::End {
        return Err(PyError {
            at: 0,
            token: String::new(),
            message: "empty expression".into(),
        });
    }
    let node = p.expr_list(0)?;
    let first_break = p.peek().clone();
    while p.peek().tok == Tok::Newline {
        p.pos += 1;
    }
    if p.peek().tok != Tok::End {
        // Python's eval refuses a second line outside brackets.
        let t = if first_break.tok == Tok::Newline {
            first_break
        } else {
            p.peek().clone()
        };
        return Err(p.unexpected(t));
    }
    Ok(Parsed {
        value: node.value,
        items: node.items,
    })
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // The token list always ends with End, and the parser never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::End {
            self.pos += 1;
        }
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if o == op)
    }

    fn text(&self, start: usize, end: usize) -> String {
        self.src[start..end].chars().take(60).collect()
    }

    fn error(&self, t: &Token, message: impl Into<String>) -> PyError {
        PyError {
            at: t.start,
            token: self.text(t.start, t.end),
            message: message.into(),
        }
    }

    fn unexpected(&self, t: Token) -> PyError {
        match &t.tok {
            Tok::End => self.error(&t, "unexpected end of expression"),
            Tok::Newline => self.error(&t, "unexpected line break outside brackets"),
            Tok::Op(o) if o == "(" => self.error(&t, "calls are not allowed"),
            Tok::Op(o) if o == "[" => self.error(&t, "subscripts are not allowed"),
            Tok::Op(o) if o == "." => self.error(&t, "attribute access is not allowed"),
            Tok::Op(o) if o == "*" || o == "**" => {
                self.error(&t, format!("operator '{o}' (or unpacking) is not allowed"))
            }
            Tok::Op(o) if matches!(o.as_str(), ")" | "]" | "}" | "," | ":") => {
                self.error(&t, format!("unexpected '{o}'"))
            }
            Tok::Op(o) => self.error(
                &t,
                format!("operator '{o}' is not allowed (a config value is a literal, not code)"),
            ),
            _ => self.error(&t, "unexpected token (missing a comma?)"),
        }
    }

    /// `expr (',' expr)* [',']` at the top level (a bare tuple).
    fn expr_list(&mut self, depth: usize) -> Result<Node, PyError> {
        let first = self.expr(depth)?;
        if !self.is_op(",") {
            return Ok(first);
        }
        let start = first.start;
        let mut end = first.end;
        let mut items = vec![(first.start, first.end)];
        let mut values = vec![first.value];
        while self.is_op(",") {
            end = self.bump().end;
            if matches!(self.peek().tok, Tok::End | Tok::Newline) {
                break;
            }
            let n = self.expr(depth)?;
            end = n.end;
            items.push((n.start, n.end));
            values.push(n.value);
        }
        Ok(Node {
            value: PyValue::Tuple(values),
            start,
            end,
            items,
        })
    }

    fn expr(&mut self, depth: usize) -> Result<Node, PyError> {
        if depth >= MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self.error(&t, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let node = self.arith(depth)?;
        // Whatever follows a value must end it: a comma, a closing bracket, a colon, the end.
        let t = self.peek().clone();
        match &t.tok {
            Tok::End | Tok::Newline => Ok(node),
            Tok::Op(o) if matches!(o.as_str(), "," | ")" | "]" | "}" | ":") => Ok(node),
            Tok::Op(o) if o == "(" => Err(PyError {
                at: node.start,
                token: self.text(node.start, t.end),
                message: "calls are not allowed (a config value is a literal, not code)".into(),
            }),
            _ => Err(self.unexpected(t)),
        }
    }

    /// `term (('+' | '-') term)*`: arithmetic on numbers, folded as it is read.
    fn arith(&mut self, depth: usize) -> Result<Node, PyError> {
        let mut left = self.term(depth)?;
        while self.is_op("+") || self.is_op("-") {
            let op = self.bump();
            let right = self.term(depth)?;
            left = self.fold(left, &op, right)?;
        }
        Ok(left)
    }

    /// `factor (('*' | '/' | '//' | '%') factor)*`.
    fn term(&mut self, depth: usize) -> Result<Node, PyError> {
        let mut left = self.factor(depth)?;
        while ["*", "/", "//", "%"].iter().any(|o| self.is_op(o)) {
            let op = self.bump();
            let right = self.factor(depth)?;
            left = self.fold(left, &op, right)?;
        }
        Ok(left)
    }

    /// `('+' | '-')* power`: unary signs bind looser than `**` (`-2**2` is -4).
    fn factor(&mut self, depth: usize) -> Result<Node, PyError> {
        if !(self.is_op("-") || self.is_op("+")) {
            return self.power(depth);
        }
        let sign = self.peek().clone();
        // A sign directly before a number that is not a base of `**`: the literal path, so
        // that `-9223372036854775808` fits.
        let mut ahead = self.pos;
        while matches!(&self.tokens[ahead.min(self.tokens.len() - 1)].tok, Tok::Op(o) if o == "-" || o == "+")
        {
            ahead += 1;
        }
        let number = matches!(
            self.tokens.get(ahead).map(|t| &t.tok),
            Some(Tok::Int(_) | Tok::Float(_))
        );
        let power_follows =
            matches!(self.tokens.get(ahead + 1).map(|t| &t.tok), Some(Tok::Op(o)) if o == "**");
        if number && !power_follows {
            return self.atom(depth);
        }
        // Signs, iteratively (a long run cannot exhaust the stack).
        let mut negative = false;
        while self.is_op("-") || self.is_op("+") {
            if self.is_op("-") {
                negative = !negative;
            }
            self.bump();
        }
        let operand = self.power(depth)?;
        let value = match (operand.value, negative) {
            (v @ (PyValue::Int(_) | PyValue::Float(_)), false) => v,
            (PyValue::Int(i), true) => match i.checked_neg() {
                Some(i) => PyValue::Int(i),
                None => return Err(self.error(&sign, "integer does not fit in 64 bits")),
            },
            (PyValue::Float(f), true) => PyValue::Float(-f),
            _ => {
                let o = self.text(sign.start, sign.end);
                return Err(self.error(&sign, format!("unary '{o}' applies only to a number")));
            }
        };
        Ok(Node {
            value,
            start: sign.start,
            end: operand.end,
            items: Vec::new(),
        })
    }

    /// `atom ['**' factor]` (right-associative).
    fn power(&mut self, depth: usize) -> Result<Node, PyError> {
        let base = self.atom(depth)?;
        if !self.is_op("**") {
            return Ok(base);
        }
        if depth >= MAX_DEPTH {
            let t = self.peek().clone();
            return Err(self.error(&t, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let op = self.bump();
        let exponent = self.factor(depth + 1)?;
        self.fold(base, &op, exponent)
    }

    /// Python's result of `left op right` for numbers; anything else is refused.
    fn fold(&self, left: Node, op: &Token, right: Node) -> Result<Node, PyError> {
        let Tok::Op(o) = &op.tok else {
            return Err(self.unexpected(op.clone()));
        };
        let fail = |message: &str| self.error(op, message);
        let overflow = || fail("integer does not fit in 64 bits");
        let value = match (&left.value, &right.value) {
            (PyValue::Int(a), PyValue::Int(b)) => {
                let (a, b) = (*a, *b);
                match o.as_str() {
                    "+" => PyValue::Int(a.checked_add(b).ok_or_else(overflow)?),
                    "-" => PyValue::Int(a.checked_sub(b).ok_or_else(overflow)?),
                    "*" => PyValue::Int(a.checked_mul(b).ok_or_else(overflow)?),
                    "/" if b == 0 => return Err(fail("division by zero")),
                    "/" => PyValue::Float(a as f64 / b as f64),
                    "//" | "%" if b == 0 => return Err(fail("division by zero")),
                    "//" => {
                        let q = a.checked_div(b).ok_or_else(overflow)?;
                        let inexact = a.checked_rem(b).is_some_and(|r| r != 0);
                        PyValue::Int(if inexact && ((a < 0) != (b < 0)) { q - 1 } else { q })
                    }
                    "%" => {
                        let r = a.checked_rem(b).unwrap_or(0);
                        PyValue::Int(if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r })
                    }
                    "**" if b < 0 && a == 0 => return Err(fail("division by zero")),
                    "**" if b < 0 => PyValue::Float((a as f64).powf(b as f64)),
                    "**" => match (a, u32::try_from(b)) {
                        (0 | 1, _) => PyValue::Int(if b == 0 { 1 } else { a }),
                        (-1, _) => PyValue::Int(if b % 2 == 0 { 1 } else { -1 }),
                        (_, Ok(e)) => PyValue::Int(a.checked_pow(e).ok_or_else(overflow)?),
                        (_, Err(_)) => return Err(overflow()),
                    },
                    _ => return Err(self.unexpected(op.clone())),
                }
            }
            (PyValue::Int(_) | PyValue::Float(_), PyValue::Int(_) | PyValue::Float(_)) => {
                let as_f64 = |v: &PyValue| match v {
                    PyValue::Int(i) => *i as f64,
                    PyValue::Float(f) => *f,
                    _ => f64::NAN,
                };
                let (a, b) = (as_f64(&left.value), as_f64(&right.value));
                let r = match o.as_str() {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" | "//" | "%" if b == 0.0 => return Err(fail("float division by zero")),
                    "/" => a / b,
                    "//" => (a / b).floor(),
                    "%" => {
                        let r = a % b;
                        if r != 0.0 && ((r < 0.0) != (b < 0.0)) {
                            r + b
                        } else {
                            r
                        }
                    }
                    "**" if a == 0.0 && b < 0.0 => {
                        return Err(fail("0.0 cannot be raised to a negative power"))
                    }
                    "**" if a < 0.0 && b.fract() != 0.0 => {
                        return Err(fail("complex numbers are not supported"))
                    }
                    "**" => match a.powf(b) {
                        // Python's OverflowError; `+ - * /` give inf as Python does.
                        r if !r.is_finite() && a.is_finite() && b.is_finite() => {
                            return Err(fail("number out of range"))
                        }
                        r => r,
                    },
                    _ => return Err(self.unexpected(op.clone())),
                };
                PyValue::Float(r)
            }
            _ => {
                return Err(self.error(
                    op,
                    format!(
                        "operator '{o}' applies only to numbers here (a config value is a literal, not code)"
                    ),
                ))
            }
        };
        Ok(Node {
            value,
            start: left.start,
            end: right.end,
            items: Vec::new(),
        })
    }

    fn atom(&mut self, depth: usize) -> Result<Node, PyError> {
        let t = self.bump();
        let node = |value, end| Node {
            value,
            start: t.start,
            end,
            items: Vec::new(),
        };
        match &t.tok {
            Tok::Str(s) => {
                let mut s = s.clone();
                let mut end = t.end;
                while let Tok::Str(more) = &self.peek().tok {
                    s.push_str(more);
                    end = self.bump().end;
                }
                Ok(node(PyValue::Str(s), end))
            }
            Tok::Int(v) => Ok(node(int_value(self, &t, *v)?, t.end)),
            Tok::Float(f) => Ok(node(PyValue::Float(*f), t.end)),
            Tok::Op(o) if o == "-" || o == "+" => {
                // Unary signs, iteratively (a long run cannot exhaust the stack).
                let mut negative = o == "-";
                while self.is_op("-") || self.is_op("+") {
                    if self.is_op("-") {
                        negative = !negative;
                    }
                    self.bump();
                }
                let n = self.bump();
                match n.tok {
                    Tok::Int(v) => Ok(node(
                        int_value(self, &n, if negative { -v } else { v })?,
                        n.end,
                    )),
                    Tok::Float(f) => Ok(node(PyValue::Float(if negative { -f } else { f }), n.end)),
                    _ => Err(self.error(&t, format!("unary '{o}' applies only to a number"))),
                }
            }
            Tok::Name(_) => self.name(t.clone()),
            Tok::Op(o) if o == "(" => {
                if self.is_op(")") {
                    let end = self.bump().end;
                    return Ok(node(PyValue::Tuple(Vec::new()), end));
                }
                let first = self.expr(depth + 1)?;
                if self.is_op(")") {
                    // Parentheses around a single value do not make a tuple.
                    let end = self.bump().end;
                    return Ok(Node {
                        start: t.start,
                        end,
                        ..first
                    });
                }
                let (values, items, end) = self.rest_of_sequence(first, ")", depth)?;
                Ok(Node {
                    value: PyValue::Tuple(values),
                    start: t.start,
                    end,
                    items,
                })
            }
            Tok::Op(o) if o == "[" => {
                if self.is_op("]") {
                    let end = self.bump().end;
                    return Ok(node(PyValue::List(Vec::new()), end));
                }
                let first = self.expr(depth + 1)?;
                let (values, items, end) = self.rest_of_sequence(first, "]", depth)?;
                Ok(Node {
                    value: PyValue::List(values),
                    start: t.start,
                    end,
                    items,
                })
            }
            Tok::Op(o) if o == "{" => self.dict(&t, depth),
            _ => Err(self.unexpected(t)),
        }
    }

    /// After the first element of a tuple or list: `(',' expr)* [','] close`.
    #[allow(clippy::type_complexity)]
    fn rest_of_sequence(
        &mut self,
        first: Node,
        close: &str,
        depth: usize,
    ) -> Result<(Vec<PyValue>, Vec<(usize, usize)>, usize), PyError> {
        let mut items = vec![(first.start, first.end)];
        let mut values = vec![first.value];
        loop {
            if self.is_op(close) {
                return Ok((values, items, self.bump().end));
            }
            if !self.is_op(",") {
                let t = self.peek().clone();
                return Err(self.unexpected(t));
            }
            self.bump();
            if self.is_op(close) {
                continue;
            }
            let n = self.expr(depth + 1)?;
            items.push((n.start, n.end));
            values.push(n.value);
        }
    }

    fn dict(&mut self, open: &Token, depth: usize) -> Result<Node, PyError> {
        let mut entries: Vec<(PyValue, PyValue)> = Vec::new();
        let mut items: Vec<(usize, usize)> = Vec::new();
        loop {
            if self.is_op("}") {
                let end = self.bump().end;
                return Ok(Node {
                    value: PyValue::Dict(entries),
                    start: open.start,
                    end,
                    items,
                });
            }
            let key = self.expr(depth + 1)?;
            if !self.is_op(":") {
                let t = self.peek().clone();
                if entries.is_empty() && matches!(&t.tok, Tok::Op(o) if o == "," || o == "}") {
                    return Err(self.error(open, "sets are not supported"));
                }
                return Err(self.unexpected(t));
            }
            self.bump();
            if let Some(kind) = unhashable(&key.value) {
                return Err(PyError {
                    at: key.start,
                    token: self.text(key.start, key.end),
                    message: format!("unhashable type: '{kind}' as a dict key"),
                });
            }
            let value = self.expr(depth + 1)?;
            match entries.iter().position(|(k, _)| py_eq(k, &key.value)) {
                Some(i) => {
                    entries[i].1 = value.value;
                    items[i] = (value.start, value.end);
                }
                None => {
                    entries.push((key.value, value.value));
                    items.push((value.start, value.end));
                }
            }
            if self.is_op(",") {
                self.bump();
            } else if !self.is_op("}") {
                let t = self.peek().clone();
                return Err(self.unexpected(t));
            }
        }
    }

    /// A name, dotted path, or keyword constant starting with `first`.
    fn name(&mut self, first: Token) -> Result<Node, PyError> {
        let Tok::Name(mut path) = first.tok.clone() else {
            return Err(self.unexpected(first));
        };
        let mut end = first.end;
        while self.is_op(".") {
            let dot = self.bump();
            match self.bump() {
                Token {
                    tok: Tok::Name(n),
                    end: e,
                    ..
                } => {
                    path.push('.');
                    path.push_str(&n);
                    end = e;
                }
                other => {
                    let t = if other.tok == Tok::End { dot } else { other };
                    return Err(self.unexpected(t));
                }
            }
        }
        let value = match path.as_str() {
            "True" => Some(PyValue::Bool(true)),
            "False" => Some(PyValue::Bool(false)),
            "None" => Some(PyValue::None),
            p => resolve(p),
        };
        if self.is_op("(") {
            return Err(PyError {
                at: first.start,
                token: path,
                message: "calls are not allowed (a config value is a literal, not code)".into(),
            });
        }
        match value {
            Some(value) => Ok(Node {
                value,
                start: first.start,
                end,
                items: Vec::new(),
            }),
            None => {
                let hint = if path.starts_with("logging.") {
                    " ('logging' is not defined in fileConfig's namespace: write handlers.… \
                     instead of logging.handlers.…)"
                        .to_owned()
                } else if path.starts_with("socket.") {
                    " ('socket' is not defined in fileConfig's namespace: write \
                     handlers.socket.SOCK_STREAM)"
                        .to_owned()
                } else {
                    format!(" (allowed: {ALLOWED_NAMES})")
                };
                Err(PyError {
                    at: first.start,
                    token: path,
                    message: format!("name not allowed{hint}"),
                })
            }
        }
    }
}

fn int_value(p: &Parser<'_>, t: &Token, v: i128) -> Result<PyValue, PyError> {
    i64::try_from(v)
        .map(PyValue::Int)
        .map_err(|_| p.error(t, "integer does not fit in 64 bits"))
}

/// The type name of an unhashable value (a list or dict, or a tuple holding one).
fn unhashable(v: &PyValue) -> Option<&'static str> {
    match v {
        PyValue::List(_) => Some("list"),
        PyValue::Dict(_) => Some("dict"),
        PyValue::Tuple(items) => items.iter().find_map(unhashable),
        _ => None,
    }
}

/// Python's `==` for hashable literals (`1 == 1.0 == True`).
fn py_eq(a: &PyValue, b: &PyValue) -> bool {
    fn num(v: &PyValue) -> Option<f64> {
        match v {
            PyValue::Bool(b) => Some(f64::from(u8::from(*b))),
            PyValue::Int(i) => Some(*i as f64),
            PyValue::Float(f) => Some(*f),
            _ => None,
        }
    }
    match (a, b) {
        (PyValue::Int(x), PyValue::Int(y)) => x == y,
        (PyValue::Tuple(x), PyValue::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
        }
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(src: &str) -> PyValue {
        parse(src).unwrap_or_else(|e| panic!("{src}: {e:?}")).value
    }

    fn e(src: &str) -> PyError {
        parse(src).expect_err(src)
    }

    #[test]
    fn literals() {
        use PyValue::*;
        assert_eq!(v("()"), Tuple(vec![]));
        assert_eq!(v("(1,)"), Tuple(vec![Int(1)]));
        assert_eq!(v("(1)"), Int(1));
        assert_eq!(v("1, 2"), Tuple(vec![Int(1), Int(2)]));
        assert_eq!(v("[1, 'a',]"), List(vec![Int(1), Str("a".into())]));
        assert_eq!(v("{}"), Dict(vec![]));
        assert_eq!(
            v("{'a': 1, 'a': 2, 'b': None}"),
            Dict(vec![(Str("a".into()), Int(2)), (Str("b".into()), None)])
        );
        assert_eq!(
            v("{1: 'a', True: 'b'}"),
            Dict(vec![(Int(1), Str("b".into()))])
        );
        assert_eq!(v("-0x_ff"), Int(-255));
        assert_eq!(v("0o17 "), Int(15));
        assert_eq!(v("0b1_0"), Int(2));
        assert_eq!(v("1_000"), Int(1000));
        assert_eq!(v("00"), Int(0));
        assert_eq!(v("--1"), Int(1));
        assert_eq!(v("-9223372036854775808"), Int(i64::MIN));
        assert_eq!(v("1.5e3"), Float(1500.0));
        assert_eq!(v(".5"), Float(0.5));
        assert_eq!(v("5."), Float(5.0));
        assert_eq!(v("'a' \"b\" '''c'''"), Str("abc".into()));
        assert_eq!(v(r"'\x41\u00e9\101\n\q'"), Str("A\u{e9}A\n\\q".into()));
        assert_eq!(v(r"r'\n\''"), Str(r"\n\'".into()));
        assert_eq!(v("(sys.stdout,) # comment"), Tuple(vec![Stdout]));
        assert_eq!(v("(\nsys . stderr,\n)"), Tuple(vec![Stderr]));
        assert_eq!(v("handlers.SysLogHandler.LOG_LOCAL0"), Int(16));
        assert_eq!(v("1 \\\n"), Int(1));
    }

    #[test]
    fn refusals_name_the_token() {
        for (src, token, what) in [
            ("__import__('os').system('x')", "__import__", "calls"),
            ("open('/etc/passwd')", "open", "calls"),
            ("eval('1')", "eval", "calls"),
            ("sys.modules", "sys.modules", "name not allowed"),
            ("os.environ", "os.environ", "name not allowed"),
            ("'a' + 'b'", "+", "only to numbers"),
            ("1 << 2", "<<", "operator"),
            ("2 ** 64", "**", "64 bits"),
            ("1 // 0", "//", "division by zero"),
            ("1e308 ** 2", "**", "out of range"),
            ("-'a'", "-", "applies only to a number"),
            ("lambda: 0", "lambda", "lambda"),
            ("[x for x in ()]", "for", "comprehension"),
            ("f'{x}'", "f'{x}'", "f-string"),
            ("b'x'", "b'x'", "bytes"),
            ("{1, 2}", "{", "sets"),
            ("(1, *x)", "*", "unpacking"),
            ("'a'.join", ".", "attribute"),
            ("(1)(2)", "(1)(", "calls"),
            ("1j", "1j", "complex"),
            ("01", "01", "leading zeros"),
            ("1, \n 2", "\n", "line break"),
            ("", "", "empty"),
            ("{[1]: 2}", "[1]", "unhashable"),
            ("'\\N{DASH}'", "\\N", "\\N"),
            ("'\\ud800'", "\\ud800", "surrogate"),
            ("9223372036854775808", "9223372036854775808", "64 bits"),
            (
                "logging.handlers.SysLogHandler.LOG_USER",
                "logging.handlers.SysLogHandler.LOG_USER",
                "logging",
            ),
        ] {
            let err = e(src);
            assert_eq!(err.token, token, "{src}: {err:?}");
            assert!(err.message.contains(what), "{src}: {err:?}");
        }
    }

    #[test]
    fn arithmetic_on_numbers_is_folded_as_python_computes_it() {
        use PyValue::*;
        // What real configurations write for maxBytes.
        assert_eq!(v("10*1024*1024"), Int(10_485_760));
        assert_eq!(
            v("('app.log', 'a', 5 * 1024 * 1024, 5)"),
            Tuple(vec![
                Str("app.log".into()),
                Str("a".into()),
                Int(5_242_880),
                Int(5)
            ])
        );
        assert_eq!(
            v("{'maxBytes': 1024**2}"),
            Dict(vec![(Str("maxBytes".into()), Int(1_048_576))])
        );
        // Precedence and associativity.
        assert_eq!(v("1 + 2 * 3 - 4"), Int(3));
        assert_eq!(v("(1 + 2) * 3"), Int(9));
        assert_eq!(v("-2 ** 2"), Int(-4));
        assert_eq!(v("2 ** 3 ** 2"), Int(512));
        assert_eq!(v("2 ** -1"), Float(0.5));
        assert_eq!(v("-(1)"), Int(-1));
        assert_eq!(v("- -(2)"), Int(2));
        // Python's floor division and modulo signs; true division gives a float.
        assert_eq!(v("7 // -2"), Int(-4));
        assert_eq!(v("-7 % 3"), Int(2));
        assert_eq!(v("7 % -3"), Int(-2));
        assert_eq!(v("7 / 2"), Float(3.5));
        assert_eq!(v("-7.0 // 2"), Float(-4.0));
        assert_eq!(v("-7.5 % 2"), Float(0.5));
        assert_eq!(v("1.5 * 2"), Float(3.0));
        assert_eq!(v("(-1) ** 9223372036854775807"), Int(-1));
        assert_eq!(v("-9223372036854775808"), Int(i64::MIN));
        assert_eq!(v("-9223372036854775807 - 1"), Int(i64::MIN));
        // The spans of items still cover the whole item.
        assert_eq!(parse("(1*2, 'x')").unwrap().items, vec![(1, 4), (6, 9)]);
        // Long chains cannot exhaust the stack.
        assert!(parse(&"2**".repeat(100_000)).is_err());
        assert_eq!(v(&format!("1{}", "+1".repeat(100_000))), Int(100_001));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        for open in ["(", "[", "{"] {
            let src = open.repeat(100_000);
            assert!(e(&src).message.contains("nested"));
        }
        assert!(parse(&"-".repeat(100_000)).is_err());
        assert_eq!(
            v(&format!("{}1{}", "(".repeat(99), ")".repeat(99))),
            PyValue::Int(1)
        );
    }

    #[test]
    fn item_spans() {
        let p = parse("('a', [1, 2])").unwrap();
        assert_eq!(p.items, vec![(1, 4), (6, 12)]);
        let p = parse("{'a': 1, 'b': 'x'}").unwrap();
        assert_eq!(p.items, vec![(6, 7), (14, 17)]);
    }
}
