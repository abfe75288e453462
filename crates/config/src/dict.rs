//! The dictConfig schema in TOML and JSON (being written).

use std::path::Path;

use crate::{Config, ConfigError, ConfigErrors, Location};

pub(crate) fn parse_toml(path: &Path, _text: &str) -> Result<Config, ConfigErrors> {
    Err(ConfigError::new(path, Location::File, "TOML support is being written").into())
}

pub(crate) fn parse_json(path: &Path, _text: &str) -> Result<Config, ConfigErrors> {
    Err(ConfigError::new(path, Location::File, "JSON support is being written").into())
}
