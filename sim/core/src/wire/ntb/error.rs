//! Why an NTB was refused. A refused transfer is dropped whole, as the
//! Linux NCM gadget (`f_ncm`) drops it: no datagram of it reaches the
//! network.

use super::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than the NTH.
    #[error("transfer of {len} bytes is shorter than its NTH")]
    ShortTransfer { len: usize },
    /// Neither "NCMH" nor "ncmh".
    #[error("NTH signature {0:#010x}")]
    NthSignature(u32),
    /// wHeaderLength is not 12 (NTH16) or 16 (NTH32).
    #[error("NTH wHeaderLength {0}")]
    HeaderLength(u16),
    /// The block cannot hold an NTH and the shortest NDP.
    #[error("block length {0} below an NTH and one NDP")]
    BlockTooShort(u32),
    /// wBlockLength claims more bytes than the transfer has.
    #[error("block length {block} past the {transfer}-byte transfer")]
    BlockPastTransfer { block: u32, transfer: usize },
    /// wBlockLength above dwNtbOutMaxSize.
    #[error("block length {block} above the negotiated {max}")]
    BlockOverMax { block: u32, max: u32 },
    /// An NTB in the format the host did not select.
    #[error("{got:?} block while {selected:?} is selected")]
    WrongFormat { selected: Format, got: Format },
    /// wNdpIndex is 0: an NTB with no NDP.
    #[error("NTH points at no NDP")]
    NoNdp,
    /// An NDP index that is not a multiple of 4.
    #[error("NDP index {0} not a multiple of 4")]
    NdpMisaligned(u32),
    /// An NDP index inside the NTH, or whose header passes the block's end.
    #[error("NDP index {0} outside the block")]
    NdpOutOfRange(u32),
    /// An NDP signature that is not IPS/DSS of the block's format.
    #[error("NDP signature {0:#010x}")]
    NdpSignature(u32),
    /// wLength below the header, one pointer and the null entry.
    #[error("NDP wLength {0} too short")]
    NdpTooShort(u16),
    /// wLength not a multiple of 4 (NDP16) or 8 (NDP32).
    #[error("NDP wLength {0} not a whole number of entries")]
    NdpLengthMisaligned(u16),
    /// The NDP's table passes the block's end.
    #[error("NDP at {index} with wLength {len} passes the block's end")]
    NdpPastBlock { index: u32, len: u16 },
    /// The NDP's first pointer is the null entry: no datagram.
    #[error("NDP at {0} has no datagram")]
    EmptyNdp(u32),
    /// No null entry ends the NDP's table.
    #[error("NDP at {0} has no null entry")]
    NdpUnterminated(u32),
    /// A datagram starting inside the NTH or ending past the block.
    #[error("datagram at {index} of {len} bytes outside the block")]
    DatagramOutOfRange { index: u32, len: u32 },
    /// wNextNdpIndex leads back to an NDP already read.
    #[error("NDP chain loops back to {0}")]
    NdpLoop(u32),
    /// More than [`super::MAX_NDPS`] NDPs chained.
    #[error("more than {} NDPs", super::MAX_NDPS)]
    TooManyNdps,
}
