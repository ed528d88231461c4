//! The edge every server verb goes through: load the settings, start a small tokio runtime,
//! run the verb, and turn its error into `error: …` on stderr with exit code 1.

use std::future::Future;
use std::process::ExitCode;

use crate::cli::GlobalOptions;
use crate::client::Client;
use crate::config::Settings;

/// Runs `verb` with a connected client; any error is printed and exits 1.
pub fn with_client<F, Fut>(global: &GlobalOptions, verb: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(Client, Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitCode>>,
{
    with_settings(global, |settings| async move {
        let client = Client::connect(&settings).await?;
        verb(client, settings).await
    })
}

/// Runs `verb` with the settings only (for verbs that may not need the server).
pub fn with_settings<F, Fut>(global: &GlobalOptions, verb: F) -> anyhow::Result<ExitCode>
where
    F: FnOnce(Settings) -> Fut,
    Fut: Future<Output = anyhow::Result<ExitCode>>,
{
    let result = Settings::load(global)
        .map_err(anyhow::Error::from)
        .and_then(|settings| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(verb(settings))
        });
    Ok(result.unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    }))
}
