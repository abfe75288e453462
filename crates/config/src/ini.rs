//! Python's `configparser.ConfigParser` INI dialect, as `logging.config.fileConfig` uses it.
//!
//! The rules (CPython 3.11 `configparser`, default dialect; each checked with python3):
//!
//! * Lines end at `\n`, `\r\n` or `\r` (Python reads the file with universal newlines).
//! * A line whose stripped text starts with `#` or `;` is a comment, indented or not. There are
//!   no inline comments: `level=INFO ; x` is the value `INFO ; x`.
//! * `[name]` starts a section; the name is everything between the first `[` and the *last*
//!   `]` of the stripped line, case-sensitive and not stripped (`[ a ]` is the section ` a `);
//!   text after the last `]` is ignored. `[DEFAULT]` (exactly) holds defaults visible in every
//!   section and may appear more than once; any other section name may appear once.
//! * `name = value` or `name: value`: the first `=` or `:` splits; the name is stripped and
//!   lower-cased, the value stripped. An empty name, or a line with no delimiter, is an error.
//!   An option may appear once per section.
//! * A line indented deeper than its option's line continues the value (joined with `\n`,
//!   each piece stripped). Empty lines inside a value are kept, trailing ones dropped; comment
//!   lines inside a value are skipped. A line right after a section header is never a
//!   continuation.
//! * Interpolation (`BasicInterpolation`) happens when a value is read, not when the file is
//!   parsed: `%(key)s` is the value of `key` in the same section or `[DEFAULT]` (looked up
//!   lower-cased, interpolated in turn up to 10 levels deep), `%%` is `%`, and any other `%`
//!   is an error.
//!
//! Unlike Python, which stops at the first duplicate or missing header, every problem is
//! reported, each with its line.

use std::cell::Cell;
use std::path::Path;

use crate::{ConfigError, Location};

/// The name of the defaults section.
pub(crate) const DEFAULT_SECTION: &str = "DEFAULT";

/// Python's `MAX_INTERPOLATION_DEPTH`.
const MAX_INTERPOLATION_DEPTH: usize = 10;

/// The largest interpolated value we build: nested references can grow exponentially.
const MAX_INTERPOLATED_LEN: usize = 1 << 20;

/// The most `%(key)s` references substituted while reading the values of one file. Nested
/// references to empty values never grow the text, so the length bound alone cannot stop a
/// chain of ten levels of ten references each (10^9 substitutions, a hang where Python hangs
/// too); counted over the file, so that many options reading such a chain cannot multiply
/// it. Text that grows meets the length bound first.
const MAX_INTERPOLATION_STEPS: usize = 100_000;

/// Whether `c` is whitespace for Python's `str.strip()` / `str.isspace()`.
pub(crate) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// `str.strip()`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// One option with its value as written (continuation lines joined, not interpolated).
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    /// The lower-cased name.
    pub(crate) name: String,
    /// The raw value.
    pub(crate) value: String,
    /// The line of the `name = value` line.
    pub(crate) line: u32,
    /// For each `\n`-separated line of `value`: its file line and the 1-based column at which
    /// the piece starts.
    pub(crate) pieces: Vec<(u32, u32)>,
}

/// A section and its options in file order.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// The name, as written.
    pub(crate) name: String,
    /// The header line.
    pub(crate) line: u32,
    /// The options.
    pub(crate) options: Vec<Opt>,
}

impl Section {
    fn get(&self, name: &str) -> Option<&Opt> {
        self.options.iter().find(|o| o.name == name)
    }
}

/// A parsed INI file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ini {
    /// Every section but `[DEFAULT]`, in file order.
    pub(crate) sections: Vec<Section>,
    /// The `[DEFAULT]` options.
    pub(crate) defaults: Vec<Opt>,
    /// `%(key)s` substitutions made so far, by every read (see [`MAX_INTERPOLATION_STEPS`]).
    interpolation_steps: Cell<usize>,
}

/// A value read from the file, interpolated or raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    /// The text.
    pub(crate) text: String,
    /// The line of the option.
    pub(crate) line: u32,
    /// Where each `\n`-separated line of `text` starts in the file (line, 1-based column),
    /// when known (not after an interpolation that changed the line structure).
    pub(crate) pieces: Option<Vec<(u32, u32)>>,
    /// Whether the columns in `pieces` are exact (no interpolation changed the text).
    pub(crate) exact_columns: bool,
}

impl Value {
    /// The file line and 1-based column of byte offset `at` in the text.
    pub(crate) fn position(&self, at: usize) -> (u32, Option<u32>) {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let row = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() as u32;
        match &self.pieces {
            Some(p) if row < p.len() => (p[row].0, self.exact_columns.then(|| p[row].1 + col)),
            _ => (self.line, None),
        }
    }
}

impl Ini {
    /// The section named exactly `name`.
    pub(crate) fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The raw option `key` of `section`, falling back to `[DEFAULT]`.
    pub(crate) fn raw_opt(&self, section: &str, key: &str) -> Option<&Opt> {
        self.section(section)
            .and_then(|s| s.get(key))
            .or_else(|| self.defaults.iter().find(|o| o.name == key))
    }

    /// The value of `key` in `section` (or `[DEFAULT]`), not interpolated.
    pub(crate) fn get_raw(&self, section: &str, key: &str) -> Option<Value> {
        self.raw_opt(section, key).map(|o| Value {
            text: o.value.clone(),
            line: o.line,
            pieces: Some(o.pieces.clone()),
            exact_columns: true,
        })
    }

    /// The value of `key` in `section` (or `[DEFAULT]`), interpolated.
    ///
    /// `None` when the option is absent; `Some(Err)` when interpolation fails.
    pub(crate) fn get(
        &self,
        path: &Path,
        section: &str,
        key: &str,
    ) -> Option<Result<Value, ConfigError>> {
        let opt = self.raw_opt(section, key)?;
        if !opt.value.contains('%') {
            return Some(Ok(Value {
                text: opt.value.clone(),
                line: opt.line,
                pieces: Some(opt.pieces.clone()),
                exact_columns: true,
            }));
        }
        let mut out = String::new();
        let mut steps = self.interpolation_steps.get();
        let result = self.interpolate(section, &opt.value, 1, &mut steps, &mut out);
        self.interpolation_steps.set(steps);
        let result = result.map_err(|(message, token)| {
            ConfigError::new(path, Location::Line(opt.line), format!("{key}: {message}"))
                .in_section(section)
                .with_token(token)
        });
        Some(result.map(|()| {
            let same_shape = out.matches('\n').count() == opt.value.matches('\n').count();
            Value {
                exact_columns: out == opt.value,
                text: out,
                line: opt.line,
                pieces: same_shape.then(|| opt.pieces.clone()),
            }
        }))
    }

    /// BasicInterpolation's `_interpolate_some`. Errors are (message, token).
    fn interpolate(
        &self,
        section: &str,
        mut rest: &str,
        depth: usize,
        steps: &mut usize,
        out: &mut String,
    ) -> Result<(), (String, String)> {
        if depth > MAX_INTERPOLATION_DEPTH {
            return Err((
                format!(
                    "interpolation recursion limit exceeded: a %(key)s reference cannot be \
                     substituted in {MAX_INTERPOLATION_DEPTH} steps"
                ),
                rest.to_owned(),
            ));
        }
        while !rest.is_empty() {
            let Some(p) = rest.find('%') else {
                out.push_str(rest);
                break;
            };
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            if out.len() > MAX_INTERPOLATED_LEN {
                return Err((
                    format!("interpolated value is longer than {MAX_INTERPOLATED_LEN} bytes"),
                    first_chars(rest, 40),
                ));
            }
            let after = &rest[1..];
            if after.starts_with('%') {
                out.push('%');
                rest = &rest[2..];
            } else if after.starts_with('(') {
                // `%\(([^)]+)\)s`
                let close = after.find(')');
                let key = close.map(|c| &after[1..c]);
                match (close, key) {
                    (Some(c), Some(k)) if !k.is_empty() && after[c + 1..].starts_with('s') => {
                        *steps += 1;
                        if *steps > MAX_INTERPOLATION_STEPS {
                            return Err((
                                format!(
                                    "interpolation needs more than {MAX_INTERPOLATION_STEPS} \
                                     %(key)s substitutions"
                                ),
                                format!("%({k})s"),
                            ));
                        }
                        let name = k.to_lowercase();
                        rest = &after[c + 2..];
                        let Some(v) = self.raw_opt(section, &name) else {
                            return Err((
                                format!(
                                    "bad interpolation: no option '{name}' in this section \
                                     or [DEFAULT]"
                                ),
                                format!("%({k})s"),
                            ));
                        };
                        if v.value.contains('%') {
                            self.interpolate(section, &v.value, depth + 1, steps, out)?;
                        } else {
                            out.push_str(&v.value);
                        }
                    }
                    _ => {
                        return Err((
                            "bad interpolation variable reference (expected %(name)s)".into(),
                            first_chars(rest, 40),
                        ))
                    }
                }
            } else {
                return Err((
                    "'%' must be followed by '%' or '(' (write '%%' for a literal percent sign)"
                        .into(),
                    first_chars(rest, 40),
                ));
            }
        }
        Ok(())
    }
}

fn first_chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Splits text into lines as Python's universal newlines do.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
        }
    })
}

/// The option being read: its section index (`None` = DEFAULT), option index, indent.
struct Current {
    /// The section (`None` = DEFAULT) and option index; `None` for a rejected duplicate
    /// option, whose continuation lines are skipped.
    target: Option<(Option<usize>, usize)>,
    indent: usize,
    /// Empty lines seen since the last piece (kept only if another piece follows).
    pending_empty: Vec<u32>,
}

/// Parses `text`, returning what could be read and every problem.
pub(crate) fn parse(path: &Path, text: &str) -> (Ini, Vec<ConfigError>) {
    let mut ini = Ini::default();
    let mut errors = Vec::new();
    // The section lines are added to: None before any header, Some(None) for DEFAULT.
    let mut cursect: Option<Option<usize>> = None;
    let mut current: Option<Current> = None;
    let mut reported_no_header = false;
    let err = |line: u32, message: String| ConfigError::new(path, Location::Line(line), message);

    for (i, line) in lines(text).enumerate() {
        let lineno = (i + 1) as u32;
        let stripped = py_strip(line);
        if stripped.starts_with('#') || stripped.starts_with(';') {
            continue;
        }
        if stripped.is_empty() {
            if let Some(cur) = current.as_mut() {
                cur.pending_empty.push(lineno);
            }
            continue;
        }
        let indent_chars = line.len() - line.trim_start_matches(is_py_space).len();
        let indent = line[..indent_chars].chars().count();
        if let Some(cur) = current.as_mut() {
            if indent > cur.indent {
                let Some((section, option)) = cur.target else {
                    continue;
                };
                let opts = match section {
                    Some(s) => &mut ini.sections[s].options,
                    None => &mut ini.defaults,
                };
                let opt = &mut opts[option];
                for empty in cur.pending_empty.drain(..) {
                    opt.value.push('\n');
                    opt.pieces.push((empty, 1));
                }
                opt.value.push('\n');
                opt.value.push_str(stripped);
                opt.pieces.push((lineno, indent as u32 + 1));
                continue;
            }
        }
        current = None;
        // A section header: `\[(.+)\]` matched at the start of the stripped line.
        if let Some(body) = stripped.strip_prefix('[') {
            if let Some(close) = body.rfind(']').filter(|&c| c > 0) {
                let name = &body[..close];
                if name == DEFAULT_SECTION {
                    cursect = Some(None);
                } else if let Some(prev) = ini.section(name) {
                    errors.push(
                        err(
                            lineno,
                            format!("duplicate section (first at line {})", prev.line),
                        )
                        .with_token(name),
                    );
                    let idx = ini.sections.iter().position(|s| s.name == name);
                    cursect = Some(idx);
                } else {
                    ini.sections.push(Section {
                        name: name.to_owned(),
                        line: lineno,
                        options: Vec::new(),
                    });
                    cursect = Some(Some(ini.sections.len() - 1));
                }
                continue;
            }
        }
        let Some(section) = cursect else {
            if !reported_no_header {
                reported_no_header = true;
                let hint = if stripped.starts_with('\u{feff}') {
                    " (the file starts with a byte-order mark, which Python does not accept)"
                } else {
                    ""
                };
                errors.push(
                    err(
                        lineno,
                        format!("line before the first section header{hint}"),
                    )
                    .with_token(first_chars(stripped, 80)),
                );
            }
            continue;
        };
        // An option: `(.*?)\s*(=|:)\s*(.*)$`.
        let Some(delim) = stripped.find(['=', ':']) else {
            errors.push(
                err(
                    lineno,
                    "cannot parse line: not a [section], a 'name = value' option, or a comment"
                        .into(),
                )
                .with_token(first_chars(stripped, 80)),
            );
            continue;
        };
        let name = py_strip(&stripped[..delim]);
        if name.is_empty() {
            errors.push(
                err(lineno, "cannot parse line: option without a name".into())
                    .with_token(first_chars(stripped, 80)),
            );
            continue;
        }
        let name = name.to_lowercase();
        let value_part = &stripped[delim + 1..];
        let value = py_strip(value_part);
        let value_col = {
            let value_offset = line.len() - line.trim_start_matches(is_py_space).len()
                + delim
                + 1
                + (value_part.len() - value_part.trim_start_matches(is_py_space).len());
            line[..value_offset].chars().count() as u32 + 1
        };
        let section_name = match section {
            Some(s) => ini.sections[s].name.clone(),
            None => DEFAULT_SECTION.to_owned(),
        };
        let opts = match section {
            Some(s) => &mut ini.sections[s].options,
            None => &mut ini.defaults,
        };
        if let Some(prev) = opts.iter().find(|o| o.name == name) {
            errors.push(
                err(
                    lineno,
                    format!("duplicate option (first at line {})", prev.line),
                )
                .in_section(section_name)
                .with_token(name),
            );
            current = Some(Current {
                target: None,
                indent,
                pending_empty: Vec::new(),
            });
            continue;
        }
        opts.push(Opt {
            name,
            value: value.to_owned(),
            line: lineno,
            pieces: vec![(lineno, value_col)],
        });
        current = Some(Current {
            target: Some((section, opts.len() - 1)),
            indent,
            pending_empty: Vec::new(),
        });
    }
    (ini, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Ini {
        let (ini, errors) = parse(Path::new("t.conf"), text);
        assert!(errors.is_empty(), "{errors:?}");
        ini
    }

    fn raw(ini: &Ini, s: &str, k: &str) -> String {
        ini.get_raw(s, k).unwrap().text
    }

    #[test]
    fn dialect_matches_configparser() {
        let ini = ok("[a]\nX = 1\n  # c\ny:2=3\nz=1:2\n[ b ]\n  w=1\n[c] junk\n[d]e]\nk=v\n");
        assert_eq!(raw(&ini, "a", "x"), "1");
        assert_eq!(raw(&ini, "a", "y"), "2=3");
        assert_eq!(raw(&ini, "a", "z"), "1:2");
        assert_eq!(raw(&ini, " b ", "w"), "1");
        assert!(ini.section("c").is_some());
        assert_eq!(raw(&ini, "d]e", "k"), "v");
    }

    #[test]
    fn continuation_lines() {
        let ini = ok("[a]\nx=1\n  2\n\n  3\n\n\ny=2\nz=\n  q\n# c\n  r\n");
        assert_eq!(raw(&ini, "a", "x"), "1\n2\n\n3");
        assert_eq!(raw(&ini, "a", "y"), "2");
        assert_eq!(raw(&ini, "a", "z"), "\nq\nr");
        let v = ini.get_raw("a", "x").unwrap();
        assert_eq!(v.pieces.unwrap(), vec![(2, 3), (3, 3), (4, 1), (5, 3)]);
    }

    #[test]
    fn line_endings() {
        let ini = ok("[a]\r\nx=1\r\n  2\ry=3");
        assert_eq!(raw(&ini, "a", "x"), "1\n2");
        assert_eq!(raw(&ini, "a", "y"), "3");
    }

    #[test]
    fn errors_are_all_collected() {
        let (_, errors) = parse(
            Path::new("t.conf"),
            "x=1\n[a]\nfoo\n=1\nx=1\nX=2\n[a]\n[DEFAULT]\n[DEFAULT]\n",
        );
        let lines: Vec<_> = errors.iter().map(|e| e.location.clone()).collect();
        assert_eq!(
            lines,
            [1, 3, 4, 6, 7].map(Location::Line).to_vec(),
            "{errors:?}"
        );
    }

    #[test]
    fn interpolation() {
        let ini = ok(
            "[DEFAULT]\nOut=sys.stdout\n[a]\nx=(%(OUT)s,)\ny=50%%\nz=%(x)s\n\
                      bad=50%\nmissing=%(nope)s\nloop=%(loop)s\nsyn=%(x)\n",
        );
        let get = |k| ini.get(Path::new("t"), "a", k).unwrap();
        assert_eq!(get("x").unwrap().text, "(sys.stdout,)");
        assert_eq!(get("y").unwrap().text, "50%");
        assert_eq!(get("z").unwrap().text, "(sys.stdout,)");
        assert_eq!(get("bad").unwrap_err().token.as_deref(), Some("%"));
        assert_eq!(
            get("missing").unwrap_err().token.as_deref(),
            Some("%(nope)s")
        );
        assert!(get("loop").unwrap_err().message.contains("recursion"));
        assert!(get("syn").is_err());
        assert_eq!(ini.get_raw("a", "y").unwrap().text, "50%%");
    }

    #[test]
    fn interpolation_blowup_is_bounded() {
        let mut text = String::from("[a]\nk0=xxxxxxxxxxxxxxxx\n");
        for i in 1..10 {
            let refs = format!("%(k{})s", i - 1).repeat(16);
            text.push_str(&format!("k{i}={refs}\n"));
        }
        let ini = ok(&text);
        assert!(ini.get(Path::new("t"), "a", "k9").unwrap().is_err());
    }

    /// A hang on a 740-byte file (a timeout of the `config_parse` fuzz target, `fuzz/`):
    /// references to an empty value never grow the text, so ten levels of ten references
    /// each made 10^9 substitutions. The number of substitutions per value is bounded.
    #[test]
    fn interpolation_of_empty_values_is_bounded() {
        let mut text = String::from("[DEFAULT]\nk0=\n[a]\n");
        for i in 1..10 {
            let refs = format!("%(k{})s", i - 1).repeat(10);
            text.push_str(&format!("k{i}={refs}\n"));
        }
        let ini = ok(&text);
        let start = std::time::Instant::now();
        let err = ini.get(Path::new("t"), "a", "k9").unwrap().unwrap_err();
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert!(err.message.contains("substitutions"), "{err:?}");
        assert_eq!(err.token.as_deref(), Some("%(k0)s"));
    }

    /// The substitutions are counted over the file: options that each read a chain of
    /// 11,110 cannot add up to a hang (1,000 of them made 10^7, per option under the bound).
    #[test]
    fn interpolation_steps_are_counted_over_the_file() {
        let mut text = String::from("[DEFAULT]\nk0=\n");
        for i in 1..5 {
            let refs = format!("%(k{})s", i - 1).repeat(10);
            text.push_str(&format!("k{i}={refs}\n"));
        }
        for s in 0..1_000 {
            text.push_str(&format!("[s{s}]\nx=%(k4)s\n"));
        }
        let ini = ok(&text);
        let start = std::time::Instant::now();
        let mut refused = 0;
        for s in 0..1_000 {
            if ini
                .get(Path::new("t"), &format!("s{s}"), "x")
                .unwrap()
                .is_err()
            {
                refused += 1;
            }
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        // 11,110 substitutions each: the first 9 reads fit in the budget.
        assert_eq!(refused, 991);
        // A short chain in a fresh file stays fine.
        let ini = ok("[DEFAULT]\nk0=\nk1=%(k0)s%(k0)s\n[a]\nx=(%(k1)s)\n");
        assert_eq!(
            ini.get(Path::new("t"), "a", "x").unwrap().unwrap().text,
            "()"
        );
    }
}
