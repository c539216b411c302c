//! QMI request names for `on-request` triggers: "dms/set-operating-mode".
//! Services and names come from the services' message tables
//! ([`crate::qmi::catalogue`]), so every request the module answers can be
//! named and no name points at a request it does not answer.

use crate::wire::ServiceId;

/// One QMI request kind a trigger waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    pub service: ServiceId,
    pub message: u16,
}

/// Parses "service/message" where each half is a name or a number
/// ("dms/set-operating-mode", "0x02/0x002E", "nas/0x0024").
pub fn parse_request(text: &str) -> Result<RequestId, String> {
    let Some((svc, msg)) = text.split_once('/') else {
        return Err(format!(
            "`{text}`: expected service/message, e.g. dms/set-operating-mode or 0x02/0x002E"
        ));
    };
    if svc.eq_ignore_ascii_case("mbim") {
        return Err("MBIM requests cannot be matched yet (no MBIM function)".into());
    }
    let catalogue = crate::qmi::catalogue();
    let service = match number(svc) {
        Some(n) => ServiceId(u8::try_from(n).map_err(|_| format!("service `{svc}` is not a u8"))?),
        None => catalogue
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(svc))
            .map(|&(_, s, _)| s)
            .ok_or_else(|| {
                let known: Vec<_> = catalogue.iter().map(|s| s.0).collect();
                format!(
                    "unknown QMI service `{svc}`, expected a number or one of {}",
                    known.join(", ")
                )
            })?,
    };
    let message = match number(msg) {
        Some(n) => u16::try_from(n).map_err(|_| format!("message `{msg}` is not a u16"))?,
        // Get Supported Messages has one ID in every service; a trigger may
        // name it for any of them, CTL included.
        None if msg.eq_ignore_ascii_case("get-supported-messages") => {
            crate::qmi::GET_SUPPORTED_MESSAGES
        }
        None => catalogue
            .iter()
            .filter(|(_, s, _)| *s == service)
            .flat_map(|(_, _, list)| list.iter())
            .find(|m| m.name.eq_ignore_ascii_case(msg))
            .map(|m| m.id)
            .ok_or_else(|| format!("unknown message `{msg}` of service `{svc}`"))?,
    };
    Ok(RequestId { service, message })
}

fn number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_agree() {
        let by_name = parse_request("dms/set-operating-mode").unwrap();
        assert_eq!(by_name, parse_request("0x02/0x002E").unwrap());
        assert_eq!(by_name.message, crate::qmi::dms::SET_OPERATING_MODE);
        assert_eq!(parse_request("UIM/verify-pin").unwrap().message, 0x0026);
        assert_eq!(
            parse_request("wds/get-supported-messages").unwrap().message,
            0x001E
        );
    }

    #[test]
    fn bad_requests_are_explained() {
        assert!(parse_request("dms")
            .unwrap_err()
            .contains("service/message"));
        assert!(parse_request("xyz/reset")
            .unwrap_err()
            .contains("unknown QMI service"));
        assert!(parse_request("dms/fly")
            .unwrap_err()
            .contains("unknown message"));
        assert!(parse_request("0x1ff/1").is_err());
        assert!(parse_request("mbim/connect").unwrap_err().contains("MBIM"));
    }
}
