//! [`ConfigError`]: the one error of every Lambda's configuration, naming the environment variable
//! and the rule its value broke, so a bad deployment says what to fix.

/// A variable that does not hold a usable value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable.
    pub variable: &'static str,
    /// The rule its value broke.
    pub reason: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_variable_and_the_rule() {
        let error = ConfigError::new("COINKING_TABLE", "must be 3 to 255 characters");
        assert_eq!(
            error.to_string(),
            "COINKING_TABLE: must be 3 to 255 characters"
        );
    }
}
