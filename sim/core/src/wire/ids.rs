use super::open_enum;

open_enum! {
    /// A QMI service type, as carried in the QMUX header.
    ServiceId(u8) {
        Ctl = 0x00, Wds = 0x01, Dms = 0x02, Nas = 0x03, Qos = 0x04, Wms = 0x05,
        Pds = 0x06, Auth = 0x07, At = 0x08, Voice = 0x09, Cat2 = 0x0a, Uim = 0x0b,
        Pbm = 0x0c, Loc = 0x10, Sar = 0x11, Wda = 0x1a, Pdc = 0x24, Dsd = 0x2a,
    }
}

open_enum! {
    /// A QMI message ID, unique within one service.
    MessageId(u16) {}
}

open_enum! {
    /// A QMI protocol error code, as carried in the result TLV (0x02).
    ProtocolError(u16) {
        None = 0, MalformedMessage = 1, NoMemory = 2, Internal = 3,
        ClientIdsExhausted = 5, InvalidClientId = 7, InvalidHandle = 9,
        InvalidProfile = 10, InvalidPinId = 11, IncorrectPin = 12, NoNetworkFound = 13,
        CallFailed = 14, OutOfCall = 15, NotProvisioned = 16, MissingArgument = 17,
        ArgumentTooLong = 19, InvalidTransactionId = 22, DeviceInUse = 23,
        NoEffect = 26, NoFreeProfile = 27, InvalidPdpType = 28, InvalidServiceType = 31,
        PinBlocked = 35, PinAlwaysBlocked = 36, UimUninitialized = 37,
        InvalidDataFormat = 45, GeneralError = 46, InvalidArgument = 48,
        InvalidIndex = 49, NoEntry = 50, DeviceStorageFull = 51, DeviceNotReady = 52,
        NetworkNotReady = 53, WmsCauseCode = 54,
        InvalidTransition = 60, InvalidOperation = 70, InvalidQmiCommand = 71,
        InformationUnavailable = 74, SimFileNotFound = 80, AccessDenied = 82,
        IncompatibleState = 90, NoRadio = 93, NotSupported = 94, NoSim = 102,
    }
}
