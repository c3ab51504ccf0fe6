//! What `ls --where`, `--sort` and `--columns` name: a run's facts by key
//! (`params.lr`, `summary.val_loss`, `tag`, `status`, `host`, `stage`),
//! the conditions on them, and their order. Numbers compare as numbers,
//! everything else as text.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};

/// A fact of a run, by the name `ls` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// A parameter (`params.lr`; `params.optim.lr` inside an object).
    Param(Vec<String>),
    /// A summary value (`summary.val_loss`).
    Summary(Vec<String>),
    /// The run's tags: `tag=baseline` holds for a run tagged so.
    Tag,
    Status,
    Host,
    Stage,
}

/// The keys `ls` takes, in words, for messages.
const KEYS: &str = "params.NAME, summary.NAME, tag, status, host or stage";

impl Key {
    pub fn parse(text: &str) -> Result<Key, String> {
        let path = |rest: &str| -> Result<Vec<String>, String> {
            if rest.is_empty() || rest.split('.').any(str::is_empty) {
                return Err(format!("`{text}` names no key: expected {KEYS}"));
            }
            Ok(rest.split('.').map(str::to_owned).collect())
        };
        match text {
            "tag" | "tags" => Ok(Key::Tag),
            "status" => Ok(Key::Status),
            "host" => Ok(Key::Host),
            "stage" => Ok(Key::Stage),
            _ => {
                if let Some(rest) = text.strip_prefix("params.") {
                    path(rest).map(Key::Param)
                } else if let Some(rest) = text.strip_prefix("summary.") {
                    path(rest).map(Key::Summary)
                } else {
                    Err(format!("`{text}` names no key: expected {KEYS}"))
                }
            }
        }
    }

    /// Whether reading it needs the run's summary record.
    pub fn needs_summary(&self) -> bool {
        matches!(self, Key::Summary(_) | Key::Tag)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Param(path) => write!(f, "params.{}", path.join(".")),
            Key::Summary(path) => write!(f, "summary.{}", path.join(".")),
            Key::Tag => f.write_str("tag"),
            Key::Status => f.write_str("status"),
            Key::Host => f.write_str("host"),
            Key::Stage => f.write_str("stage"),
        }
    }
}

/// What `ls` knows of one run, for its keys.
pub struct Facts<'a> {
    pub params: Option<&'a Map<String, Value>>,
    pub summary: Option<&'a Map<String, Value>>,
    pub tags: &'a [String],
    pub status: Option<String>,
    pub host: Option<&'a str>,
    pub stage: Option<&'a str>,
}

impl Facts<'_> {
    /// The run's value of `key`; `None` where it has none. The tags are
    /// one value, a list.
    pub fn value(&self, key: &Key) -> Option<Value> {
        let text = |t: Option<&str>| t.map(|t| Value::String(t.to_owned()));
        match key {
            Key::Param(path) => lookup(self.params?, path).cloned(),
            Key::Summary(path) => lookup(self.summary?, path).cloned(),
            Key::Tag => Some(self.tags.iter().map(|t| Value::from(t.as_str())).collect()),
            Key::Status => self.status.clone().map(Value::String),
            Key::Host => text(self.host),
            Key::Stage => text(self.stage),
        }
    }
}

/// The value at the dotted `path` inside `object`.
fn lookup<'v>(object: &'v Map<String, Value>, path: &[String]) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    rest.iter()
        .try_fold(object.get(first)?, |value, part| value.get(part))
}

/// How a condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Lt,
    Gt,
}

/// `KEY=VALUE`, `KEY<VALUE` or `KEY>VALUE`.
#[derive(Clone, Debug)]
pub struct Condition {
    pub key: Key,
    op: Op,
    value: String,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, String> {
        let Some(at) = text.find(['=', '<', '>']) else {
            return Err(format!(
                "`{text}` is no condition: expected KEY=VALUE, KEY<VALUE or KEY>VALUE"
            ));
        };
        let op = match &text[at..=at] {
            "=" => Op::Eq,
            "<" => Op::Lt,
            _ => Op::Gt,
        };
        Ok(Condition {
            key: Key::parse(&text[..at])?,
            op,
            value: text[at + 1..].to_owned(),
        })
    }

    /// Whether the run's facts meet the condition; a run without the key
    /// never does.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        let Some(value) = facts.value(&self.key) else {
            return false;
        };
        if self.key == Key::Tag {
            let tags = value.as_array().map(Vec::as_slice).unwrap_or_default();
            return match self.op {
                Op::Eq => tags.iter().any(|t| t.as_str() == Some(&self.value)),
                Op::Lt | Op::Gt => false,
            };
        }
        let wanted = Value::String(self.value.clone());
        let order = compare(&value, &wanted);
        match self.op {
            Op::Eq => order == Some(Ordering::Equal),
            Op::Lt => order == Some(Ordering::Less),
            Op::Gt => order == Some(Ordering::Greater),
        }
    }
}

/// A value as a number, if it is one or is text that reads as one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A value as text: a string as it is, anything else as JSON.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// Numbers as numbers (`0.010` equals `0.01`, `9 < 10`), anything else as
/// text.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.partial_cmp(&y),
        _ => Some(text(a).cmp(&text(b))),
    }
}

/// `--sort KEY` or `--sort -KEY` (descending).
#[derive(Clone, Debug)]
pub struct Sort {
    pub key: Key,
    descending: bool,
}

impl Sort {
    pub fn parse(text: &str) -> Result<Sort, String> {
        match text.strip_prefix('-') {
            Some(rest) => Ok(Sort {
                key: Key::parse(rest)?,
                descending: true,
            }),
            None => Ok(Sort {
                key: Key::parse(text)?,
                descending: false,
            }),
        }
    }

    /// The order of two runs' values of the key: numbers first, by value,
    /// then text; runs without the key last, whichever the direction.
    pub fn order(&self, a: Option<&Value>, b: Option<&Value>) -> Ordering {
        match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => {
                let order = match (number(a), number(b)) {
                    (Some(x), Some(y)) => x.total_cmp(&y),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => text(a).cmp(&text(b)),
                };
                if self.descending {
                    order.reverse()
                } else {
                    order
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts<'a>(params: &'a Map<String, Value>, tags: &'a [String]) -> Facts<'a> {
        Facts {
            params: Some(params),
            summary: None,
            tags,
            status: Some("finished".into()),
            host: Some("node1"),
            stage: Some("s"),
        }
    }

    #[test]
    fn numbers_compare_as_numbers_and_text_as_text() {
        let params = json!({ "lr": 0.010, "opt": { "name": "adam" }, "n": 9 });
        let params = params.as_object().unwrap();
        let tags = vec!["baseline".to_owned()];
        let f = facts(params, &tags);
        let holds = |c: &str| Condition::parse(c).unwrap().holds(&f);
        assert!(holds("params.lr=0.01"));
        assert!(holds("params.lr<0.1") && !holds("params.lr>0.1"));
        assert!(holds("params.n<10"), "9 < 10 as numbers");
        assert!(holds("params.opt.name=adam"));
        assert!(holds("tag=baseline") && !holds("tag=draft"));
        assert!(holds("status=finished") && holds("host=node1") && holds("stage=s"));
        assert!(!holds("params.missing=1"));
        assert!(Condition::parse("lr=1").is_err());
        assert!(Condition::parse("params.=1").is_err());
        assert!(Condition::parse("params.lr").is_err());
    }

    #[test]
    fn sorting_puts_missing_values_last_both_ways() {
        let up = Sort::parse("summary.loss").unwrap();
        let down = Sort::parse("-summary.loss").unwrap();
        let (one, two) = (json!(1), json!(2.5));
        assert_eq!(up.order(Some(&one), Some(&two)), Ordering::Less);
        assert_eq!(down.order(Some(&one), Some(&two)), Ordering::Greater);
        assert_eq!(up.order(None, Some(&one)), Ordering::Greater);
        assert_eq!(down.order(None, Some(&one)), Ordering::Greater);
    }
}
