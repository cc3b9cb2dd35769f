use serde::{Deserialize, Serialize};

/// An ABCI event. Every attribute is indexed, so relayers and wallets can search for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<EventAttribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAttribute {
    pub key: String,
    pub value: String,
    pub index: bool,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Event {
        Event {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    pub fn attr(mut self, key: impl Into<String>, value: impl ToString) -> Event {
        self.attributes.push(EventAttribute {
            key: key.into(),
            value: value.to_string(),
            index: true,
        });
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}
