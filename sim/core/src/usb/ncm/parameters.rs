//! The NTB Parameter Structure (NCM 1.0 table 6-3) that GET_NTB_PARAMETERS
//! returns, and the values the EM7305 is given.

use crate::wire::ntb::Format;

/// What the function tells the host about NTB sizes and alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NtbParameters {
    /// bmNtbFormatsSupported: bit 0 NTB16, bit 1 NTB32.
    pub formats_supported: u16,
    /// dwNtbInMaxSize: the largest IN NTB the function can send.
    pub in_max_size: u32,
    /// wNdpInDivisor / wNdpInPayloadRemainder: where IN datagrams start.
    pub in_divisor: u16,
    pub in_payload_remainder: u16,
    /// wNdpInAlignment: where IN NDPs start.
    pub in_alignment: u16,
    /// dwNtbOutMaxSize: the largest OUT NTB the function accepts.
    pub out_max_size: u32,
    /// wNdpOutDivisor / wNdpOutPayloadRemainder / wNdpOutAlignment: what
    /// the host should use for OUT NTBs (advice; the parser does not
    /// insist beyond the spec's 4-byte NDP alignment).
    pub out_divisor: u16,
    pub out_payload_remainder: u16,
    pub out_alignment: u16,
    /// wNtbOutMaxDatagrams: 0 for no limit.
    pub out_max_datagrams: u16,
}

impl NtbParameters {
    /// wLength of the structure.
    pub const LEN: usize = 0x1c;

    /// The EM7305's figures. None of them comes from a capture of a real
    /// EM7305; all are inferred from Qualcomm's MBIM gadget function for
    /// its MSM/MDM chips of the 9x15's generation, whose MBIM functional
    /// descriptor carries the very values the EM7305's does (MBIM 1.00,
    /// wMaxControlMessage 4096, 32 filters of 128 bytes,
    /// bmNetworkCapabilities 0x20, MBIM Extended 64 / 1500): NTB16 only,
    /// 16 KiB IN and 4 KiB OUT blocks, everything on 4-byte boundaries, no
    /// OUT datagram limit.
    pub const EM7305: NtbParameters = NtbParameters {
        formats_supported: 0x0001,
        in_max_size: 0x4000,
        in_divisor: 4,
        in_payload_remainder: 0,
        in_alignment: 4,
        out_max_size: 0x1000,
        out_divisor: 4,
        out_payload_remainder: 0,
        out_alignment: 4,
        out_max_datagrams: 0,
    };

    pub fn supports(&self, format: Format) -> bool {
        self.formats_supported & format.supported_bit() != 0
    }

    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut b = [0u8; Self::LEN];
        let mut put16 = |at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
        put16(0, Self::LEN as u16);
        put16(2, self.formats_supported);
        put16(8, self.in_divisor);
        put16(10, self.in_payload_remainder);
        put16(12, self.in_alignment);
        put16(20, self.out_divisor);
        put16(22, self.out_payload_remainder);
        put16(24, self.out_alignment);
        put16(26, self.out_max_datagrams);
        b[4..8].copy_from_slice(&self.in_max_size.to_le_bytes());
        b[16..20].copy_from_slice(&self.out_max_size.to_le_bytes());
        b
    }

    /// Reads the structure as a host does; `None` unless it is whole.
    pub fn parse(b: &[u8]) -> Option<NtbParameters> {
        let b: &[u8; Self::LEN] = b.get(..Self::LEN)?.try_into().ok()?;
        let u16_at = |at: usize| u16::from_le_bytes([b[at], b[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        (u16_at(0) as usize == Self::LEN).then(|| NtbParameters {
            formats_supported: u16_at(2),
            in_max_size: u32_at(4),
            in_divisor: u16_at(8),
            in_payload_remainder: u16_at(10),
            in_alignment: u16_at(12),
            out_max_size: u32_at(16),
            out_divisor: u16_at(20),
            out_payload_remainder: u16_at(22),
            out_alignment: u16_at(24),
            out_max_datagrams: u16_at(26),
        })
    }
}
