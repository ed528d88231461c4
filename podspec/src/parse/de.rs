//! A serde `Deserializer` over a document's event buffer that behaves exactly like
//! `serde_yaml_ng::Value`'s deserializer would on the `Value` of the same events, but without
//! building it. It has no error messages: any error, and any field the type ignores, makes it
//! give up ([`Bail`]) so that the document is read again through `Value`, `serde_ignored` and
//! `serde_path_to_error`, which report it with its exact path.

use std::collections::HashSet;
use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::events::{resolve, Ev, Resolved};

/// The fast path gives up on this document; the `Value` path will say why, if anything is wrong.
#[derive(Debug, thiserror::Error)]
#[error("the fast path gives up on this document")]
pub(crate) struct Bail;

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Bail
    }
}

/// Deserializes the whole of `evs` (one document) into `T`.
pub(crate) fn from_events<T: DeserializeOwned>(evs: &[Ev<'_>]) -> Result<T, Bail> {
    let mut cursor = Cursor { evs, pos: 0 };
    let value = T::deserialize(&mut cursor)?;
    if cursor.pos == evs.len() {
        Ok(value)
    } else {
        Err(Bail)
    }
}

struct Cursor<'b, 'a> {
    evs: &'b [Ev<'a>],
    pos: usize,
}

impl<'b> Cursor<'b, '_> {
    fn next(&mut self) -> Result<&'b Ev<'b>, Bail> {
        let ev = self.evs.get(self.pos).ok_or(Bail)?;
        self.pos += 1;
        Ok(ev)
    }

    /// The next event as a resolved scalar; a collection is an error.
    fn scalar(&mut self) -> Result<Resolved<'b>, Bail> {
        match self.next()? {
            Ev::Scalar(s, plain) => Ok(resolve(s, *plain)),
            _ => Err(Bail),
        }
    }

    fn number<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Bail> {
        match self.scalar()? {
            Resolved::PosInt(u) => visitor.visit_u64(u),
            Resolved::NegInt(i) => visitor.visit_i64(i),
            Resolved::Float(f) => visitor.visit_f64(f),
            _ => Err(Bail),
        }
    }

    /// `Value` reads a null as an empty sequence or mapping.
    fn null_or<'de, V: Visitor<'de>>(
        &mut self,
        start: &Ev<'_>,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        let ev = self.next()?;
        if ev == start {
            self.collection(ev, visitor)
        } else if let Ev::Scalar(s, plain) = ev {
            match resolve(s, *plain) {
                Resolved::Null => {
                    let empty = if *start == Ev::SeqStart {
                        [Ev::SeqStart, Ev::SeqEnd]
                    } else {
                        [Ev::MapStart, Ev::MapEnd]
                    };
                    let mut inner = Cursor {
                        evs: &empty,
                        pos: 1,
                    };
                    inner.collection(start, visitor)
                }
                _ => Err(Bail),
            }
        } else {
            Err(Bail)
        }
    }

    /// Visits the sequence or mapping whose start event was just read.
    fn collection<'de, V: Visitor<'de>>(
        &mut self,
        start: &Ev<'_>,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        let (value, end) = if *start == Ev::SeqStart {
            (visitor.visit_seq(Items { de: self })?, Ev::SeqEnd)
        } else {
            let mut entries = Entries {
                de: self,
                keys: Keys::new(),
            };
            (visitor.visit_map(&mut entries)?, Ev::MapEnd)
        };
        // Like `Value`, a visitor that stops early is an error.
        if self.next()? == &end {
            Ok(value)
        } else {
            Err(Bail)
        }
    }
}

impl<'de> de::Deserializer<'de> for &mut Cursor<'_, '_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.next()? {
            ev @ (Ev::MapStart | Ev::SeqStart) => self.collection(ev, visitor),
            Ev::Scalar(s, plain) => match resolve(s, *plain) {
                Resolved::Null => visitor.visit_unit(),
                Resolved::Bool(b) => visitor.visit_bool(b),
                Resolved::PosInt(u) => visitor.visit_u64(u),
                Resolved::NegInt(i) => visitor.visit_i64(i),
                Resolved::Float(f) => visitor.visit_f64(f),
                Resolved::Str(s) => visitor.visit_str(s),
                Resolved::Wide => Err(Bail),
            },
            Ev::MapEnd | Ev::SeqEnd => Err(Bail),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.scalar()? {
            Resolved::Bool(b) => visitor.visit_bool(b),
            _ => Err(Bail),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.number(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_string(visitor)
    }
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_string(visitor)
    }
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.scalar()? {
            Resolved::Str(s) => visitor.visit_str(s),
            _ => Err(Bail),
        }
    }
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_byte_buf(visitor)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.next()? {
            ev @ Ev::SeqStart => self.collection(ev, visitor),
            Ev::Scalar(s, plain) => match resolve(s, *plain) {
                Resolved::Str(s) => visitor.visit_str(s),
                _ => Err(Bail),
            },
            _ => Err(Bail),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        if let Some(Ev::Scalar(s, plain)) = self.evs.get(self.pos) {
            if resolve(s, *plain) == Resolved::Null {
                self.pos += 1;
                return visitor.visit_none();
            }
        }
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.scalar()? {
            Resolved::Null => visitor.visit_unit(),
            _ => Err(Bail),
        }
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.null_or(&Ev::SeqStart, visitor)
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Bail> {
        self.deserialize_seq(visitor)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.null_or(&Ev::MapStart, visitor)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Bail> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Bail> {
        // `Value` reads a string as a unit variant; tagged variants never reach the fast path.
        match self.scalar()? {
            Resolved::Str(s) => visitor.visit_enum(s.into_deserializer()),
            _ => Err(Bail),
        }
    }

    /// Only fields the type does not know are ignored: the `Value` path reports them.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Bail> {
        Err(Bail)
    }
}

struct Items<'c, 'b, 'a> {
    de: &'c mut Cursor<'b, 'a>,
}

impl<'de> SeqAccess<'de> for Items<'_, '_, '_> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Bail> {
        match self.de.evs.get(self.de.pos) {
            Some(Ev::SeqEnd) | None => Ok(None),
            Some(_) => seed.deserialize(&mut *self.de).map(Some),
        }
    }
}

/// Mapping entries; keys must be strings (others take the `Value` path) and unique (a
/// duplicate is an error serde_yaml_ng reports with a position).
struct Entries<'c, 'b, 'a> {
    de: &'c mut Cursor<'b, 'a>,
    keys: Keys<'b>,
}

/// How many keys a mapping may have before they go into a set.
const FEW_KEYS: usize = 16;

/// The keys of one mapping so far: a short list on the stack (no allocation for the typical
/// mapping), and a set once the mapping gets long (ConfigMaps may have thousands of keys).
struct Keys<'b> {
    few: [&'b str; FEW_KEYS],
    len: usize,
    many: Option<HashSet<&'b str>>,
}

impl<'b> Keys<'b> {
    fn new() -> Self {
        Keys {
            few: [""; FEW_KEYS],
            len: 0,
            many: None,
        }
    }

    /// Adds `key`; false when it was there already.
    fn insert(&mut self, key: &'b str) -> bool {
        if let Some(set) = &mut self.many {
            return set.insert(key);
        }
        if self.few[..self.len].contains(&key) {
            return false;
        }
        if self.len < FEW_KEYS {
            self.few[self.len] = key;
            self.len += 1;
        } else {
            let mut set: HashSet<&str> = self.few.iter().copied().collect();
            set.insert(key);
            self.many = Some(set);
        }
        true
    }
}

impl<'de> MapAccess<'de> for &mut Entries<'_, '_, '_> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Bail> {
        let key = match self.de.evs.get(self.de.pos) {
            Some(Ev::MapEnd) | None => return Ok(None),
            Some(Ev::Scalar(s, plain)) => match resolve(s, *plain) {
                Resolved::Str(key) => key,
                _ => return Err(Bail),
            },
            Some(_) => return Err(Bail),
        };
        if !self.keys.insert(key) {
            return Err(Bail);
        }
        // The key is a string already resolved: hand it over without resolving it again.
        self.de.pos += 1;
        seed.deserialize(de::value::StrDeserializer::<Bail>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        seed.deserialize(&mut *self.de)
    }
}

#[cfg(test)]
mod tests {
    use super::{Keys, FEW_KEYS};

    #[test]
    fn duplicate_keys_are_found_before_and_after_the_set_takes_over() {
        let names: Vec<String> = (0..FEW_KEYS + 4).map(|i| format!("k{i}")).collect();
        let mut keys = Keys::new();
        for (i, name) in names.iter().enumerate() {
            assert!(keys.insert(name), "{name} is new");
            assert!(
                !keys.insert(&names[i / 2]),
                "{} is a duplicate",
                names[i / 2]
            );
        }
        assert!(keys.many.is_some());
    }
}
