//! fileConfig semantics: INI sections to the model (being written).

use std::path::Path;

use crate::{Config, ConfigError, ConfigErrors, Location};

pub(crate) fn parse(path: &Path, _text: &str) -> Result<Config, ConfigErrors> {
    Err(ConfigError::new(
        path,
        Location::File,
        "logging.conf support is being written",
    )
    .into())
}
