//! The upgrade module's keys: the plan scheduled, and the height each applied upgrade ran at.

pub fn plan() -> Vec<u8> {
    b"upgrade/plan".to_vec()
}

pub const PREFIX_DONE: &str = "upgrade/done/";

pub fn done(name: &str) -> Vec<u8> {
    format!("{PREFIX_DONE}{name}").into_bytes()
}

pub const PREFIX_VERSION: &str = "upgrade/versions/";

pub fn version(module: &str) -> Vec<u8> {
    format!("{PREFIX_VERSION}{module}").into_bytes()
}
