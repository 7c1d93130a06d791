//! A DynamoDB item as both adapters store it: the type, the `pk`/`sk` key every table of the
//! platform uses, attribute constructors, and [`Reader`], typed access that names the item and
//! attribute in every error. Pure.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use coinking_core::market::MarketCode;
use rust_decimal::Decimal;

use crate::error::StoreError;

pub type Item = HashMap<String, AttributeValue>;

/// The partition and sort key attributes of every table (both are strings, `S`).
pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// `pk/sk` of an item, for messages.
pub fn describe_key(item: &Item) -> String {
    let part = |name: &str| match item.get(name) {
        Some(AttributeValue::S(text)) => text.as_str(),
        _ => "?",
    };
    format!("{}/{}", part(PK), part(SK))
}

/// Typed attribute access that names the item and attribute in every error.
pub(crate) struct Reader<'a> {
    item: &'a Item,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(item: &'a Item) -> Self {
        Self { item }
    }

    pub(crate) fn invalid(
        &self,
        attribute: impl Into<String>,
        reason: impl ToString,
    ) -> StoreError {
        StoreError::InvalidItem {
            key: describe_key(self.item),
            attribute: attribute.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Result<&'a AttributeValue, StoreError> {
        self.item
            .get(name)
            .ok_or_else(|| self.invalid(name, "is missing"))
    }

    pub(crate) fn string(&self, name: &str) -> Result<&'a str, StoreError> {
        match self.get(name)? {
            AttributeValue::S(text) => Ok(text),
            _ => Err(self.invalid(name, "is not a string (S)")),
        }
    }

    pub(crate) fn number_text(&self, name: &str) -> Result<&'a str, StoreError> {
        match self.get(name)? {
            AttributeValue::N(text) => Ok(text),
            _ => Err(self.invalid(name, "is not a number (N)")),
        }
    }

    pub(crate) fn number<T: FromStr>(&self, name: &str) -> Result<T, StoreError>
    where
        T::Err: ToString,
    {
        self.number_text(name)?
            .parse()
            .map_err(|err: T::Err| self.invalid(name, err))
    }

    pub(crate) fn decimal(&self, name: &str) -> Result<Decimal, StoreError> {
        let text = self.number_text(name)?;
        // DynamoDB may spell a number in exponent form; both parse exactly.
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|err| self.invalid(name, err))
    }

    pub(crate) fn boolean(&self, name: &str) -> Result<bool, StoreError> {
        match self.get(name)? {
            AttributeValue::Bool(value) => Ok(*value),
            _ => Err(self.invalid(name, "is not a boolean (BOOL)")),
        }
    }

    /// A marker attribute: true only when stored as `BOOL` true; absent or anything else is false.
    pub(crate) fn flag(&self, name: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::Bool(true)))
    }

    pub(crate) fn market(&self, name: &str) -> Result<MarketCode, StoreError> {
        MarketCode::parse(self.string(name)?).map_err(|err| self.invalid(name, err))
    }

    pub(crate) fn one_of<T: Copy>(
        &self,
        name: &str,
        choices: &[T],
        spelling: impl Fn(T) -> &'static str,
    ) -> Result<T, StoreError> {
        let text = self.string(name)?;
        choices
            .iter()
            .copied()
            .find(|choice| spelling(*choice) == text)
            .ok_or_else(|| self.invalid(name, format!("unknown value {text:?}")))
    }

    pub(crate) fn optional<T>(
        &self,
        name: &str,
        read: impl FnOnce(&Self, &str) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        match self.item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => read(self, name).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_flag_is_true_only_when_stored_true() {
        let item = Item::from([
            ("on".to_owned(), AttributeValue::Bool(true)),
            ("off".to_owned(), AttributeValue::Bool(false)),
            ("text".to_owned(), s("true")),
        ]);
        let read = Reader::new(&item);
        assert!(read.flag("on"));
        assert!(!read.flag("off"));
        assert!(!read.flag("text"));
        assert!(!read.flag("absent"));
    }

    #[test]
    fn errors_name_the_item_and_the_attribute() {
        let item = Item::from([
            (PK.to_owned(), s("PLAYER#a")),
            (SK.to_owned(), s("b")),
            ("balance".to_owned(), s("12")),
        ]);
        let error = Reader::new(&item).number::<u64>("balance").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dynamodb item PLAYER#a/b: attribute balance: is not a number (N)"
        );
        let error = Reader::new(&item).string("coin_1").unwrap_err();
        assert_eq!(
            error.to_string(),
            "dynamodb item PLAYER#a/b: attribute coin_1: is missing"
        );
    }
}
