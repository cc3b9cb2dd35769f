use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum ChainIdError {
    #[error("chain id is empty")]
    Empty,
    #[error("chain id {0:?} is longer than 50 characters")]
    TooLong(String),
    #[error("chain id {0:?} may hold only letters, digits, '-', '_' and '.'")]
    BadCharacter(String),
}

/// Checks a chain id and returns its IBC revision number: `name-N` is revision N, `name` is 0.
pub fn validate_chain_id(id: &str) -> Result<u64, ChainIdError> {
    if id.is_empty() {
        return Err(ChainIdError::Empty);
    }
    if id.len() > 50 {
        return Err(ChainIdError::TooLong(id.into()));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ChainIdError::BadCharacter(id.into()));
    }
    Ok(revision_number(id))
}

fn revision_number(id: &str) -> u64 {
    // ibc-go's rule: `^.*[^\n-]-[1-9][0-9]*$`.
    let Some((name, rev)) = id.rsplit_once('-') else {
        return 0;
    };
    let well_formed = !name.is_empty()
        && !name.ends_with('-')
        && rev.chars().next().is_some_and(|c| ('1'..='9').contains(&c))
        && rev.chars().all(|c| c.is_ascii_digit());
    if well_formed {
        rev.parse().unwrap_or(0)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revision_numbers_follow_ibc_go() {
        assert_eq!(validate_chain_id("estuary-a-1"), Ok(1));
        assert_eq!(validate_chain_id("cosmoshub-4"), Ok(4));
        assert_eq!(validate_chain_id("estuary"), Ok(0));
        assert_eq!(validate_chain_id("chain-01"), Ok(0));
        assert_eq!(validate_chain_id("chain--1"), Ok(0));
        assert!(validate_chain_id("").is_err());
        assert!(validate_chain_id("a b").is_err());
        assert!(validate_chain_id(&"x".repeat(51)).is_err());
    }
}
