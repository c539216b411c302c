//! V.250 command-line syntax: basic commands (`E0`, `&F`, `S3=13`, `D...`)
//! run together, and extended commands (`+CPIN?`, `!GSTATUS?`,
//! `+CPIN="1234"`, `+CREG=?`) separated by `;`. Spaces outside quotes are
//! ignored and names are case-insensitive; quoted text keeps its case.

/// How an extended command is invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Exec,
    Read,
    Test,
    Set(Vec<Arg>),
}

/// One parameter of a set command; an omitted one is empty and unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    pub quoted: bool,
}

impl Arg {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && !self.quoted
    }
    pub fn num(&self) -> Option<u32> {
        if self.quoted || self.text.is_empty() || self.text.len() > 9 {
            return None;
        }
        self.text.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A letter or `&`+letter with an optional number: `E0`, `&F`, `I`.
    Basic { name: String, num: Option<u32> },
    /// `Sn=v` (`Some(v)`) or `Sn?` (`None`).
    SRegister { reg: u32, set: Option<u32> },
    /// `D` takes the rest of the line.
    Dial(String),
    /// `+NAME`, `!NAME`, `$NAME`, `%NAME` with how it was invoked.
    Extended { name: String, kind: Kind },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyntaxError;

/// Characters of a line with spaces outside quotes removed and everything
/// outside quotes upper-cased; `true` marks characters inside quotes.
fn normalise(body: &[u8]) -> Result<Vec<(char, bool)>, SyntaxError> {
    let mut out = Vec::with_capacity(body.len());
    let mut quoted = false;
    for &b in body {
        if !(0x20..0x7F).contains(&b) {
            return Err(SyntaxError);
        }
        let c = b as char;
        if c == '"' {
            quoted = !quoted;
            out.push((c, false));
        } else if quoted {
            out.push((c, true));
        } else if c != ' ' {
            out.push((c.to_ascii_uppercase(), false));
        }
    }
    if quoted {
        return Err(SyntaxError);
    }
    Ok(out)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '!' | '%' | '-' | '.' | '/' | ':' | '_')
}

/// Parses what follows `AT`.
pub fn parse(body: &[u8]) -> Result<Vec<Command>, SyntaxError> {
    let s = normalise(body)?;
    let mut cmds = Vec::new();
    let mut i = 0;
    let digits = |i: &mut usize| -> Result<Option<u32>, SyntaxError> {
        let start = *i;
        while *i < s.len() && s[*i].0.is_ascii_digit() {
            *i += 1;
        }
        if *i == start {
            return Ok(None);
        }
        if *i - start > 9 {
            return Err(SyntaxError);
        }
        let t: String = s[start..*i].iter().map(|c| c.0).collect();
        Ok(Some(t.parse().map_err(|_| SyntaxError)?))
    };
    while i < s.len() {
        let c = s[i].0;
        match c {
            ';' => i += 1,
            '+' | '!' | '$' | '%' => {
                let start = i;
                i += 1;
                while i < s.len() && is_name_char(s[i].0) {
                    i += 1;
                }
                let name: String = s[start..i].iter().map(|c| c.0).collect();
                if name.len() < 2 {
                    return Err(SyntaxError);
                }
                let rest = |i: usize, n: usize| s.get(i..i + n).map(|w| w.iter().map(|c| c.0));
                let kind = if rest(i, 2)
                    .is_some_and(|mut w| w.next() == Some('=') && w.next() == Some('?'))
                {
                    i += 2;
                    Kind::Test
                } else if s.get(i).map(|c| c.0) == Some('=') {
                    i += 1;
                    let end = s[i..]
                        .iter()
                        .position(|&(c, q)| c == ';' && !q)
                        .map_or(s.len(), |p| i + p);
                    let args = split_args(&s[i..end]);
                    i = end;
                    Kind::Set(args)
                } else if s.get(i).map(|c| c.0) == Some('?') {
                    i += 1;
                    Kind::Read
                } else {
                    Kind::Exec
                };
                cmds.push(Command::Extended { name, kind });
            }
            'S' => {
                i += 1;
                let reg = digits(&mut i)?.ok_or(SyntaxError)?;
                match s.get(i).map(|c| c.0) {
                    Some('?') => {
                        i += 1;
                        cmds.push(Command::SRegister { reg, set: None });
                    }
                    Some('=') => {
                        i += 1;
                        let v = digits(&mut i)?.unwrap_or(0);
                        cmds.push(Command::SRegister { reg, set: Some(v) });
                    }
                    _ => return Err(SyntaxError),
                }
            }
            'D' => {
                let rest: String = s[i + 1..].iter().map(|c| c.0).collect();
                cmds.push(Command::Dial(rest));
                i = s.len();
            }
            '&' => {
                let l = s.get(i + 1).map(|c| c.0).filter(char::is_ascii_uppercase);
                let l = l.ok_or(SyntaxError)?;
                i += 2;
                let num = digits(&mut i)?;
                cmds.push(Command::Basic {
                    name: format!("&{l}"),
                    num,
                });
            }
            c if c.is_ascii_uppercase() => {
                i += 1;
                let num = digits(&mut i)?;
                cmds.push(Command::Basic {
                    name: c.to_string(),
                    num,
                });
            }
            _ => return Err(SyntaxError),
        }
    }
    Ok(cmds)
}

fn split_args(s: &[(char, bool)]) -> Vec<Arg> {
    let mut args = vec![Arg {
        text: String::new(),
        quoted: false,
    }];
    for &(c, q) in s {
        let a = args.last_mut().expect("never empty");
        match c {
            ',' if !q => args.push(Arg {
                text: String::new(),
                quoted: false,
            }),
            '"' if !q => a.quoted = true,
            _ => a.text.push(c),
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(args: &[(&str, bool)]) -> Kind {
        Kind::Set(
            args.iter()
                .map(|&(t, q)| Arg {
                    text: t.into(),
                    quoted: q,
                })
                .collect(),
        )
    }
    fn ext(name: &str, kind: Kind) -> Command {
        Command::Extended {
            name: name.into(),
            kind,
        }
    }
    fn basic(name: &str, num: Option<u32>) -> Command {
        Command::Basic {
            name: name.into(),
            num,
        }
    }

    #[test]
    fn extended_forms() {
        assert_eq!(parse(b"+cpin?"), Ok(vec![ext("+CPIN", Kind::Read)]));
        assert_eq!(parse(b"+CREG=?"), Ok(vec![ext("+CREG", Kind::Test)]));
        assert_eq!(parse(b"!GSTATUS?"), Ok(vec![ext("!GSTATUS", Kind::Read)]));
        assert_eq!(parse(b"+CGMI"), Ok(vec![ext("+CGMI", Kind::Exec)]));
        assert_eq!(
            parse(b"+CPIN=\"12345678\", \"AbC d\""),
            Ok(vec![ext(
                "+CPIN",
                set(&[("12345678", true), ("AbC d", true)])
            )])
        );
        assert_eq!(
            parse(b"+CLCK=\"SC\",2,,x"),
            Ok(vec![ext(
                "+CLCK",
                set(&[("SC", true), ("2", false), ("", false), ("X", false)])
            )])
        );
    }

    #[test]
    fn concatenation() {
        assert_eq!(
            parse(b"E0 V1 &F X4"),
            Ok(vec![
                basic("E", Some(0)),
                basic("V", Some(1)),
                basic("&F", None),
                basic("X", Some(4)),
            ])
        );
        assert_eq!(
            parse(b"+CMEE=1;+CREG=2;E0"),
            Ok(vec![
                ext("+CMEE", set(&[("1", false)])),
                ext("+CREG", set(&[("2", false)])),
                basic("E", Some(0)),
            ])
        );
        assert_eq!(
            parse(b"S3?S7=60"),
            Ok(vec![
                Command::SRegister { reg: 3, set: None },
                Command::SRegister {
                    reg: 7,
                    set: Some(60)
                }
            ])
        );
        assert_eq!(parse(b"D*99#"), Ok(vec![Command::Dial("*99#".into())]));
        assert_eq!(parse(b""), Ok(vec![]));
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            &b"+CPIN=\"12"[..],
            b"+",
            b"S",
            b"S3",
            b"&",
            b"E99999999999",
            b"#",
            b"\x01",
            b"+CSQ\xff",
        ] {
            assert_eq!(parse(bad), Err(SyntaxError), "{bad:?}");
        }
    }

    #[test]
    fn arg_numbers() {
        let a = |t: &str, q| Arg {
            text: t.into(),
            quoted: q,
        };
        assert_eq!(a("12", false).num(), Some(12));
        assert_eq!(a("12", true).num(), None);
        assert_eq!(a("99999999999", false).num(), None);
        assert!(a("", false).is_empty());
    }
}
