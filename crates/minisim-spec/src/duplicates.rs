//! Duplicate JSON keys: `serde_json` keeps the last of `{"seed": 1, "seed": 2}`
//! silently; a spec is rejected instead, with the key's path.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

use crate::error::{Issue, SpecError};

/// Walks a JSON document and records the first key that appears twice in an object.
struct Walk<'a> {
    path: String,
    found: &'a RefCell<Option<Issue>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = join(&self.path, &key);
            if !seen.insert(key.clone()) {
                *self.found.borrow_mut() = Some(Issue::new(
                    path,
                    format!("duplicate key `{key}`; each key may appear once in an object"),
                ));
                return Err(A::Error::custom("duplicate key"));
            }
            map.next_value_seed(Walk {
                path,
                found: self.found,
            })?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(Walk {
                path: format!("{}[{i}]", self.path),
                found: self.found,
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// `Err` with the path of the first duplicate key in `text`; syntax errors are left to
/// the parser that runs next.
pub(crate) fn check(text: &str) -> Result<(), SpecError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let _ = Walk {
        path: String::new(),
        found: &found,
    }
    .deserialize(&mut de);
    match found.into_inner() {
        Some(issue) => Err(SpecError::Invalid(vec![issue])),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_at_any_depth_with_their_path() {
        assert!(check(r#"{"seed": 1, "acquisition": {"frames": 2}}"#).is_ok());
        let err = check(r#"{"seed": 1, "seed": 2}"#).unwrap_err().to_string();
        assert_eq!(
            err,
            "seed: duplicate key `seed`; each key may appear once in an object"
        );
        let err = check(
            r#"{"steps": [{"kind": "spikes"}, {"kind": "calcium", "rise_ms": 1, "rise_ms": 2}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("steps[1].rise_ms: duplicate key"), "{err}");
        // Not JSON: left to the parser.
        assert!(check("{oops").is_ok());
    }
}
