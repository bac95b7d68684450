//! Ripple's portal: `POST /api/ripple/impact` answers, for a change spec,
//! the dataset's consumers across the fleet (with their verdicts, reasons
//! and owners), the open migrations that cover the change, and the page
//! that starts a migration with it filled in. Nothing is created.

use std::time::Duration;

use ripple_engine::{ChangeSpec, Location, Verdict};
use serde::{Deserialize, Serialize};

use crate::Usage;

/// The portal's backend and the token `Authorization: Bearer` sends.
pub(crate) struct Portal {
    url: String,
    token: String,
    agent: ureq::Agent,
}

/// What the portal answers for one change.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PortalImpact {
    /// The dataset entity whose table the change names; absent when the
    /// catalog has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_ref: Option<String>,
    #[serde(default)]
    pub consumers: Vec<PortalConsumer>,
    #[serde(default)]
    pub migrations: Vec<CoveringMigration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_migration_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PortalConsumer {
    pub consumer_ref: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Absent when the portal could not classify it (`error` says why).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    #[serde(default)]
    pub reasons: Vec<ApiReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A reason as the portal's API writes it (its `ImpactReason`: the place
/// as `line` and `column`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct ApiReason {
    pub kind: String,
    pub verdict: Verdict,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub line: Option<u64>,
    #[serde(default)]
    pub column: Option<u64>,
    pub message: String,
}

impl From<&ApiReason> for Reason {
    fn from(r: &ApiReason) -> Reason {
        let start = r.line.map(|line| Location { line, column: r.column.unwrap_or(1) });
        Reason { kind: r.kind.clone(), verdict: r.verdict, path: r.path.clone(), start, column: None, message: r.message.clone() }
    }
}

/// A reason as the engine writes it (`ripple impact`'s fields).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct Reason {
    pub kind: String,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Location>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub message: String,
}

/// An open migration whose change covers the one asked about.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub(crate) struct CoveringMigration {
    pub id: String,
    pub title: String,
    pub state: String,
    pub url: String,
}

#[derive(Serialize)]
struct ImpactRequest<'a> {
    change: &'a ChangeSpec,
}

impl Portal {
    /// The portal at `url` (its backend's base URL: `https://backstage.example.com`),
    /// with the token in the environment variable `token_env`.
    pub fn new(url: &str, token_env: &str) -> Result<Portal, Usage> {
        let url = url.trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(Usage(format!("--portal {url}: give the portal's URL, https://... (or http://)")));
        }
        let token = std::env::var(token_env).map_err(|_| Usage(format!("--token-env {token_env}: the environment variable is not set")))?;
        if token.trim().is_empty() {
            return Err(Usage(format!("--token-env {token_env}: the environment variable is empty")));
        }
        let config = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(120))).user_agent(concat!("ripple-cli/", env!("CARGO_PKG_VERSION"))).build();
        Ok(Portal { url: url.to_string(), token: token.trim().to_string(), agent: config.into() })
    }

    /// The portal's impact of `change`; an unreachable portal or an answer
    /// other than 200 is an error naming the URL and the status.
    pub fn impact(&self, change: &ChangeSpec) -> Result<PortalImpact, Usage> {
        let url = format!("{}/api/ripple/impact", self.url);
        let response = self.agent.post(&url).header("Authorization", &format!("Bearer {}", self.token)).send_json(ImpactRequest { change });
        let mut response = response.map_err(|e| Usage(format!("portal {url}: {e}")))?;
        let status = response.status().as_u16();
        if status != 200 {
            let body = response.body_mut().read_to_string().unwrap_or_default();
            // Backstage's errors are {"error": {"name", "message"}}.
            let message = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["error"]["message"].as_str().map(str::to_string)).unwrap_or_else(|| body.chars().take(300).collect());
            return Err(Usage(format!("portal {url}: HTTP {status}: {message}")));
        }
        response.body_mut().read_json::<PortalImpact>().map_err(|e| Usage(format!("portal {url}: an answer that is not the impact: {e}")))
    }
}
