//! QMI request names for `on-request` triggers: "dms/set-operating-mode".

use crate::wire::ServiceId;

/// (service, message name, message ID) of every request vmodem serves by name.
const REQUESTS: &[(&str, &str, u16)] = &[
    ("ctl", "set-instance-id", crate::qmi::ctl::SET_INSTANCE_ID),
    ("ctl", "get-version-info", crate::qmi::ctl::GET_VERSION_INFO),
    ("ctl", "allocate-cid", crate::qmi::ctl::ALLOCATE_CID),
    ("ctl", "release-cid", crate::qmi::ctl::RELEASE_CID),
    ("ctl", "set-data-format", crate::qmi::ctl::SET_DATA_FORMAT),
    ("ctl", "sync", crate::qmi::ctl::SYNC),
    ("wds", "reset", crate::qmi::wds::RESET),
    ("wds", "set-event-report", crate::qmi::wds::SET_EVENT_REPORT),
    (
        "wds",
        "indication-register",
        crate::qmi::wds::INDICATION_REGISTER,
    ),
    ("wds", "start-network", crate::qmi::wds::START_NETWORK),
    ("wds", "stop-network", crate::qmi::wds::STOP_NETWORK),
    (
        "wds",
        "get-packet-service-status",
        crate::qmi::wds::GET_PACKET_SERVICE_STATUS,
    ),
    (
        "wds",
        "get-channel-rates",
        crate::qmi::wds::GET_CHANNEL_RATES,
    ),
    (
        "wds",
        "get-packet-statistics",
        crate::qmi::wds::GET_PACKET_STATISTICS,
    ),
    ("wds", "create-profile", crate::qmi::wds::CREATE_PROFILE),
    ("wds", "modify-profile", crate::qmi::wds::MODIFY_PROFILE),
    ("wds", "delete-profile", crate::qmi::wds::DELETE_PROFILE),
    ("wds", "get-profile-list", crate::qmi::wds::GET_PROFILE_LIST),
    (
        "wds",
        "get-profile-settings",
        crate::qmi::wds::GET_PROFILE_SETTINGS,
    ),
    (
        "wds",
        "get-default-settings",
        crate::qmi::wds::GET_DEFAULT_SETTINGS,
    ),
    (
        "wds",
        "get-current-settings",
        crate::qmi::wds::GET_CURRENT_SETTINGS,
    ),
    (
        "wds",
        "get-dormancy-status",
        crate::qmi::wds::GET_DORMANCY_STATUS,
    ),
    (
        "wds",
        "get-autoconnect-settings",
        crate::qmi::wds::GET_AUTOCONNECT_SETTINGS,
    ),
    (
        "wds",
        "get-data-bearer-technology",
        crate::qmi::wds::GET_DATA_BEARER_TECHNOLOGY,
    ),
    (
        "wds",
        "get-current-data-bearer-technology",
        crate::qmi::wds::GET_CURRENT_DATA_BEARER_TECHNOLOGY,
    ),
    (
        "wds",
        "get-default-profile-number",
        crate::qmi::wds::GET_DEFAULT_PROFILE_NUMBER,
    ),
    (
        "wds",
        "set-default-profile-number",
        crate::qmi::wds::SET_DEFAULT_PROFILE_NUMBER,
    ),
    ("wds", "set-ip-family", crate::qmi::wds::SET_IP_FAMILY),
    (
        "wds",
        "set-autoconnect-settings",
        crate::qmi::wds::SET_AUTOCONNECT_SETTINGS,
    ),
    (
        "wds",
        "get-lte-attach-parameters",
        crate::qmi::wds::GET_LTE_ATTACH_PARAMETERS,
    ),
    ("wds", "bind-data-port", crate::qmi::wds::BIND_DATA_PORT),
    (
        "wds",
        "get-max-lte-attach-pdn-number",
        crate::qmi::wds::GET_MAX_LTE_ATTACH_PDN_NUMBER,
    ),
    (
        "wds",
        "get-lte-attach-pdn-list",
        crate::qmi::wds::GET_LTE_ATTACH_PDN_LIST,
    ),
    ("dms", "reset", crate::qmi::dms::RESET),
    ("dms", "set-event-report", crate::qmi::dms::SET_EVENT_REPORT),
    ("dms", "get-capabilities", crate::qmi::dms::GET_CAPABILITIES),
    ("dms", "get-manufacturer", crate::qmi::dms::GET_MANUFACTURER),
    ("dms", "get-model", crate::qmi::dms::GET_MODEL),
    ("dms", "get-revision", crate::qmi::dms::GET_REVISION),
    ("dms", "get-msisdn", crate::qmi::dms::GET_MSISDN),
    ("dms", "get-ids", crate::qmi::dms::GET_IDS),
    ("dms", "get-power-state", crate::qmi::dms::GET_POWER_STATE),
    (
        "dms",
        "uim-set-pin-protection",
        crate::qmi::dms::UIM_SET_PIN_PROTECTION,
    ),
    ("dms", "uim-verify-pin", crate::qmi::dms::UIM_VERIFY_PIN),
    ("dms", "uim-unblock-pin", crate::qmi::dms::UIM_UNBLOCK_PIN),
    ("dms", "uim-change-pin", crate::qmi::dms::UIM_CHANGE_PIN),
    (
        "dms",
        "uim-get-pin-status",
        crate::qmi::dms::UIM_GET_PIN_STATUS,
    ),
    (
        "dms",
        "get-hardware-revision",
        crate::qmi::dms::GET_HARDWARE_REVISION,
    ),
    (
        "dms",
        "get-operating-mode",
        crate::qmi::dms::GET_OPERATING_MODE,
    ),
    (
        "dms",
        "set-operating-mode",
        crate::qmi::dms::SET_OPERATING_MODE,
    ),
    ("dms", "get-time", crate::qmi::dms::GET_TIME),
    ("dms", "get-prl-version", crate::qmi::dms::GET_PRL_VERSION),
    (
        "dms",
        "get-activation-state",
        crate::qmi::dms::GET_ACTIVATION_STATE,
    ),
    (
        "dms",
        "activate-automatic",
        crate::qmi::dms::ACTIVATE_AUTOMATIC,
    ),
    ("dms", "activate-manual", crate::qmi::dms::ACTIVATE_MANUAL),
    (
        "dms",
        "get-user-lock-state",
        crate::qmi::dms::GET_USER_LOCK_STATE,
    ),
    (
        "dms",
        "restore-factory-defaults",
        crate::qmi::dms::RESTORE_FACTORY_DEFAULTS,
    ),
    ("dms", "validate-spc", crate::qmi::dms::VALIDATE_SPC),
    ("dms", "uim-get-iccid", crate::qmi::dms::UIM_GET_ICCID),
    (
        "dms",
        "uim-get-ck-status",
        crate::qmi::dms::UIM_GET_CK_STATUS,
    ),
    ("dms", "uim-get-imsi", crate::qmi::dms::UIM_GET_IMSI),
    ("dms", "uim-get-state", crate::qmi::dms::UIM_GET_STATE),
    (
        "dms",
        "get-band-capabilities",
        crate::qmi::dms::GET_BAND_CAPABILITIES,
    ),
    ("dms", "get-factory-sku", crate::qmi::dms::GET_FACTORY_SKU),
    (
        "dms",
        "get-firmware-preference",
        crate::qmi::dms::GET_FIRMWARE_PREFERENCE,
    ),
    (
        "dms",
        "set-firmware-preference",
        crate::qmi::dms::SET_FIRMWARE_PREFERENCE,
    ),
    (
        "dms",
        "list-stored-images",
        crate::qmi::dms::LIST_STORED_IMAGES,
    ),
    (
        "dms",
        "swi-get-current-firmware",
        crate::qmi::dms::SWI_GET_CURRENT_FIRMWARE,
    ),
    (
        "dms",
        "swi-get-usb-composition",
        crate::qmi::dms::SWI_GET_USB_COMPOSITION,
    ),
    (
        "dms",
        "swi-set-usb-composition",
        crate::qmi::dms::SWI_SET_USB_COMPOSITION,
    ),
    ("nas", "reset", crate::qmi::nas::RESET),
    ("nas", "set-event-report", crate::qmi::nas::SET_EVENT_REPORT),
    (
        "nas",
        "register-indications",
        crate::qmi::nas::REGISTER_INDICATIONS,
    ),
    (
        "nas",
        "get-signal-strength",
        crate::qmi::nas::GET_SIGNAL_STRENGTH,
    ),
    ("nas", "network-scan", crate::qmi::nas::NETWORK_SCAN),
    (
        "nas",
        "initiate-network-register",
        crate::qmi::nas::INITIATE_NETWORK_REGISTER,
    ),
    ("nas", "attach-detach", crate::qmi::nas::ATTACH_DETACH),
    (
        "nas",
        "get-serving-system",
        crate::qmi::nas::GET_SERVING_SYSTEM,
    ),
    ("nas", "get-home-network", crate::qmi::nas::GET_HOME_NETWORK),
    (
        "nas",
        "get-preferred-networks",
        crate::qmi::nas::GET_PREFERRED_NETWORKS,
    ),
    (
        "nas",
        "set-preferred-networks",
        crate::qmi::nas::SET_PREFERRED_NETWORKS,
    ),
    (
        "nas",
        "set-technology-preference",
        crate::qmi::nas::SET_TECHNOLOGY_PREFERENCE,
    ),
    (
        "nas",
        "get-technology-preference",
        crate::qmi::nas::GET_TECHNOLOGY_PREFERENCE,
    ),
    ("nas", "get-rf-band-info", crate::qmi::nas::GET_RF_BAND_INFO),
    (
        "nas",
        "set-system-selection-preference",
        crate::qmi::nas::SET_SYSTEM_SELECTION_PREFERENCE,
    ),
    (
        "nas",
        "get-system-selection-preference",
        crate::qmi::nas::GET_SYSTEM_SELECTION_PREFERENCE,
    ),
    (
        "nas",
        "get-operator-name",
        crate::qmi::nas::GET_OPERATOR_NAME,
    ),
    (
        "nas",
        "get-cell-location-info",
        crate::qmi::nas::GET_CELL_LOCATION_INFO,
    ),
    ("nas", "get-plmn-name", crate::qmi::nas::GET_PLMN_NAME),
    ("nas", "get-system-info", crate::qmi::nas::GET_SYSTEM_INFO),
    ("nas", "get-signal-info", crate::qmi::nas::GET_SIGNAL_INFO),
    (
        "nas",
        "config-signal-info",
        crate::qmi::nas::CONFIG_SIGNAL_INFO,
    ),
    ("nas", "get-tx-rx-info", crate::qmi::nas::GET_TX_RX_INFO),
    ("nas", "swi-get-status", crate::qmi::nas::SWI_GET_STATUS),
    ("uim", "reset", crate::qmi::uim::RESET),
    ("uim", "read-transparent", crate::qmi::uim::READ_TRANSPARENT),
    ("uim", "read-record", crate::qmi::uim::READ_RECORD),
    (
        "uim",
        "get-file-attributes",
        crate::qmi::uim::GET_FILE_ATTRIBUTES,
    ),
    (
        "uim",
        "set-pin-protection",
        crate::qmi::uim::SET_PIN_PROTECTION,
    ),
    ("uim", "verify-pin", crate::qmi::uim::VERIFY_PIN),
    ("uim", "unblock-pin", crate::qmi::uim::UNBLOCK_PIN),
    ("uim", "change-pin", crate::qmi::uim::CHANGE_PIN),
    (
        "uim",
        "depersonalization",
        crate::qmi::uim::DEPERSONALIZATION,
    ),
    ("uim", "refresh-register", crate::qmi::uim::REFRESH_REGISTER),
    ("uim", "refresh-complete", crate::qmi::uim::REFRESH_COMPLETE),
    ("uim", "register-events", crate::qmi::uim::REGISTER_EVENTS),
    ("uim", "get-card-status", crate::qmi::uim::GET_CARD_STATUS),
    (
        "uim",
        "get-configuration",
        crate::qmi::uim::GET_CONFIGURATION,
    ),
    (
        "uim",
        "refresh-register-all",
        crate::qmi::uim::REFRESH_REGISTER_ALL,
    ),
    ("wda", "set-data-format", crate::qmi::wda::SET_DATA_FORMAT),
    ("wda", "get-data-format", crate::qmi::wda::GET_DATA_FORMAT),
    (
        "ctl",
        "get-supported-messages",
        crate::qmi::GET_SUPPORTED_MESSAGES,
    ),
];

const SERVICES: &[(&str, ServiceId)] = &[
    ("ctl", ServiceId::Ctl),
    ("wds", ServiceId::Wds),
    ("dms", ServiceId::Dms),
    ("nas", ServiceId::Nas),
    ("uim", ServiceId::Uim),
    ("wda", ServiceId::Wda),
];

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
    let service = match number(svc) {
        Some(n) => ServiceId(u8::try_from(n).map_err(|_| format!("service `{svc}` is not a u8"))?),
        None => SERVICES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(svc))
            .map(|&(_, s)| s)
            .ok_or_else(|| {
                let known: Vec<_> = SERVICES.iter().map(|s| s.0).collect();
                format!(
                    "unknown QMI service `{svc}`, expected a number or one of {}",
                    known.join(", ")
                )
            })?,
    };
    let message = match number(msg) {
        Some(n) => u16::try_from(n).map_err(|_| format!("message `{msg}` is not a u16"))?,
        None => {
            let name = SERVICES.iter().find(|(_, s)| *s == service).map(|s| s.0);
            let ctl_common = msg.eq_ignore_ascii_case("get-supported-messages");
            REQUESTS
                .iter()
                .find(|(s, m, _)| (Some(*s) == name || ctl_common) && m.eq_ignore_ascii_case(msg))
                .map(|r| r.2)
                .ok_or_else(|| format!("unknown message `{msg}` of service `{svc}`"))?
        }
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
