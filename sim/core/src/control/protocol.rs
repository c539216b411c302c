//! The control socket's requests, one JSON object per line:
//! `{"cmd":"inject","fault":{...}}`, `{"cmd":"status"}`, `{"cmd":"watch"}`.
//! Parsed here, beside the fault vocabulary, so that the fuzzer reaches the
//! same code the socket does.

use crate::fault::Fault;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Request {
    Inject { fault: Fault },
    Status,
    Watch,
}

impl Request {
    /// One request line; the error says what was wrong, for the reply.
    pub fn parse(line: &str) -> Result<Request, String> {
        serde_json::from_str(line.trim()).map_err(|e| e.to_string())
    }
}
